"""Rate limits (Discord's headers and real 429s) and injected failures."""

from __future__ import annotations

import hashlib
import math
import re
import time

from aiohttp import web

from fakes.discord_server.constants import JSON
from fakes.discord_server.models import _Bucket, _Injection, json_response

# Thread creation: standalone, and from a message.
THREAD_CREATION_ROUTES = (
    "/channels/{channel_id}/threads",
    "/channels/{channel_id}/messages/{message_id}/threads",
)


class Faults:
    """Rate-limit buckets and injected failures."""

    def inject_429(
        self,
        method: str,
        path_regex: str,
        times: int = 1,
        retry_after: float = 0.05,
        global_: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with a 429 (path fully matches regex)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": global_,
        }
        self._injections.append(
            _Injection(
                method=method.upper(),
                regex=re.compile(path_regex),
                remaining=times,
                status=429,
                body=body,
                retry_after=retry_after,
                global_=global_,
            )
        )

    def cool_down_thread_creation(self, seconds: float) -> None:
        """Refuse thread creation for `seconds`, as Discord's unpublished cooldown on it
        does (retry-afters of minutes are seen): each try meanwhile is answered 429 with the
        time left, `X-RateLimit-Scope: shared` (a limit on the resource, which Discord does
        not count against the bot) and the route bucket's own headers (its remaining count
        may well be above 0)."""
        self._thread_cooldown_until = time.monotonic() + seconds

    def _thread_cooldown(self, method: str, template: str) -> float | None:
        """The seconds left of the cooldown on thread creation, for a creation (else None)."""
        if method != "POST" or template not in THREAD_CREATION_ROUTES:
            return None
        left = self._thread_cooldown_until - time.monotonic()
        return left if left > 0 else None

    @staticmethod
    def _shared_rate_limited_response(retry_after: float, headers: dict[str, str]) -> web.Response:
        """A 429 of a resource's limit, shaped like Discord's documented example."""
        out = {
            **headers,
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "shared",
            "Via": "1.1 google",
        }
        body = {
            "message": "The resource is being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": False,
        }
        return json_response(body, status=429, headers=out)

    def inject_error(
        self, method: str, path_regex: str, status: int, times: int = 1, body: JSON | None = None
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and a Discord error body.

        Note: discord.py retries 500/502/504/524 up to 5 times, sleeping 1 + 2*try seconds.
        """
        defaults: dict[int, JSON] = {
            400: {"message": "400: Bad Request", "code": 0},
            401: {"message": "401: Unauthorized", "code": 0},
            403: {"message": "Missing Permissions", "code": 50013},
            404: {"message": "404: Not Found", "code": 0},
            500: {"message": "500: Internal Server Error", "code": 0},
            502: {"message": "502: Bad Gateway", "code": 0},
            503: {"message": "503: Service Unavailable", "code": 0},
        }
        error_body = body or defaults.get(status, {"message": f"{status}: Error", "code": 0})
        self._injections.append(
            _Injection(
                method=method.upper(),
                regex=re.compile(path_regex),
                remaining=times,
                status=status,
                body=error_body,
            )
        )

    def _ratelimit_headers(
        self, method: str, template: str, params: dict[str, str]
    ) -> tuple[dict[str, str], bool]:
        """Count the request in its bucket; return Discord's rate-limit headers and 'over limit'."""
        digest = hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False)
        bucket_hash = digest.hexdigest()[:32]
        major = (
            params.get("channel_id")
            or params.get("guild_id")
            or params.get("webhook_id", "") + params.get("webhook_token", "")
            or params.get("interaction_id")
            or ""
        )
        bucket = self._buckets.setdefault((bucket_hash, major), _Bucket())
        now = time.time()
        if now >= bucket.reset_at:
            bucket.used = 0
            bucket.reset_at = now + self.rate_limit_window
        bucket.used += 1
        reset_after = max(bucket.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self.rate_limit - bucket.used, 0)),
            "X-RateLimit-Reset": f"{bucket.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        return headers, bucket.used > self.rate_limit

    @staticmethod
    def _rate_limited_response(
        retry_after: float, global_: bool, headers: dict[str, str], scope: str
    ) -> web.Response:
        """Build a real-looking 429 (discord.py requires ``Via`` or it assumes a Cloudflare ban)."""
        out = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if global_ else scope,
            "Via": "1.1 google",
        }
        if global_:
            out["X-RateLimit-Global"] = "true"
        else:
            out.update(headers)
            out["X-RateLimit-Remaining"] = "0"
            out["X-RateLimit-Reset-After"] = f"{retry_after:.3f}"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": global_,
        }
        return json_response(body, status=429, headers=out)

    def _take_injection(self, method: str, path: str) -> _Injection | None:
        """Pop one use of the first matching injected failure."""
        for injection in self._injections:
            if injection.method not in ("*", method) or not injection.regex.fullmatch(path):
                continue
            injection.remaining -= 1
            if injection.remaining <= 0:
                self._injections.remove(injection)
            return injection
        return None
