"""The bot's global request budget: Discord's 50 requests per second, shared fairly.

Past about 40 replies streaming at once the global limit, not the model, sets the pace: the
budget then uses all of it, first words first (a new conversation's thread and first texts go
before further edits of replies customers already see: their next edit can wait a moment, a
first word cannot), then the updates, oldest unshown text first, while other requests still
get a regular turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import heapq
import itertools
import math
import time
from collections import Counter, deque
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.engine.limiter import SlidingWindow
from bot.frontends.discord.streaming.rate_window import Slot
from bot.frontends.discord.streaming.routes import EXEMPT_PREFIXES, THREAD_START, Route, api_path

# Discord's global limit: 50 requests per second per bot (interaction responses are exempt).
GLOBAL_REQUESTS = 50
GLOBAL_PERIOD = 1.0
# While updates of replies wait for room, other requests (notices, staff posts, removals)
# still get one grant in this many.
OTHER_EVERY = 4
# Past this many requests in the window, grants are spread evenly (period / limit apart)
# rather than spending the window at once and then pausing until it passes: a conversation's
# opening (its thread, its words, its first text, one after the other) then flows request
# by request instead of waiting a whole window at each step.
GLOBAL_BURST = 25
# How long a visible reply's unshown text may wait while first words go first: past it, its
# update takes turns with new conversations' threads (a first text still goes before both).
UPDATE_PATIENCE = 3.0


class Lane(enum.IntEnum):
    """What a request is for; it decides the request's place in the global budget's queue."""

    FIRST_TEXT = 0  # a first word: a reply's first message, a new conversation's carried words
    OPENING = 1  # a new conversation's thread (or the customer's admission to it)
    UPDATE = 2  # an edit (or a continuation message) of a streaming reply; the final text too
    OTHER = 3  # everything else: notices, staff posts, deletions, fetches


class GlobalBudget:
    """Discord's global limit (`limit` requests in any `period`), shared fairly.

    Waiting requests are served by lane: first words first (first texts oldest first, then
    new conversations' threads), then updates of streaming replies, oldest unshown text
    first, so every reply waits about as long as the others and none is starved; other
    requests get one grant in `other_every` while updates wait, and only up to half the
    window when none does, leaving room for the first text of the replies they start. A
    typing indicator is best effort: it is sent only when the window is less than half used
    and no request waits, and skipped otherwise.

    `trace_config` puts every REST request of a discord.py client through the budget, by
    discord.py's own `http_trace` seam: a request waits for its turn before it is sent, and
    counts from when it finished. A streaming reply asks for its slot itself (with the
    priority of its text) and names the request it will make; that request then passes.
    """

    def __init__(
        self,
        limit: int = GLOBAL_REQUESTS,
        period: float = GLOBAL_PERIOD,
        *,
        other_every: int = OTHER_EVERY,
        burst: int = GLOBAL_BURST,
        patience: float = UPDATE_PATIENCE,
    ) -> None:
        if limit < 2 or period <= 0 or other_every < 1:
            raise ValueError("a global budget needs a limit of at least 2 and a positive period")
        self.limit = limit
        self.period = period
        self.other_every = other_every
        self.burst = burst
        self.patience = patience
        # Room kept free of other requests and typing, for the first text of new replies.
        self.headroom = limit // 2
        self.granted: dict[Lane, int] = dict.fromkeys(Lane, 0)
        self._finished = SlidingWindow(limit, period)
        self._in_flight = 0
        self._order = itertools.count()
        # (since, order, waiter) heaps for the reply lanes; a FIFO for the others.
        self._replies: dict[Lane, list[tuple[float, int, asyncio.Future[None]]]] = {
            Lane.FIRST_TEXT: [],
            Lane.UPDATE: [],
        }
        self._others: deque[asyncio.Future[None]] = deque()
        self._openings: deque[asyncio.Future[None]] = deque()
        # Grants to replies since the other lane, waiting, last got one.
        self._owed_other = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._granted_at = -math.inf
        # Whether a stale update goes before the next thread (they take turns).
        self._update_turn = False
        # Requests a reply's slot paid for, by route, so the HTTP hook lets them pass.
        self._paid: Counter[Route] = Counter()

    # ------------------------------------------------------------------ acquiring

    @contextlib.asynccontextmanager
    async def slot(
        self, lane: Lane = Lane.OTHER, since: float | None = None, *, route: Route | None = None
    ) -> AsyncIterator[Slot]:
        """Wait for this lane's turn, then hold the room while the request runs.

        `since` orders the reply lanes: when the text the request will show first arrived.
        `route` names the request the holder will make, so the HTTP hook does not count it
        a second time.
        """
        slot = await self._wait_for_turn(lane, since)
        if route is not None:
            self._paid[route] += 1
        try:
            yield slot
        finally:
            if route is not None and self._paid[route]:
                # The request was never made (or was, and the hook left it paid): unpay it.
                self._paid[route] -= 1
            self._release(slot)

    async def _wait_for_turn(self, lane: Lane, since: float | None) -> Slot:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if lane is Lane.OTHER:
            self._others.append(waiter)
        elif lane is Lane.OPENING:
            self._openings.append(waiter)
        else:
            at = time.monotonic() if since is None else since
            heapq.heappush(self._replies[lane], (at, next(self._order), waiter))
        self._grant()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._in_flight -= 1  # granted, then cancelled before it could run
                self._grant()
            raise
        self.granted[lane] += 1
        return Slot()

    def quiet(self) -> bool:
        """Whether the window has room to spare: less than half used and nobody waiting
        (a typing indicator is worth sending only then)."""
        return not self._waiting() and self._room() > self.headroom

    def _release(self, slot: Slot) -> None:
        self._in_flight -= 1
        if slot.used:
            self._finished.record()
        self._grant()

    # ------------------------------------------------------------------ scheduling

    def _room(self) -> int:
        return self._finished.room(self._in_flight)

    def _waiting(self) -> bool:
        self._drop_cancelled()
        return bool(
            self._others
            or self._openings
            or self._replies[Lane.FIRST_TEXT]
            or self._replies[Lane.UPDATE]
        )

    def _drop_cancelled(self) -> None:
        for heap in self._replies.values():
            while heap and heap[0][2].done():
                heapq.heappop(heap)
        for queue in (self._others, self._openings):
            while queue and queue[0].done():
                queue.popleft()

    def _next_lane(self, room: int) -> Lane | None:
        """Whose turn it is, given `room` free requests in the window (None: nobody's yet)."""
        # First words first: a first text, then a new conversation's thread; an update whose
        # text has waited past `patience` takes turns with the threads.
        if self._replies[Lane.FIRST_TEXT]:
            return Lane.FIRST_TEXT
        updates = self._replies[Lane.UPDATE]
        stale = bool(updates) and updates[0][0] <= self._finished.clock() - self.patience
        if stale and (not self._openings or self._update_turn):
            return Lane.UPDATE
        if self._openings:
            return Lane.OPENING
        other = bool(self._others)
        if other and self._owed_other >= self.other_every - 1:
            return Lane.OTHER
        if self._replies[Lane.UPDATE]:
            return Lane.UPDATE
        if other and room > self.headroom:
            return Lane.OTHER
        return None

    def _grant(self) -> None:
        """Wake as many waiters as there is room for, in turn; set a timer for the rest."""
        while True:
            self._drop_cancelled()
            if not self._waiting():
                return
            room = self._room()
            lane = self._next_lane(room) if room > 0 else None
            if lane is None:
                self._wake_later()
                return
            pause = self._pause()
            if pause > 0:
                self._wake_later(self._finished.clock() + pause)
                return
            if lane is Lane.OTHER:
                waiter = self._others.popleft()
                self._owed_other = 0
            elif lane is Lane.OPENING:
                waiter = self._openings.popleft()
                self._update_turn = True
            else:
                waiter = heapq.heappop(self._replies[lane])[2]
                if lane is Lane.UPDATE:
                    self._update_turn = False
                    if self._others:
                        self._owed_other += 1
            self._in_flight += 1
            self._granted_at = self._finished.clock()
            waiter.set_result(None)

    def _pause(self) -> float:
        """Seconds until the next grant may go (0: now): past `burst` requests in the window,
        grants go `period / limit` apart."""
        if self._finished.count() + self._in_flight < self.burst:
            return 0.0
        return max(0.0, self._granted_at + self.period / self.limit - self._finished.clock())

    def _wake_later(self, at: float | None = None) -> None:
        """Try again at `at`, or when the oldest counted request leaves the window."""
        if at is None:
            at = self._finished.opens_at()
        if at is None:
            return  # only requests in flight hold the room: their release tries again
        if self._timer is not None and self._timer_at <= at and not self._timer.cancelled():
            return
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer_at = at
        wait = max(0.0, at - self._finished.clock())
        self._timer = loop.call_at(loop.time() + wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._grant()

    # ------------------------------------------------------------------ the HTTP hook

    def trace_config(self) -> aiohttp.TraceConfig:
        """Hooks for discord.py's `http_trace`: every REST request waits for its turn here.

        Interaction responses and webhooks are exempt, as at Discord; requests outside the
        API (the gateway, attachment downloads) are not counted. A request a reply's slot
        already paid for passes at once.
        """
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._on_request_start)
        config.on_request_end.append(self._on_request_done)
        config.on_request_exception.append(self._on_request_done)
        return config

    async def _on_request_start(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        context.slot = None
        path = api_path(params.url)
        if path is None or path.startswith(EXEMPT_PREFIXES):
            return
        route = (params.method, path)
        if self._paid[route]:
            self._paid[route] -= 1
            return
        lane = Lane.OPENING if THREAD_START.match(path) else Lane.OTHER
        context.slot = await self._wait_for_turn(lane, None)

    async def _on_request_done(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        slot = getattr(context, "slot", None)
        if slot is not None:
            context.slot = None
            self._release(slot)
