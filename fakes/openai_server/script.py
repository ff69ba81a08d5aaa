"""What the fake is scripted to answer (replies, tool calls, faults) and small helpers."""

from __future__ import annotations

import string
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

JSON: TypeAlias = dict[str, Any]

#: Default headers on a Fault when none are given: tells the SDK to retry after 1 ms (fast tests).
FAST_RETRY_HEADERS: dict[str, str] = {"retry-after-ms": "1"}

#: How tool-call ids are made when a Call gives none: "unique" like OpenAI and xAI (random
#: `call_...`), "repeat" (`call_1`, `call_2`... in every response, as some servers do) or
#: "omit" (no id at all, as others do).
ID_STYLES = ("unique", "repeat", "omit")
#: xAI caches a conversation's repeated prompt prefix per this request header.
CONVERSATION_HEADER = "x-grok-conv-id"
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Reply:
    """Assistant text, streamed in chunks of ``chunk_size`` characters when asked to stream."""

    text: str
    chunk_size: int = 8
    delay: float = 0.0
    first_delay: float = 0.0
    usage: tuple[int, int] = (10, 20)
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Call:
    """One tool call; a dict ``arguments`` is JSON-encoded, a str is sent verbatim."""

    name: str
    arguments: dict[str, Any] | str
    id: str | None = None


@dataclass(frozen=True)
class ToolCalls:
    """The assistant calls tools; ``style`` is "fragments", "whole" or "whole_same_index"."""

    calls: list[Call]
    style: str = "fragments"
    text: str = ""
    arg_chunk: int = 7
    usage: tuple[int, int] = (10, 20)

    def __post_init__(self) -> None:
        """Reject unknown wire styles early."""
        if self.style not in ("fragments", "whole", "whole_same_index"):
            raise ValueError(f"unknown ToolCalls style: {self.style!r}")


@dataclass(frozen=True)
class Structured:
    """Structured output: content is ``json.dumps(data)``, or ``data`` verbatim if a str."""

    data: dict[str, Any] | str
    usage: tuple[int, int] = (10, 20)


@dataclass(frozen=True)
class Fault:
    """An HTTP error (``status=0`` drops the connection) served for ``times`` requests in a row."""

    status: int = 500
    message: str = "boom"
    headers: dict[str, str] | None = None
    times: int = 1


@dataclass(frozen=True)
class BrokenStream:
    """Streams the text chunks, then aborts the connection without finish_reason or [DONE]."""

    text: str
    chunk_size: int = 8


@dataclass(frozen=True)
class MalformedStream:
    """Streams the text chunks, then an event whose data is not JSON: the SDK's parser raises
    an error of its own (not an API error), as a misbehaving proxy or server can cause."""

    text: str
    chunk_size: int = 8


Response: TypeAlias = Reply | ToolCalls | Structured | Fault | BrokenStream | MalformedStream
Responder: TypeAlias = Callable[[JSON], "Response | Awaitable[Response]"]


class CIHeaders(dict[str, str]):
    """A plain dict of request headers whose lookups ignore case."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        """Store every header under its lower-cased name."""
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        """Case-insensitive item lookup."""
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        """Case-insensitive membership test."""
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        """Case-insensitive ``dict.get``."""
        return super().get(key.lower(), default)


@dataclass
class _Queued:
    """A scripted response and how many more requests it should answer."""

    response: Response
    remaining: int


def _chunks(text: str, size: int) -> Iterator[str]:
    """Split ``text`` into pieces of at most ``size`` characters."""
    size = max(1, size)
    for start in range(0, len(text), size):
        yield text[start : start + size]


def _error_body(
    message: str, type_: str, code: str | None = None, *, param: str | None = None
) -> JSON:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _error_type(status: int) -> str:
    """A plausible OpenAI error ``type`` for an HTTP status."""
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_exceeded",
    }.get(status, "server_error" if status >= 500 else "invalid_request_error")


def _usage(usage: tuple[int, int], cached: int = 0) -> JSON:
    """An OpenAI usage object; `cached` of the prompt tokens came from the cache."""
    prompt, completion = usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": min(cached, prompt)},
    }


def _without_none(item: JSON) -> JSON:
    """The dict without its None values (a server that omits ids sends no `id` key)."""
    return {k: v for k, v in item.items() if v is not None}
