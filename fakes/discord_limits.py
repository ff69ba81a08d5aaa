"""The fake Discord with Discord's real limits on: what the end-to-end tests and the benchmark use.

`LimitedDiscord` adds to the plain fake what it leaves out: Discord's global limit (50 requests
per second per bot, interaction endpoints exempt) and the per-channel buckets of message
creates and edits (5 per 5 s each). Every other route keeps the fake's own bucket (50 per
second per route and major parameter). Going over a limit is answered with a 429 carrying the
headers Discord sends (`Retry-After`, `X-RateLimit-*`, `X-RateLimit-Global`, `Via`), which
discord.py honours, and is counted.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fakes.discord_server import FakeDiscord, RecordedRequest
from fakes.discord_server.models import ReadBody

MESSAGES_ROUTE = "/channels/{channel_id}/messages"
MESSAGE_ROUTE = "/channels/{channel_id}/messages/{message_id}"
THREAD_ROUTE = "/channels/{channel_id}/messages/{message_id}/threads"
# (method, route template) -> (limit, period): Discord's per-channel message buckets.
CHANNEL_BUCKETS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", MESSAGES_ROUTE): (5, 5.0),
    ("PATCH", MESSAGE_ROUTE): (5, 5.0),
}
GLOBAL_LIMIT = 50
GLOBAL_PERIOD = 1.0


def counts_globally(path: str) -> bool:
    """Whether a request counts against the global limit (interaction endpoints do not)."""
    return not path.startswith(("/interactions/", "/webhooks/"))


@dataclass
class _Window:
    used: int = 0
    reset_at: float = 0.0


class LimitedDiscord(FakeDiscord):
    """The fake Discord with the global limit and the per-channel message buckets."""

    def __init__(
        self,
        *,
        global_limit: int = GLOBAL_LIMIT,
        global_period: float = GLOBAL_PERIOD,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.global_limit = global_limit
        self.global_period = global_period
        self.global_429s = 0
        self.bucket_429s = 0
        self._admitted: deque[float] = deque()
        self._channel_windows: dict[tuple[str, str], _Window] = {}

    def warm_up(self) -> None:
        """Compile the request validators of the routes the bot streams through, before timing.

        The fake compiles a route's JSON schema on its first request (tens of milliseconds):
        that is the fake's cost, and it must not show up as the bot's latency.
        """
        for method, template in (
            ("POST", MESSAGES_ROUTE),
            ("PATCH", MESSAGE_ROUTE),
            ("POST", THREAD_ROUTE),
            ("POST", "/channels/{channel_id}/typing"),
        ):
            self._validate_body(method, template, {"content": "warm up", "name": "warm up"})

    async def _dispatch_api(
        self, request: web.Request, recorded: RecordedRequest, read: ReadBody
    ) -> web.StreamResponse:
        if counts_globally(recorded.path):
            # A sliding window over arrivals: at most `global_limit` in any `global_period`.
            now = recorded.at
            while self._admitted and self._admitted[0] <= now - self.global_period:
                self._admitted.popleft()
            if len(self._admitted) >= self.global_limit:
                self.global_429s += 1
                self._violation(recorded, "exceeded the global rate limit (got a global 429)")
                retry_after = self._admitted[0] + self.global_period - now
                return self._rate_limited_response(retry_after, True, {}, "global")
            self._admitted.append(now)
        response = await super()._dispatch_api(request, recorded, read)
        if response.status == 429:
            self.bucket_429s += 1
        return response

    def _ratelimit_headers(
        self, method: str, template: str, params: dict[str, str]
    ) -> tuple[dict[str, str], bool]:
        limits = CHANNEL_BUCKETS.get((method, template))
        channel_id = params.get("channel_id")
        if limits is None or channel_id is None:
            return super()._ratelimit_headers(method, template, params)
        limit, period = limits
        digest = hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False)
        bucket_hash = digest.hexdigest()[:32]
        window = self._channel_windows.setdefault((bucket_hash, channel_id), _Window())
        now = time.time()
        if now >= window.reset_at:
            window.used = 0
            window.reset_at = now + period
        window.used += 1
        reset_after = max(window.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(limit - window.used, 0)),
            "X-RateLimit-Reset": f"{window.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        return headers, window.used > limit
