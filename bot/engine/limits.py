"""Abuse and cost limits: how often one customer may write."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

PRUNE_AT = 1024


class SlidingWindowLimiter:
    """At most `max_events` per key within any `window` seconds."""

    def __init__(
        self, max_events: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max = max_events
        self._window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._prune_at = PRUNE_AT

    def hit(self, key: str) -> float | None:
        """Count an event; None when allowed, else the seconds until the next one would be."""
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= self._max:
            return events[0] + self._window - now
        events.append(now)
        if len(self._events) > self._prune_at:
            # Memory follows the customers active in the window, not everyone ever seen.
            self.forget_idle()
            self._prune_at = max(PRUNE_AT, 2 * len(self._events))
        return None

    def forget_idle(self) -> None:
        """Drop keys with no recent events, so memory follows active customers only."""
        now = self._clock()
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self._window]:
            del self._events[key]


@dataclass(frozen=True)
class CustomerLimits:
    """What one customer gets: turns a minute, model tokens a day, characters and images a
    message. Messages are never refused for pace: over `turns_per_minute`, the next turn
    waits and then answers every message that arrived meanwhile."""

    turns_per_minute: int
    daily_tokens: int  # 0: no cap
    max_message_chars: int
    max_images: int
