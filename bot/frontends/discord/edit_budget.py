"""Per-channel request budgets, so replies streaming side by side never draw a 429."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator

import discord

# Discord allows about 5 message creates and 5 message edits per 5 s in each channel.
CHANNEL_EDITS = 5
CHANNEL_SENDS = 5
CHANNEL_PERIOD = 5.0
# Budgets beyond this many are dropped from the registry once idle, so it does not grow forever.
KEEP_BUDGETS = 256


class Slot:
    """Permission for one request; set `used` to False when no request was made after all."""

    def __init__(self) -> None:
        self.used = True


class RateWindow:
    """At most `limit` requests in any `period` seconds, granted first come, first served."""

    # A request's time is when it finished, not when it started: Discord counts it on
    # arrival, somewhere in between, so a window counted from the ends never opens too early.

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a rate window needs a limit of at least 1 and a positive period")
        self.limit = limit
        self.period = period
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._waiting = 0
        self._turn = asyncio.Lock()
        self._released = asyncio.Event()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """Wait for room, then hold it while the request runs."""
        self._waiting += 1
        try:
            # asyncio.Lock wakes its waiters in order, so no reply is starved by the others.
            async with self._turn:
                while (delay := self._delay()) != 0.0:
                    self._released.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._released.wait(), delay)
                self._in_flight += 1
        finally:
            self._waiting -= 1
        slot = Slot()
        try:
            yield slot
        finally:
            self._in_flight -= 1
            if slot.used:
                self._finished.append(time.monotonic())
            self._released.set()

    def idle(self) -> bool:
        """Whether nothing is waiting, running or still counted."""
        self._forget_expired(time.monotonic())
        return self._waiting == 0 and self._in_flight == 0 and not self._finished

    def _forget_expired(self, now: float) -> None:
        while self._finished and self._finished[0] + self.period <= now:
            self._finished.popleft()

    def _delay(self) -> float | None:
        """0 if a request may start now, else how long until one may (None: until one ends)."""
        now = time.monotonic()
        self._forget_expired(now)
        if len(self._finished) + self._in_flight < self.limit:
            return 0.0
        if self._finished:
            return self._finished[0] + self.period - now
        return None


class ChannelBudget:
    """The message requests one channel may make: creates and edits are separate buckets."""

    def __init__(
        self,
        *,
        edits: int = CHANNEL_EDITS,
        sends: int = CHANNEL_SENDS,
        period: float = CHANNEL_PERIOD,
    ) -> None:
        self.edits = RateWindow(edits, period)
        self.sends = RateWindow(sends, period)
        self._reported: set[str] = set()

    def first_report(self, problem: str) -> bool:
        """True the first time a problem (e.g. a missing permission) is reported here."""
        if problem in self._reported:
            return False
        self._reported.add(problem)
        return True

    def idle(self) -> bool:
        """Whether dropping this budget would lose nothing (a report would be repeated)."""
        return self.edits.idle() and self.sends.idle() and not self._reported


class EditBudgets:
    """The budget of each channel, shared by every reply streaming in it."""

    def __init__(
        self,
        *,
        edits: int = CHANNEL_EDITS,
        sends: int = CHANNEL_SENDS,
        period: float = CHANNEL_PERIOD,
    ) -> None:
        self._edits = edits
        self._sends = sends
        self._period = period
        self._budgets: dict[int, ChannelBudget] = {}

    def new_budget(self) -> ChannelBudget:
        """A budget with this registry's limits, shared with no one."""
        return ChannelBudget(edits=self._edits, sends=self._sends, period=self._period)

    def for_channel(self, channel: discord.abc.Messageable | int) -> ChannelBudget:
        """The budget of a channel (or channel id); one without an id gets its own."""
        channel_id = channel if isinstance(channel, int) else getattr(channel, "id", None)
        if not isinstance(channel_id, int):
            return self.new_budget()
        budget = self._budgets.get(channel_id)
        if budget is None:
            if len(self._budgets) >= KEEP_BUDGETS:
                self._forget_idle()
            budget = self._budgets[channel_id] = self.new_budget()
        return budget

    def __len__(self) -> int:
        return len(self._budgets)

    def _forget_idle(self) -> None:
        for channel_id in [key for key, budget in self._budgets.items() if budget.idle()]:
            del self._budgets[channel_id]
