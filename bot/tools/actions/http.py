"""The HTTP side of an action: the request built only from the operator's base URL and the
validated arguments, sent with aiohttp (15 s, no redirects), the answer cut for the model.

The bearer token goes in a header and nowhere else: never into a text the model reads, an
error, or a log line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import yarl

from bot.tools.actions.spec import Operation

TIMEOUT_SECONDS = 15.0
MAX_RESULT_CHARS = 8000
CUSTOMER_HEADER = "X-Discord-User-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_CUT = "… [cut]"


@dataclass(frozen=True)
class Answer:
    """What the API said: its status and body text (cut), and how long it took."""

    status: int
    text: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class NoAnswerError(Exception):
    """No answer came (a timeout, a refused connection): the outcome is unknown."""

    def __init__(self, reason: str, duration_ms: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.duration_ms = duration_ms


def cut(text: str, limit: int = MAX_RESULT_CHARS) -> str:
    """At most `limit` characters, marked when cut."""
    return text if len(text) <= limit else text[: limit - len(_CUT)] + _CUT


def segment(value: Any) -> str:
    """A path parameter as exactly one path segment: `/`, `..`, `?` and `#` encoded too."""
    text = json.dumps(value) if isinstance(value, bool) else str(value)
    encoded = quote(text, safe="")
    # "." and ".." are dot-segments a server or proxy may collapse; encode their dots too.
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def build_path(operation: Operation, arguments: dict[str, Any]) -> str:
    """The operation's path template with each path parameter put in as one segment."""
    path = operation.path
    for parameter in operation.parameters:
        if parameter.location == "path":
            path = path.replace("{" + parameter.name + "}", segment(arguments[parameter.name]))
    return path


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class ActionClient:
    """Sends action requests to the operator's base URL."""

    base_url: str
    token: str | None = None
    timeout: float = TIMEOUT_SECONDS

    def url(self, operation: Operation, arguments: dict[str, Any]) -> str:
        """The full URL (without the query): the base URL and the encoded path."""
        return self.base_url.rstrip("/") + build_path(operation, arguments)

    async def send(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        customer_id: str,
        idempotency_key: str | None,
    ) -> Answer:
        """Make the request once; NoAnswerError when none came back in time."""
        names = {p.name: p.location for p in operation.parameters}
        query = [
            (name, _query_value(value))
            for name, value in arguments.items()
            if names.get(name) == "query" and value is not None
        ]
        body = {k: v for k, v in arguments.items() if k not in names}
        headers = {CUSTOMER_HEADER: customer_id, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        started = time.monotonic()

        def elapsed() -> int:
            return round((time.monotonic() - started) * 1000)

        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session,
                session.request(
                    operation.method,
                    # encoded=True: the path is sent exactly as built, %2F stays %2F.
                    yarl.URL(self.url(operation, arguments), encoded=True),
                    params=query or None,
                    json=body if operation.body is not None else None,
                    headers=headers,
                    allow_redirects=False,
                ) as response,
            ):
                raw = await response.content.read(MAX_RESULT_CHARS * 4 + 1)
                text = raw.decode(response.charset or "utf-8", errors="replace")
                return Answer(response.status, cut(text), elapsed())
        except TimeoutError:
            raise NoAnswerError(f"no answer within {self.timeout:g} s", elapsed()) from None
        except aiohttp.ClientConnectionError as exc:
            raise NoAnswerError(f"could not connect ({type(exc).__name__})", elapsed()) from None
