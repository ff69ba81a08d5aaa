"""Streams a reply into Discord messages: first text at once, then throttled edits."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from typing import Any

import aiohttp
import discord

from bot.frontends.discord.permissions import missing_permission
from bot.frontends.discord.streaming.edit_budget import ChannelBudget
from bot.frontends.discord.streaming.global_budget import Lane
from bot.frontends.discord.streaming.splitter import DISCORD_LIMIT, split_message

log = logging.getLogger(__name__)

CURSOR = " ▌"
EDIT_INTERVAL = 1.0
NO_MENTIONS = discord.AllowedMentions.none()
# The final text is worth a few tries: about 3.5 s of backoff in all before giving up.
FINAL_ATTEMPTS = 4
RETRY_BACKOFF = 0.5
# Failures that may pass: Discord's 5xx (discord.py itself retries only 500, 502, 504
# and 524, and waits out 429s), dropped connections and timeouts.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    discord.DiscordServerError,
    aiohttp.ClientError,
    OSError,
    TimeoutError,
)


class StreamingReply:
    """One reply in a channel: a message per 2000-character part, edited as text grows."""

    # A single task does every send and edit of the reply, so there is never more than one
    # request in flight for it; each message is edited at most once per `edit_interval`, and
    # every request waits for room in the channel's budget, shared with the other replies
    # there, and in the bot's global budget, shared with every channel: the first message of
    # a reply goes ahead of updates, and updates go oldest unshown text first, so under load
    # every reply is updated in turn. Text arriving meanwhile is coalesced: a request carries
    # the text of the moment it may go. The final text of each message, without the progress
    # cursor, is retried on transient failures; a missing permission is logged once per
    # channel and permission.

    def __init__(
        self,
        channel: discord.abc.Messageable,
        *,
        edit_interval: float = EDIT_INTERVAL,
        limit: int = DISCORD_LIMIT,
        budget: ChannelBudget | None = None,
        final_attempts: int = FINAL_ATTEMPTS,
        retry_backoff: float = RETRY_BACKOFF,
    ) -> None:
        self._channel = channel
        self._interval = edit_interval
        self._limit = limit
        self._budget = budget if budget is not None else ChannelBudget()
        self._final_attempts = max(final_attempts, 1)
        self._backoff = retry_backoff
        self._text = ""
        self._finished = False
        # Keyed by part index: a blank part gets no message, and the others keep their place.
        self._messages: dict[int, discord.Message] = {}
        self._shown: dict[int, str] = {}
        self._edited_at: dict[int, float] = {}
        self._nonces: dict[int, int] = {}
        self._forbidden = False
        self._gave_up = False
        # (length of the text, when it arrived) for text no request has shown yet.
        self._unshown: deque[tuple[int, float]] = deque()
        self._shown_upto = 0
        self._finish_at: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Set before `finish`: the view the last message gets with its final text.
        self.final_view: discord.ui.View | None = None
        self.view_shown = False

    @property
    def text(self) -> str:
        """The reply text so far."""
        return self._text

    @property
    def messages(self) -> list[discord.Message]:
        """The messages sent for the reply, in order."""
        return [self._messages[index] for index in sorted(self._messages)]

    def adopt(self, message: discord.Message) -> None:
        """Write the reply's first part into `message` (a holding line already shown)
        instead of sending a new one; before any text is appended."""
        if self._task is None and 0 not in self._messages:
            self._messages[0] = message

    def append(self, text: str) -> None:
        """Add streamed text; it shows at once if nothing is shown yet, else at the next edit."""
        if not text:
            return
        self._text += text
        self._unshown.append((len(self._text), time.monotonic()))
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="streaming-reply")

    def restart(self) -> None:
        """Start the reply over: the text appended next replaces what its messages show
        (at the next edit, within the same budgets)."""
        self._text = ""
        self._unshown.clear()
        self._shown_upto = 0

    async def finish(self, notice: str = "") -> list[discord.Message]:
        """Add a closing notice if any, bring every message to its final text, and return them."""
        # A final text still failing after the retries raises; a missing permission is logged.
        if notice:
            self.append(f"\n\n{notice}" if self._text.strip() else notice)
        self._finished = True
        self._finish_at = time.monotonic()
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
            # Too soon to write again: let more text gather, then sync once.
            await asyncio.sleep(wait)
            self._wake.set()

    def _displays(self) -> list[str]:
        """What each message should show now: its part, the last one with the cursor if live."""
        parts = split_message(self._text, self._limit)
        last = len(parts) - 1
        if not self._finished and len(parts[last]) + len(CURSOR) <= self._limit:
            parts[last] += CURSOR
        return parts

    async def _sync(self) -> float | None:
        """Send or edit what is due, in order; return how long until a held write may go."""
        wait: float | None = None
        index = 0
        while True:
            if self._gave_up or (self._forbidden and not self._finished):
                # Refused: stay quiet until the finish makes one last attempt.
                return None
            displays = self._displays()
            if index >= len(displays):
                return wait
            display = displays[index]
            if not display.strip() or self._shown.get(index) == display:
                index += 1
                continue
            if index in self._edited_at:
                due_in = self._edited_at[index] + self._interval - time.monotonic()
                if due_in > 0:
                    wait = due_in if wait is None else min(wait, due_in)
                    index += 1
                    continue
            if not await self._write(index):
                # Parts go out in order, so a failed one holds back the rest until it lands.
                return self._interval if wait is None else min(wait, self._interval)
            index += 1

    async def _write(self, index: int) -> bool:
        """Send or edit one message with its latest text; False if it should be tried later."""
        attempt = 0
        while True:
            attempt += 1
            sending = index not in self._messages
            window = self._budget.sends if sending else self._budget.edits
            lane = Lane.UPDATE if self._edited_at else Lane.FIRST_TEXT
            route = self._route(index, sending=sending)
            async with (
                window.slot() as slot,
                self._budget.requests.slot(lane, self._waiting_since(), route=route) as request,
            ):
                # The wait for room may have been long: write the text of now, not of then.
                displays = self._displays()
                display = displays[index]
                final = self._finished
                if self._shown.get(index) == display:
                    slot.used = request.used = False
                    return True
                shown_upto = len(self._text) if index == len(displays) - 1 else None
                view = self.final_view if final and index == len(displays) - 1 else None
                try:
                    await self._request(index, display, sending=sending, view=view)
                except discord.Forbidden as exc:
                    self._report_forbidden(exc)
                    # A second refusal, or one of the final text, is the end of this reply.
                    self._gave_up = self._forbidden or final
                    self._forbidden = True
                    return True
                except TRANSIENT_ERRORS as exc:
                    if not final:
                        log.warning(
                            "could not update a reply in channel %s, will retry: %r",
                            _channel_id(self._channel),
                            exc,
                        )
                        return False
                    if attempt >= self._final_attempts:
                        raise
                    delay = self._backoff * 2 ** (attempt - 1)
                    log.warning(
                        "could not write the final text in channel %s (try %d of %d), "
                        "retrying in %.1fs: %r",
                        _channel_id(self._channel),
                        attempt,
                        self._final_attempts,
                        delay,
                        exc,
                    )
                else:
                    if not self._shown:
                        self._budget.note_shown()  # the reply's first text is there
                    self._shown[index] = display
                    self._edited_at[index] = time.monotonic()
                    self.view_shown = self.view_shown or view is not None
                    if shown_upto is not None:
                        self._shown_upto = max(self._shown_upto, shown_upto)
                    return True
            # Back off outside the slot, so other replies in the channel are not held up.
            await asyncio.sleep(delay)

    def _route(self, index: int, *, sending: bool) -> tuple[str, str]:
        """The request a write makes, as the global budget's HTTP hook will see it."""
        channel_id = _channel_id(self._channel)
        if sending:
            return ("POST", f"/channels/{channel_id}/messages")
        return ("PATCH", f"/channels/{channel_id}/messages/{self._messages[index].id}")

    def _waiting_since(self) -> float:
        """When the oldest text no request has shown arrived (or the finish, or now)."""
        while self._unshown and self._unshown[0][0] <= self._shown_upto:
            self._unshown.popleft()
        if self._unshown:
            return self._unshown[0][1]
        return self._finish_at if self._finish_at is not None else time.monotonic()

    async def _request(
        self, index: int, display: str, *, sending: bool, view: discord.ui.View | None
    ) -> None:
        extra: dict[str, Any] = {} if view is None else {"view": view}
        if sending:
            # Discord keeps the first message per nonce: a retried send cannot post twice.
            nonce = self._nonces.setdefault(index, secrets.randbits(63))
            self._messages[index] = await self._channel.send(
                display, allowed_mentions=NO_MENTIONS, nonce=nonce, **extra
            )
        else:
            await self._messages[index].edit(content=display, allowed_mentions=NO_MENTIONS, **extra)

    def _report_forbidden(self, exc: discord.Forbidden) -> None:
        """Log a refusal once per channel and permission: it needs a person, not retries."""
        permission = missing_permission(self._channel, exc)
        if self._budget.first_report(f"missing permission {permission}"):
            log.error(
                "Missing permission %s in channel %s: %s (error code %d)",
                permission,
                _channel_id(self._channel),
                exc.text or exc,
                exc.code,
            )


def _channel_id(channel: discord.abc.Messageable) -> object:
    return getattr(channel, "id", "?")
