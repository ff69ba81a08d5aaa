"""A cog's periodic sweep: from when the bot is ready until it closes or the cog unloads.

What is due is read from the store each time, so a restart loses nothing; a failed sweep is
logged and the next one comes all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from discord.ext import commands

log = logging.getLogger(__name__)


@dataclass
class Sweeper:
    """Runs `sweep` every `seconds` once the bot is ready; `failure` is what the log says of a
    sweep that failed."""

    bot: commands.Bot
    sweep: Callable[[], Awaitable[object]]
    seconds: float
    failure: str
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    def start(self) -> None:
        """Start sweeping (from the cog's `cog_load`)."""
        self._task = asyncio.create_task(self._forever(), name=f"sweeper every {self.seconds:g}s")

    async def stop(self) -> None:
        """Stop sweeping (from the cog's `cog_unload`); a sweep under way is cancelled."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _forever(self) -> None:
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            try:
                await self.sweep()
            except Exception:
                log.exception(self.failure)
            await asyncio.sleep(self.seconds)
