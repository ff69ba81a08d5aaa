"""Discord's cooldowns on thread creation: seen as they come, waited out without asking again.

Discord limits thread creation without publishing the figure; past it, `POST
/channels/{id}/threads` is answered with a 429 of `X-RateLimit-Scope: shared` whose retry-after
can last minutes (219 s and 280 s have been reported). discord.py then sleeps that long and
retries once, silently. The bot sees the 429 through discord.py's `http_trace` seam (the
same one the global request budget uses), so it can tell the customer at once, and holds
every other thread creation in that channel until the cooldown ends: the one request
discord.py retries is the only one made when it does, and the others follow once one has
gone through (no storm of requests each drawing its own 429).

`max_ratelimit_timeout` was the other way to see it: discord.py then raises `RateLimited` (not
an `HTTPException`) from any request whose wait is longer, at least 30 s, so every `except
discord.HTTPException` of the bot would let it through, and it only helps past 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.frontends.discord.streaming.routes import api_path

# A thread creation: standalone (a private thread) or from a message (a public one).
THREAD_CREATION = re.compile(r"^/channels/(\d+)/(?:messages/\d+/)?threads$")

Clock = Callable[[], float]


def retry_after(headers: Any) -> float | None:
    """The seconds a 429 asks to wait, from its headers (`Retry-After`, whole seconds rounded
    up, is always there; the body's exact figure is discord.py's to read)."""
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value)
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


class ThreadCooldowns:
    """Cooldowns Discord set on thread creation, by channel."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[int, float] = {}
        # Channels where a cooldown was seen and no creation has gone through since.
        self._cautious: set[int] = set()
        self._probes: dict[int, asyncio.Lock] = {}
        self._seen: dict[int, asyncio.Event] = {}

    def observe(self, config: aiohttp.TraceConfig) -> aiohttp.TraceConfig:
        """Watch every response of discord.py's HTTP client for a thread-creation 429."""
        config.on_request_end.append(self._on_request_end)
        return config

    async def _on_request_end(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        response = params.response
        if params.method != "POST" or response.status != 429:
            return
        path = api_path(params.url)
        found = THREAD_CREATION.match(path or "")
        if found is None or response.headers.get("X-RateLimit-Global"):
            return
        wait = retry_after(response.headers)
        if wait is not None:
            self.cooled(int(found[1]), wait)

    def cooled(self, channel_id: int, seconds: float) -> None:
        """Discord asked for `seconds` before the next thread creation in the channel."""
        until = self._clock() + seconds
        self._until[channel_id] = max(until, self._until.get(channel_id, 0.0))
        self._cautious.add(channel_id)
        self._seen_event(channel_id).set()

    def left(self, channel_id: int) -> float:
        """Seconds until thread creation in the channel may be tried again (0: now)."""
        until = self._until.get(channel_id)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._until[channel_id]
            return 0.0
        return left

    async def seen(self, channel_id: int) -> None:
        """Return once a cooldown is in force in the channel (at once if one is)."""
        if self.left(channel_id) > 0:
            return
        event = self._seen_event(channel_id)
        event.clear()
        await event.wait()

    @contextlib.asynccontextmanager
    async def creating(self, channel_id: int) -> AsyncIterator[None]:
        """Hold a thread creation until the channel's cooldown ends; after one, creations go
        one at a time until one has gone through."""
        while True:
            left = self.left(channel_id)
            if left > 0:
                await asyncio.sleep(left)
                continue
            if channel_id not in self._cautious:
                yield
                return
            probe = self._probes.setdefault(channel_id, asyncio.Lock())
            async with probe:
                if self.left(channel_id) > 0 or channel_id not in self._cautious:
                    continue
                yield
                if self.left(channel_id) == 0:
                    self._cautious.discard(channel_id)
                return

    def _seen_event(self, channel_id: int) -> asyncio.Event:
        event = self._seen.get(channel_id)
        if event is None:
            event = self._seen[channel_id] = asyncio.Event()
        return event
