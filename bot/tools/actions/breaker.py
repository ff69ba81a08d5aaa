"""A circuit breaker per operation: after repeated failures in a short time the tool is not
offered for a while, so the model stops promising what the API cannot do right now."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

FAILURES = 3
WINDOW_SECONDS = 60.0
OPEN_SECONDS = 300.0


@dataclass
class CircuitBreaker:
    """Counts one operation's failures; `FAILURES` within `WINDOW_SECONDS` open it for
    `OPEN_SECONDS` (logged once), after which it is offered again."""

    name: str
    failures: int = FAILURES
    window: float = WINDOW_SECONDS
    open_for: float = OPEN_SECONDS
    clock: Callable[[], float] = time.monotonic
    _recent: deque[float] = field(default_factory=deque)
    _open_until: float = 0.0

    def closed(self) -> bool:
        """Whether the operation may be offered and called now."""
        return self.clock() >= self._open_until

    def succeeded(self) -> None:
        """An answer came: the count starts again."""
        self._recent.clear()

    def failed(self) -> None:
        """A failure of the API (5xx, timeout, refused connection)."""
        now = self.clock()
        self._recent.append(now)
        while self._recent and self._recent[0] < now - self.window:
            self._recent.popleft()
        if len(self._recent) >= self.failures and self.closed():
            self._open_until = now + self.open_for
            self._recent.clear()
            log.warning(
                "action %s failed %d times within %.0f s: not offered for %.0f s",
                self.name,
                self.failures,
                self.window,
                self.open_for,
            )
