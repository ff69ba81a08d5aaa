"""Nobody waits in silence: while an answer is delayed, typing, then a holding line that
the answer itself takes over (so no extra message stays behind)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import KW_ONLY, dataclass, field

import discord

from bot.engine.copy import HOLDING
from bot.frontends.discord.streaming.global_budget import GlobalBudget, Lane
from bot.frontends.discord.streaming.renderer import NO_MENTIONS

log = logging.getLogger(__name__)

# Seconds of waiting before the holding line is posted: a sign within 5 s, even when the
# global budget has no room to spare for typing.
HOLD_AFTER = 3.0
# Discord shows typing for about 10 s after each request: renewed a little before.
TYPING_EVERY = 8.0
# Typing adds nothing when the text follows within a second (it would only spend a request
# before the first text): it starts once the wait has lasted this long.
TYPING_AFTER = 1.0


@dataclass(eq=False)
class Holding:
    """The signs of life of one channel's answer while it waits.

    `wait` starts typing once the wait has lasted `typing_after` seconds (best effort: only
    when the global budget, `requests`, has room to spare), renewed every `typing_every`
    seconds, and arms the holding line, posted once the
    wait has lasted `hold_after` seconds, in the first-text lane (it is the first thing the
    customer sees of the answer). `settle`, when the answer comes, stops both and hands over
    the holding line for the answer to edit.
    """

    channel: discord.abc.Messageable
    requests: GlobalBudget
    _: KW_ONLY
    hold_after: float = HOLD_AFTER
    typing_every: float = TYPING_EVERY
    typing_after: float = TYPING_AFTER
    _typing: asyncio.Task[None] | None = field(default=None, init=False)
    _line: asyncio.Task[None] | None = field(default=None, init=False)
    _posting: bool = field(default=False, init=False)
    _message: discord.Message | None = field(default=None, init=False)

    def typing(self) -> None:
        """Show typing until the answer comes (from `typing_after` seconds on), renewed while
        it lasts."""
        if self._typing is None:
            self._typing = asyncio.create_task(self._keep_typing(), name="typing")

    def wait(self) -> None:
        """The answer is delayed: typing now, the holding line once the wait lasts."""
        self.typing()
        if self._line is None and self._message is None:
            self._line = asyncio.create_task(self._hold(), name="holding-line")

    async def settle(self) -> discord.Message | None:
        """The answer is here: stop the signs; the holding line, if posted, to edit into
        the answer's first message."""
        await self._stop_typing()
        line, self._line = self._line, None
        if line is not None:
            if self._posting:
                await asyncio.shield(line)  # a posted line must not get lost mid-request
            else:
                line.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await line
        message, self._message = self._message, None
        return message

    async def close(self) -> None:
        """No answer took the holding line over (staff hold the ticket, a shutdown): it
        goes, so nothing promises an answer that is not coming now."""
        message = await self.settle()
        if message is not None:
            try:
                await message.delete()
            except discord.HTTPException:
                log.warning("could not remove a holding line in channel %s", message.channel.id)

    async def _keep_typing(self) -> None:
        await asyncio.sleep(self.typing_after)
        while True:
            if self.requests.quiet():
                try:
                    await self.channel.typing()
                except discord.HTTPException:
                    log.warning("could not show typing", exc_info=True)
            await asyncio.sleep(self.typing_every)

    async def _stop_typing(self) -> None:
        typing, self._typing = self._typing, None
        if typing is not None:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing

    async def _hold(self) -> None:
        await asyncio.sleep(self.hold_after)
        self._posting = True
        channel_id = getattr(self.channel, "id", 0)
        try:
            async with self.requests.slot(
                Lane.FIRST_TEXT, route=("POST", f"/channels/{channel_id}/messages")
            ):
                self._message = await self.channel.send(HOLDING, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not post a holding line in channel %s", channel_id)
        finally:
            self._posting = False
