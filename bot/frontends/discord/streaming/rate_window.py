"""Requests paced by a sliding window: at most `limit` in any `period`, first come, first served."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.engine.limiter import SlidingWindow


class Slot:
    """Permission for one request; set `used` to False when no request was made after all."""

    def __init__(self) -> None:
        self.used = True


class RateWindow:
    """At most `limit` requests in any `period` seconds, granted first come, first served.

    With `burst`, once that many requests are counted in the window the next ones are spread
    out, `period / limit` seconds after the last one finished, rather than spending the window
    at once and then pausing until it passes.
    """

    # A request's time is when it finished, not when it started: Discord counts it on
    # arrival, somewhere in between, so a window counted from the ends never opens too early.

    def __init__(self, limit: int, period: float, *, burst: int | None = None) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a rate window needs a limit of at least 1 and a positive period")
        self.limit = limit
        self.period = period
        self.burst = burst
        self._finished = SlidingWindow(limit, period, burst=burst)
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
                self._finished.record()
            self._released.set()

    def idle(self) -> bool:
        """Whether nothing is waiting, running or still counted."""
        return self._waiting == 0 and self._in_flight == 0 and not self._finished.count()

    def _delay(self) -> float | None:
        """0 if a request may start now, else how long until one may (None: until one ends)."""
        return self._finished.delay(self._in_flight)
