"""The one sliding window: at most `limit` events in any `period` seconds.

Everything that paces counts on it: the engine's turns per customer (`SlidingWindowLimiter`)
and the Discord frontend's request budgets (per channel and global).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

PRUNE_AT = 1024

Clock = Callable[[], float]


class SlidingWindow:
    """Events counted over the last `period` seconds: how long until the next may pass,
    record one, forget the expired.

    `in_flight` events (started, not yet recorded) fill the window as well. With `burst`,
    once that many are counted the next ones are spread out, `period / limit` seconds after
    the last one recorded, rather than spending the window at once and then pausing.
    """

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        burst: int | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.limit = limit
        self.period = period
        self.burst = burst
        self.clock = clock
        self._times: deque[float] = deque()

    def count(self) -> int:
        """How many recorded events are still within the window."""
        now = self.clock()
        while self._times and self._times[0] + self.period <= now:
            self._times.popleft()
        return len(self._times)

    def room(self, in_flight: int = 0) -> int:
        """How many more events may pass now."""
        return self.limit - self.count() - in_flight

    def delay(self, in_flight: int = 0) -> float | None:
        """0 if one more event may pass now, else the seconds until one may (None: only
        events in flight fill the window, so not before one of them is recorded)."""
        counted = self.count() + in_flight
        now = self.clock()
        if counted >= self.limit:
            if self._times:
                return self._times[0] + self.period - now
            return None
        if self.burst is not None and counted >= self.burst and self._times:
            wait = self._times[-1] + self.period / self.limit - now
            if wait > 0:
                return wait
        return 0.0

    def record(self) -> None:
        """Count one event, now."""
        self._times.append(self.clock())

    def opens_at(self) -> float | None:
        """When the oldest recorded event leaves the window (None: none is recorded)."""
        return self._times[0] + self.period if self._times else None


class SlidingWindowLimiter:
    """At most `max_events` per key within any `window` seconds."""

    def __init__(self, max_events: int, window: float, clock: Clock = time.monotonic) -> None:
        self._max = max_events
        self._window = window
        self._clock = clock
        self._events: dict[str, SlidingWindow] = {}
        self._prune_at = PRUNE_AT

    def hit(self, key: str) -> float | None:
        """Count an event; None when allowed, else the seconds until the next one would be."""
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = SlidingWindow(self._max, self._window, clock=self._clock)
        wait = events.delay()
        if wait != 0.0:
            return self._window if wait is None else wait
        events.record()
        if len(self._events) > self._prune_at:
            # Memory follows the customers active in the window, not everyone ever seen.
            self.forget_idle()
            self._prune_at = max(PRUNE_AT, 2 * len(self._events))
        return None

    def forget_idle(self) -> None:
        """Drop keys with no recent events, so memory follows active customers only."""
        for key in [k for k, events in self._events.items() if not events.count()]:
            del self._events[key]
