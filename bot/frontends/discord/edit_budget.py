"""Request budgets, so replies streaming side by side never draw a 429.

Two limits of Discord's matter to a streaming bot. Each channel allows about 5 message
creates and 5 edits per 5 s (`ChannelBudget`, one per channel, shared by the replies in it),
and the whole bot 50 requests per second (`GlobalBudget`, one per bot). Past about 40
replies streaming at once the global limit, not the model, sets the pace: the global budget
then shares it fairly and uses all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import discord

# Discord allows 5 message creates and 5 edits per 5 s in each channel. The budget keeps one
# of each spare: discord.py holds back the call that spends a bucket's last request until the
# bucket resets (up to 5 s), which would stall the reply (and keep its global slot) that long.
CHANNEL_EDITS = 4
CHANNEL_SENDS = 4
CHANNEL_PERIOD = 5.0
# Discord's global limit: 50 requests per second per bot (interaction responses are exempt).
GLOBAL_REQUESTS = 50
GLOBAL_PERIOD = 1.0
# While replies wait for room, other requests (thread creations, notices, staff posts) still
# get one grant in this many, so new conversations keep opening without starving live ones.
OTHER_EVERY = 4
# Budgets beyond this many are dropped from the registry once idle, so it does not grow forever.
KEEP_BUDGETS = 256

TYPING_ROUTE = "/channels/{channel_id}/typing"
# Interaction endpoints are not bound by the global limit.
EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")

# Set while a request that already holds a global slot runs, so the HTTP hook lets it through.
_holding: contextvars.ContextVar[bool] = contextvars.ContextVar("holding_budget", default=False)


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
        counted = len(self._finished) + self._in_flight
        if counted >= self.limit:
            if self._finished:
                return self._finished[0] + self.period - now
            return None
        if self.burst is not None and counted >= self.burst and self._finished:
            wait = self._finished[-1] + self.period / self.limit - now
            if wait > 0:
                return wait
        return 0.0


class Lane(enum.IntEnum):
    """What a request is for; it decides the request's place in the global budget's queue."""

    FIRST_TEXT = 0  # the first message of a reply: the customer sees the answer start
    UPDATE = 1  # an edit (or a continuation message) of a streaming reply; the final text too
    OTHER = 2  # everything else: thread creations, notices, staff posts, fetches


class GlobalBudget:
    """Discord's global limit (`limit` requests in any `period`), shared fairly.

    Waiting requests are served by lane: first texts of replies first (oldest first), then
    updates of streaming replies, oldest unshown text first, so every reply waits about as
    long as the others and none is starved; other requests get one grant in `other_every`
    while replies wait, and only up to half the window when none does, leaving room for the
    first text of the replies they start. A typing indicator is best effort: it is sent only
    when the window is less than half used and no request waits, and skipped otherwise.

    `attach` puts every REST request of a discord.py client through the budget.
    """

    # Like RateWindow, a request counts from when it finished, so the window cannot open too
    # early however long a request took.

    def __init__(
        self,
        limit: int = GLOBAL_REQUESTS,
        period: float = GLOBAL_PERIOD,
        *,
        other_every: int = OTHER_EVERY,
    ) -> None:
        if limit < 2 or period <= 0 or other_every < 1:
            raise ValueError("a global budget needs a limit of at least 2 and a positive period")
        self.limit = limit
        self.period = period
        self.other_every = other_every
        # Room kept free of other requests and typing, for the first text of new replies.
        self.headroom = limit // 2
        self.granted: dict[Lane, int] = dict.fromkeys(Lane, 0)
        self.skipped_typing = 0
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._order = itertools.count()
        # (since, order, waiter) heaps for the reply lanes; a FIFO for the others.
        self._replies: dict[Lane, list[tuple[float, int, asyncio.Future[None]]]] = {
            Lane.FIRST_TEXT: [],
            Lane.UPDATE: [],
        }
        self._others: deque[asyncio.Future[None]] = deque()
        # Grants to replies since the other lane, waiting, last got one.
        self._owed_other = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    # ------------------------------------------------------------------ acquiring

    @contextlib.asynccontextmanager
    async def slot(
        self, lane: Lane = Lane.OTHER, since: float | None = None
    ) -> AsyncIterator[Slot]:
        """Wait for this lane's turn, then hold the room while the request runs.

        `since` orders the reply lanes: when the text the request will show first arrived.
        """
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if lane is Lane.OTHER:
            self._others.append(waiter)
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
        slot = Slot()
        try:
            with self.holding():
                yield slot
        finally:
            self._release(slot)

    def spare(self) -> Slot | None:
        """A slot at once if the window is quiet (less than half used, nobody waiting)."""
        if self._waiting() or self._room() <= self.headroom:
            return None
        self._in_flight += 1
        return Slot()

    @staticmethod
    @contextlib.contextmanager
    def holding() -> Iterator[None]:
        """Mark requests made in this block as already counted (the HTTP hook lets them by)."""
        token = _holding.set(True)
        try:
            yield
        finally:
            _holding.reset(token)

    def _release(self, slot: Slot) -> None:
        self._in_flight -= 1
        if slot.used:
            self._finished.append(time.monotonic())
        self._grant()

    # ------------------------------------------------------------------ scheduling

    def _room(self) -> int:
        now = time.monotonic()
        while self._finished and self._finished[0] + self.period <= now:
            self._finished.popleft()
        return self.limit - len(self._finished) - self._in_flight

    def _waiting(self) -> bool:
        self._drop_cancelled()
        return bool(self._others or self._replies[Lane.FIRST_TEXT] or self._replies[Lane.UPDATE])

    def _drop_cancelled(self) -> None:
        for heap in self._replies.values():
            while heap and heap[0][2].done():
                heapq.heappop(heap)
        while self._others and self._others[0].done():
            self._others.popleft()

    def _next_lane(self, room: int) -> Lane | None:
        """Whose turn it is, given `room` free requests in the window (None: nobody's yet)."""
        other = bool(self._others)
        if other and self._owed_other >= self.other_every - 1:
            return Lane.OTHER
        for lane in (Lane.FIRST_TEXT, Lane.UPDATE):
            if self._replies[lane]:
                return lane
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
            if lane is Lane.OTHER:
                waiter = self._others.popleft()
                self._owed_other = 0
            else:
                waiter = heapq.heappop(self._replies[lane])[2]
                if self._others:
                    self._owed_other += 1
            self._in_flight += 1
            waiter.set_result(None)

    def _wake_later(self) -> None:
        """Try again when the oldest counted request leaves the window."""
        if not self._finished:
            return  # only requests in flight hold the room: their release tries again
        at = self._finished[0] + self.period
        if self._timer is not None and self._timer_at <= at and not self._timer.cancelled():
            return
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer_at = at
        self._timer = loop.call_at(loop.time() + max(0.0, at - time.monotonic()), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._grant()

    # ------------------------------------------------------------------ the HTTP hook

    def attach(self, http: discord.http.HTTPClient) -> None:
        """Put every REST request of a discord.py client through this budget (once).

        Requests made by replies hold their slot already; typing indicators are best effort;
        interaction responses are exempt, as at Discord; everything else is an other request.
        """
        if getattr(http, "_global_budget", None) is not None:
            return
        request: Callable[..., Awaitable[Any]] = http.request

        async def budgeted(route: discord.http.Route, **kwargs: Any) -> Any:
            if _holding.get() or route.path.startswith(EXEMPT_PREFIXES):
                return await request(route, **kwargs)
            if route.path == TYPING_ROUTE:
                slot = self.spare()
                if slot is None:
                    self.skipped_typing += 1
                    return None
                try:
                    return await request(route, **kwargs)
                finally:
                    self._release(slot)
            async with self.slot(Lane.OTHER):
                return await request(route, **kwargs)

        setattr(http, "request", budgeted)  # noqa: B010 - an instance attribute shadows the method
        setattr(http, "_global_budget", self)  # noqa: B010


class ChannelBudget:
    """The message requests one channel may make: creates and edits are separate buckets.

    Each request also needs room in the bot's `GlobalBudget`, shared with every channel.
    """

    def __init__(
        self,
        *,
        edits: int = CHANNEL_EDITS,
        sends: int = CHANNEL_SENDS,
        period: float = CHANNEL_PERIOD,
        requests: GlobalBudget | None = None,
    ) -> None:
        # Past a short burst, edits spread evenly over the window: a reply streaming alone is
        # edited about every period / edits seconds, not in a burst followed by a long pause.
        self.edits = RateWindow(edits, period, burst=max(1, edits // 2))
        self.sends = RateWindow(sends, period)
        self.requests = requests if requests is not None else GlobalBudget()
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
    """The budget of each channel, shared by every reply streaming in it, and the global one."""

    def __init__(
        self,
        *,
        edits: int = CHANNEL_EDITS,
        sends: int = CHANNEL_SENDS,
        period: float = CHANNEL_PERIOD,
        requests: int = GLOBAL_REQUESTS,
        requests_period: float = GLOBAL_PERIOD,
    ) -> None:
        self._edits = edits
        self._sends = sends
        self._period = period
        self.requests = GlobalBudget(requests, requests_period)
        self._budgets: dict[int, ChannelBudget] = {}

    def attach(self, http: discord.http.HTTPClient) -> None:
        """Count every REST request of the client against the global budget."""
        self.requests.attach(http)

    def new_budget(self) -> ChannelBudget:
        """A channel budget with this registry's limits, shared with no other channel."""
        return ChannelBudget(
            edits=self._edits, sends=self._sends, period=self._period, requests=self.requests
        )

    def for_channel(self, channel: discord.abc.Messageable | int) -> ChannelBudget:
        """The budget of a channel (or channel id); one without an id gets its own.

        The first channel object seen attaches the global budget to its client's HTTP, if
        `attach` was not called at start.
        """
        http = getattr(getattr(channel, "_state", None), "http", None)
        if isinstance(http, discord.http.HTTPClient):
            self.attach(http)
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
