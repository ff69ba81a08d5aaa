"""Private all the way: customers' public originals in the support channel go once their
words are stored in a conversation, and at start for any a crash left behind."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import discord

from bot.engine.engine import SupportEngine
from bot.engine.events import EngineEvent

log = logging.getLogger(__name__)

# How far back the start looks in the support channel: a crash leaves at most the originals
# being opened at that moment, the newest messages there.
LOOK_BACK = 100


async def removing_first(
    events: AsyncIterator[EngineEvent], remove: Callable[[], Awaitable[None]]
) -> AsyncIterator[EngineEvent]:
    """The engine's events, the public original removed before the first of them is shown.

    The engine stores a message before it says anything of it, so by the first event (or
    the end, when it says nothing) the words are safe: the original can go, before the
    answer streams. A crash before that leaves it for `remove_left_originals`.
    """
    removed = False
    async for event in events:
        if not removed:
            removed = True
            await remove()
        yield event
    if not removed:
        await remove()


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
