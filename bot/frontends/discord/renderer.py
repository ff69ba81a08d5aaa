"""Streams a reply into Discord messages: first text at once, then throttled edits."""

from __future__ import annotations

import asyncio
import logging
import time

import discord

from bot.frontends.discord.splitter import DISCORD_LIMIT, split_message

log = logging.getLogger(__name__)

CURSOR = " ▌"
EDIT_INTERVAL = 1.0
NO_MENTIONS = discord.AllowedMentions.none()


class StreamingReply:
    """One reply in a channel: a message per 2000-character part, edited as text grows.

    A single task does every send and edit of the reply, so there is never more than one
    request in flight for it; each message is edited at most once per `edit_interval`, and
    text arriving in between is coalesced into the next edit. The final edit of each message
    holds exactly its part, without the progress cursor.
    """

    def __init__(
        self,
        channel: discord.abc.Messageable,
        *,
        edit_interval: float = EDIT_INTERVAL,
        limit: int = DISCORD_LIMIT,
    ) -> None:
        self._channel = channel
        self._interval = edit_interval
        self._limit = limit
        self._text = ""
        self._finished = False
        self._messages: list[discord.Message] = []
        self._shown: list[str] = []
        self._edited_at: list[float] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def text(self) -> str:
        """The reply text so far."""
        return self._text

    @property
    def messages(self) -> list[discord.Message]:
        """The messages sent for the reply, in order."""
        return list(self._messages)

    def append(self, text: str) -> None:
        """Add streamed text; it shows at once if nothing is shown yet, else at the next edit."""
        if not text:
            return
        self._text += text
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="streaming-reply")

    async def finish(self, notice: str = "") -> list[discord.Message]:
        """Add a closing notice if any, bring every message to its final text, and return them."""
        if notice:
            self.append(f"\n\n{notice}" if self._text.strip() else notice)
        self._finished = True
        self._wake.set()
        if self._task is not None:
            await self._task
        return self.messages

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            wait = await self._sync()
            if wait is None:
                # Text or the finish may have arrived while a request was in flight.
                if self._finished and not self._wake.is_set():
                    return
                continue
            # Too soon to edit again: let more text gather, then sync once.
            await asyncio.sleep(wait)
            self._wake.set()

    async def _sync(self) -> float | None:
        """Send or edit what is due; return how long until a throttled edit may go, if any."""
        parts = split_message(self._text, self._limit)
        wait: float | None = None
        for index, part in enumerate(parts):
            display = part
            is_live = index == len(parts) - 1 and not self._finished
            if is_live and len(part) + len(CURSOR) <= self._limit:
                display = part + CURSOR
            if not display.strip():
                continue
            if index >= len(self._messages):
                message = await self._channel.send(display, allowed_mentions=NO_MENTIONS)
                self._messages.append(message)
                self._shown.append(display)
                self._edited_at.append(time.monotonic())
                continue
            if self._shown[index] == display:
                continue
            due_in = self._edited_at[index] + self._interval - time.monotonic()
            if due_in > 0:
                wait = due_in if wait is None else min(wait, due_in)
                continue
            await self._messages[index].edit(content=display, allowed_mentions=NO_MENTIONS)
            self._shown[index] = display
            self._edited_at[index] = time.monotonic()
        return wait
