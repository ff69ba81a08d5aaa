"""The engine's events shown in a Discord channel: notices as messages, turns streamed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import discord

from bot.engine.copy import INTERRUPTED_NOTICE
from bot.engine.events import EngineEvent, Notice, ReplyText, TurnEnded, TurnStarted, Waiting
from bot.frontends.discord.holding import Holding
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
        """Show the engine's events: notices as messages, each turn as a streamed reply (a
        turn started over writes over its messages); a wait before the answer as typing, then
        a holding line the answer takes over."""
        reply: StreamingReply | None = None
        holding = Holding(channel, self._budgets.requests)
        try:
            async for event in events:
                if isinstance(event, Notice):
                    await send_quietly(channel, event.text)
                elif isinstance(event, Waiting):
                    if reply is None or not reply.text:
                        holding.wait()
                elif isinstance(event, TurnStarted) and reply is None:
                    reply = StreamingReply(channel, budget=self._budgets.for_channel(channel))
                    holding.typing()
                elif isinstance(event, ReplyText) and reply is not None:
                    await _take_over(holding, reply)
                    reply.append(event.text)
                elif isinstance(event, TurnEnded) and event.replaced and reply is not None:
                    # The next turn writes its answer over this one, in the same messages.
                    reply.restart()
                elif isinstance(event, TurnEnded) and reply is not None:
                    await _take_over(holding, reply)
                    reply.final_view = person_view()
                    await _finish(reply, event.notice)
                    await self._move_person_button(channel, reply.messages, reply.view_shown)
                    reply = None
        finally:
            if reply is not None:
                # Cut short (shutdown, a bug): the reply still loses its cursor.
                await asyncio.shield(_take_over(holding, reply))
                await asyncio.shield(_finish(reply, INTERRUPTED_NOTICE))
            await asyncio.shield(holding.close())

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


async def _take_over(holding: Holding, reply: StreamingReply) -> None:
    """Before the reply's first text: the signs of waiting stop, and a holding line shown
    becomes the reply's first message."""
    if reply.text:
        return
    message = await holding.settle()
    if message is not None:
        reply.adopt(message)


async def _finish(reply: StreamingReply, notice: str) -> None:
    """Bring the reply to its final text; Discord refusing it is logged, not raised."""
    try:
        await reply.finish(notice)
    except discord.HTTPException:
        log.exception("could not deliver a reply")


async def send_quietly(
    channel: discord.abc.Messageable, content: str, *, delete_after: float | None = None
) -> discord.Message | None:
    """Send a message that pings nobody (gone after `delete_after` seconds, if given);
    Discord refusing it is logged, not raised (None)."""
    try:
        if delete_after is None:
            return await channel.send(content, allowed_mentions=NO_MENTIONS)
        return await channel.send(content, allowed_mentions=NO_MENTIONS, delete_after=delete_after)
    except discord.HTTPException:
        log.exception("could not send a notice")
        return None
