"""The engine's events shown in a Discord channel: notices as messages, turns streamed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import discord

from bot.engine.copy import INTERRUPTED_NOTICE
from bot.engine.events import EngineEvent, Notice, ReplyText, TurnEnded, TurnStarted
from bot.frontends.discord.rating_views import person_view
from bot.frontends.discord.streaming.edit_budget import EditBudgets
from bot.frontends.discord.streaming.renderer import NO_MENTIONS, StreamingReply

log = logging.getLogger(__name__)

# Channels whose newest answer's button is remembered (to take it off at the next answer).
REMEMBERED_ANSWERS = 10_000


class Relay:
    """Shows the engine's events in a channel, within the bot's request budgets."""

    def __init__(self, budgets: EditBudgets) -> None:
        self._budgets = budgets
        # The message carrying the "Talk to a person" button, by channel: only the newest
        # answer has it.
        self._with_button: dict[int, discord.Message] = {}

    async def __call__(
        self, channel: discord.abc.Messageable, events: AsyncIterator[EngineEvent]
    ) -> None:
        """Show the engine's events: notices as messages, each turn as a streamed reply."""
        reply: StreamingReply | None = None
        async with contextlib.AsyncExitStack() as typing:
            try:
                async for event in events:
                    if isinstance(event, Notice):
                        await send_quietly(channel, event.text)
                    elif isinstance(event, TurnStarted):
                        reply = StreamingReply(channel, budget=self._budgets.for_channel(channel))
                        if self._budgets.requests.quiet():
                            # Worth a request only when the budget has room to spare.
                            await typing.enter_async_context(_typing(channel))
                    elif isinstance(event, ReplyText) and reply is not None:
                        reply.append(event.text)
                    elif isinstance(event, TurnEnded) and reply is not None:
                        await typing.aclose()
                        reply.final_view = person_view()
                        await _finish(reply, event.notice)
                        await self._move_person_button(channel, reply.messages, reply.view_shown)
                        reply = None
            finally:
                if reply is not None:
                    # Cut short (shutdown, a bug): the reply still loses its cursor.
                    await asyncio.shield(_finish(reply, INTERRUPTED_NOTICE))

    async def _move_person_button(
        self, channel: discord.abc.Messageable, messages: list[discord.Message], shown: bool
    ) -> None:
        """The finished answer's last message has the button (with its final text, or in an
        edit of its own when the final text needed none) and the answer before loses it: an
        edit, within the channel's edit budget."""
        if not messages:
            return
        key = getattr(channel, "id", 0)
        newest, before = messages[-1], self._with_button.pop(key, None)
        budget = self._budgets.for_channel(channel)
        try:
            if not shown:
                async with budget.edits.slot():
                    await newest.edit(view=person_view())
        except discord.HTTPException:
            log.exception("could not add the person button to an answer")
            return
        self._with_button[key] = newest
        while len(self._with_button) > REMEMBERED_ANSWERS:
            # Oldest first: a conversation idle this long keeps its button.
            del self._with_button[next(iter(self._with_button))]
        if before is None or before.id == newest.id:
            return
        try:
            async with budget.edits.slot():
                await before.edit(view=None)
        except discord.HTTPException:
            log.warning("could not take the person button off an older answer", exc_info=True)


async def _finish(reply: StreamingReply, notice: str) -> None:
    """Bring the reply to its final text; Discord refusing it is logged, not raised."""
    try:
        await reply.finish(notice)
    except discord.HTTPException:
        log.exception("could not deliver a reply")


async def send_quietly(channel: discord.abc.Messageable, content: str) -> None:
    """Send a message that pings nobody; Discord refusing it is logged, not raised."""
    try:
        await channel.send(content, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.exception("could not send a notice")


@contextlib.asynccontextmanager
async def _typing(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Show typing while the model works; a failure to show it must not stop the reply."""
    try:
        typing = channel.typing()
        await typing.__aenter__()
    except discord.HTTPException:
        log.warning("could not show typing", exc_info=True)
        yield
        return
    try:
        yield
    finally:
        await typing.__aexit__(None, None, None)
