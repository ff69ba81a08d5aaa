"""Private all the way: customers' public originals in the support channel go once their
words are stored in a conversation and the answer's first text is shown, and at start for
any a crash left behind."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import discord

from bot.engine.engine import SupportEngine
from bot.engine.events import EngineEvent

log = logging.getLogger(__name__)

# How far back the start looks in the support channel: a crash leaves at most the originals
# being opened at that moment, the newest messages there.
LOOK_BACK = 100


async def remove_left_originals(
    channel: discord.abc.Messageable, engine: SupportEngine, key_prefix: str
) -> int:
    """Remove the support channel's messages whose words a conversation already holds (a
    crash came between storing them and removing them); the number removed.

    One page of the channel's newest messages and one query; an original whose photos the
    conversation still reads from it (too large to carry) stays.
    """
    try:
        recent = [m async for m in channel.history(limit=LOOK_BACK)]
    except discord.HTTPException:
        log.warning("could not read the support channel for originals left behind")
        return 0
    people = [m for m in recent if not m.author.bot and m.webhook_id is None]
    carried = await engine.placement.carried(
        sorted({str(m.author.id) for m in people}), [m.id for m in people], key_prefix
    )
    removed = 0
    for message in people:
        urls = carried.get(message.id)
        if urls is None or _still_read(message, urls):
            continue
        try:
            await message.delete()
        except discord.NotFound:
            continue
        except discord.HTTPException:
            log.warning("could not remove message %d left in the support channel", message.id)
            continue
        removed += 1
    if removed:
        log.info("removed %d original(s) a crash left in the support channel", removed)
    return removed


def _still_read(message: discord.Message, stored_urls: list[str]) -> bool:
    """Whether the conversation reads one of the message's own attachments (signed links
    differ in their query, so paths are compared)."""
    paths = {url.split("?", 1)[0] for url in stored_urls}
    return any(a.url.split("?", 1)[0] in paths for a in message.attachments)


async def removing_after(
    events: AsyncIterator[EngineEvent],
    remove: Callable[[], Awaitable[None]],
    first_text: Callable[[], Awaitable[None]],
) -> AsyncIterator[EngineEvent]:
    """The engine's events, the public original removed once the answer's first text is
    shown (`first_text` returns then), or at the end when no text comes.

    The engine stores a message before it says anything of it, so from the first event on
    the words are safe; the removal waits for the answer's first text all the same, so it
    costs nothing before it (a crash before it leaves the original for
    `remove_left_originals`).
    """
    removal = _Once(remove)
    waiting: asyncio.Task[None] | None = None

    async def after_first_text() -> None:
        await first_text()
        await removal()

    try:
        async for event in events:
            if waiting is None:
                waiting = asyncio.create_task(after_first_text())
            yield event
    finally:
        if waiting is not None and removal.started:
            await asyncio.shield(waiting)
        else:
            if waiting is not None:
                waiting.cancel()
            await removal()


class _Once:
    """Calls a removal once, however often asked."""

    def __init__(self, remove: Callable[[], Awaitable[None]]) -> None:
        self._remove = remove
        self.started = False

    async def __call__(self) -> None:
        if not self.started:
            self.started = True
            await self._remove()
