"""A cog's periodic sweep: from when the bot is ready until it closes or the cog unloads.

What is due is read from the store each time, so a restart loses nothing; a failed sweep is
logged and the next one comes all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from discord.ext import commands


class Sweeper:
    """Runs `sweep` every `seconds` (`failure` is what the log says when one fails)."""

    def __init__(
        self,
        bot: commands.Bot,
        sweep: Callable[[], Awaitable[object]],
        *,
        seconds: float,
        name: str,
        failure: str,
        log: logging.Logger,
    ) -> None:
        self._bot = bot
        self._sweep = sweep
        self._seconds = seconds
        self._name = name
        self._failure = failure
        self._log = log
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sweeping (from the cog's `cog_load`)."""
        self._task = asyncio.create_task(self._forever(), name=self._name)

    async def stop(self) -> None:
        """Stop sweeping (from the cog's `cog_unload`); a sweep under way is cancelled."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _forever(self) -> None:
        await self._bot.wait_until_ready()
        while not self._bot.is_closed():
            try:
                await self._sweep()
            except Exception:
                self._log.exception(self._failure)
            await asyncio.sleep(self._seconds)
