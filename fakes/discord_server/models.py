"""Records and small helpers of the fake Discord: requests, routes, sessions, errors."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from aiohttp import web

from fakes.discord_server.constants import DISCORD_EPOCH_MS, JSON, Handler


def now_iso() -> str:
    """Return the current UTC time formatted like Discord's ISO 8601 timestamps."""
    return datetime.now(UTC).isoformat()


class SnowflakeFactory:
    """Generates strictly increasing snowflakes whose timestamp part is 'now'."""

    def __init__(self) -> None:
        """Start with no snowflake handed out."""
        self._last = 0

    def next(self) -> int:
        """Return a new snowflake, greater than every previous one."""
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (millis << 22) | (1 << 17)
        self._last = max(candidate, self._last + 1)
        return self._last


@dataclass
class RecordedRequest:
    """One REST request the fake received (``path`` is relative to ``/api/v10``).

    ``route`` is the matched spec path template, ``status`` the answered HTTP status and
    ``at`` the ``time.monotonic()`` of arrival.
    """

    method: str
    path: str
    json: Any
    files: list[tuple[str, bytes]]
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    route: str | None = None
    status: int = 0
    at: float = field(default_factory=time.monotonic)


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str
    data: bytes
    content_type: str


class ReadBody(NamedTuple):
    """A request's body as read: the JSON (or form), the files, what was wrong with it."""

    json: Any
    files: list[UploadedFile]
    error: str | None


@dataclass
class ApiCall:
    """Context handed to a route handler."""

    request: web.Request
    method: str
    path: str
    template: str
    params: dict[str, str]
    body: Any
    files: list[UploadedFile]
    recorded: RecordedRequest


@dataclass
class _Route:
    """An entry of the REST route table."""

    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    auth: bool


@dataclass
class _Injection:
    """A pending injected failure for matching requests."""

    method: str
    regex: re.Pattern[str]
    remaining: int
    status: int
    body: JSON
    retry_after: float = 0.0
    global_: bool = False


@dataclass
class _Bucket:
    """Rate-limit window state of one bucket."""

    used: int = 0
    reset_at: float = 0.0


@dataclass
class _Attachment:
    """Bytes and metadata of an attachment served by the fake CDN."""

    meta: JSON
    data: bytes


@dataclass
class _Session:
    """A gateway session (survives websocket drops until invalidated)."""

    session_id: str
    token: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    buffer: list[tuple[int, str]] = field(default_factory=list)
    alive: bool = True
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ApiError(Exception):
    """Raised by handlers to answer with a Discord JSON error."""

    def __init__(self, status: int, code: int, message: str, *, violation: str | None = None):
        """Store the HTTP status, Discord error code and message."""
        super().__init__(message)
        self.status = status
        self.body: JSON = {"message": message, "code": code}
        self.violation = violation


def _compile_template(template: str) -> re.Pattern[str]:
    """Compile a ``/channels/{channel_id}`` style template into a full-match regex."""
    parts = re.split(r"(\{[a-z_]+\})", template)
    pattern = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(pattern)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Return JSON with ``Content-Type: application/json`` exactly (no charset), like Discord.

    discord.py only decodes bodies whose content type equals ``application/json``.
    """
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )
