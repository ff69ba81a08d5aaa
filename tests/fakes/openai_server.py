"""A fake OpenAI-compatible chat server speaking real HTTP + SSE on loopback, for tests."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeAlias

from aiohttp import web

JSON: TypeAlias = dict[str, Any]

#: Default headers on a Fault when none are given: tells the SDK to retry after 1 ms (fast tests).
FAST_RETRY_HEADERS: dict[str, str] = {"retry-after-ms": "1"}


@dataclass(frozen=True)
class Reply:
    """Assistant text, streamed in chunks of ``chunk_size`` characters when asked to stream."""

    text: str
    chunk_size: int = 8
    delay: float = 0.0
    first_delay: float = 0.0
    usage: tuple[int, int] = (10, 20)


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


Response: TypeAlias = Reply | ToolCalls | Structured | Fault | BrokenStream
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


def _error_body(message: str, type_: str, code: str | None = None) -> JSON:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _error_type(status: int) -> str:
    """A plausible OpenAI error ``type`` for an HTTP status."""
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_exceeded",
    }.get(status, "server_error" if status >= 500 else "invalid_request_error")


def _usage(usage: tuple[int, int]) -> JSON:
    """An OpenAI usage object."""
    prompt, completion = usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


@dataclass
class FakeLLM:
    """A fake OpenAI-compatible server on 127.0.0.1 with a FIFO script of responses."""

    models: list[str] = field(default_factory=lambda: ["grok-test"])
    api_key: str | None = None
    requests: list[JSON] = field(default_factory=list, init=False)
    request_headers: list[CIHeaders] = field(default_factory=list, init=False)
    unexpected: list[str] = field(default_factory=list, init=False)
    models_requests: int = field(default=0, init=False)
    port: int = field(default=0, init=False)
    _queue: deque[_Queued] = field(default_factory=deque, init=False, repr=False)
    _responder: Responder | None = field(default=None, init=False, repr=False)
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False, repr=False)

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        """Start serving on a random free loopback port."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving, cutting off any in-flight responses."""
        await self.stop()

    async def start(self) -> None:
        """Start the aiohttp server."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop the server (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ------------------------------------------------------------------- script

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *responses: Response) -> None:
        """Append responses to the FIFO queue for POST /v1/chat/completions."""
        for response in responses:
            times = response.times if isinstance(response, Fault) else 1
            self._queue.append(_Queued(response, max(1, times)))

    def set_responder(self, fn: Responder | None) -> None:
        """Answer with ``fn(body)`` (sync or async) whenever the queue is empty."""
        self._responder = fn

    @property
    def pending(self) -> int:
        """How many scripted responses (not counting Fault repeats) are still queued."""
        return len(self._queue)

    def last_messages(self) -> list[JSON]:
        """The ``messages`` of the most recent chat request."""
        messages: list[JSON] = self.requests[-1]["messages"]
        return messages

    # ----------------------------------------------------------------- handlers

    def _check_auth(self, request: web.Request) -> web.Response | None:
        """A 401 response if an API key is configured and the request's does not match."""
        if self.api_key is None:
            return None
        if request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return web.json_response(
            _error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
            status=401,
        )

    async def _unknown(self, request: web.Request) -> web.Response:
        """Record and reject any route the fake does not implement."""
        self.unexpected.append(f"unexpected request: {request.method} {request.path}")
        return web.json_response(
            _error_body(f"FakeLLM: no route {request.method} {request.path}", "not_found_error"),
            status=404,
        )

    async def _models(self, request: web.Request) -> web.Response:
        """GET /v1/models."""
        self.models_requests += 1
        if (denied := self._check_auth(request)) is not None:
            return denied
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _next_response(self, body: JSON) -> Response | None:
        """Pop the next scripted response, or ask the responder."""
        if self._queue:
            head = self._queue[0]
            head.remaining -= 1
            if head.remaining <= 0:
                self._queue.popleft()
            return head.response
        if self._responder is not None:
            result = self._responder(body)
            if inspect.isawaitable(result):
                result = await result
            return result
        return None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        """POST /v1/chat/completions."""
        try:
            body = await request.json()
        except ValueError:
            self.unexpected.append("chat request with a body that is not JSON")
            return web.json_response(
                _error_body("FakeLLM: body is not JSON", "invalid_request_error"), status=400
            )
        if not isinstance(body, dict):
            self.unexpected.append(f"chat request body is not an object: {body!r}")
            body = {"_raw": body}
        self.requests.append(body)
        self.request_headers.append(CIHeaders(request.headers.items()))
        if (denied := self._check_auth(request)) is not None:
            return denied

        response = await self._next_response(body)
        if response is None:
            self.unexpected.append(
                f"no scripted response left for request #{len(self.requests)}: "
                f"{json.dumps(body.get('messages'))[:500]}"
            )
            return web.json_response(
                {
                    "error": {
                        "message": "FakeLLM: no scripted response left",
                        "type": "server_error",
                    }
                },
                status=500,
            )

        if isinstance(response, Fault):
            return await self._fault(request, response)
        stream = bool(body.get("stream"))
        if isinstance(response, BrokenStream):
            if not stream:
                self.unexpected.append("BrokenStream scripted for a non-streaming request")
            return await self._broken(request, body, response)
        if stream:
            return await self._stream(request, body, response)
        return web.json_response(self._completion(body, response))

    async def _fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        """Serve an HTTP error, or drop the connection when ``status == 0``."""
        if fault.status == 0:
            self._drop(request)
            return web.Response()
        headers = FAST_RETRY_HEADERS if fault.headers is None else fault.headers
        return web.json_response(
            _error_body(fault.message, _error_type(fault.status)),
            status=fault.status,
            headers=headers,
        )

    @staticmethod
    def _drop(request: web.Request) -> None:
        """Close the connection after flushing what was already written."""
        if request.transport is not None:
            request.transport.close()

    # ------------------------------------------------------------ non-streaming

    def _envelope(self, body: JSON, obj: str) -> JSON:
        """Fields common to completions and chunks."""
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": obj,
            "created": int(time.time()),
            "model": body.get("model", "unknown"),
        }

    @staticmethod
    def _call_id(call: Call, index: int) -> str:
        """The call's id, or ``call_<n>`` (``n`` counted from 1 within the response)."""
        return call.id if call.id is not None else f"call_{index + 1}"

    @staticmethod
    def _arguments(call: Call) -> str:
        """The call's arguments as sent on the wire."""
        return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)

    def _completion(self, body: JSON, response: Reply | ToolCalls | Structured) -> JSON:
        """A full ``chat.completion`` object."""
        message: JSON = {"role": "assistant", "content": None, "refusal": None}
        finish = "stop"
        if isinstance(response, Reply):
            message["content"] = response.text
        elif isinstance(response, Structured):
            message["content"] = self._structured_text(response)
        else:
            message["content"] = response.text or None
            message["tool_calls"] = [
                {
                    "id": self._call_id(call, i),
                    "type": "function",
                    "function": {"name": call.name, "arguments": self._arguments(call)},
                }
                for i, call in enumerate(response.calls)
            ]
            finish = "tool_calls"
        return {
            **self._envelope(body, "chat.completion"),
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": _usage(response.usage),
        }

    @staticmethod
    def _structured_text(response: Structured) -> str:
        """The content string of a Structured response."""
        return response.data if isinstance(response.data, str) else json.dumps(response.data)

    # ---------------------------------------------------------------- streaming

    @staticmethod
    async def _open_stream(request: web.Request) -> web.StreamResponse:
        """Start an SSE response."""
        resp = web.StreamResponse(
            status=200,
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"},
        )
        await resp.prepare(request)
        return resp

    @staticmethod
    async def _send(resp: web.StreamResponse, payload: JSON | str) -> None:
        """Write one SSE ``data:`` event."""
        data = payload if isinstance(payload, str) else json.dumps(payload)
        await resp.write(f"data: {data}\n\n".encode())

    @staticmethod
    def _chunk(env: JSON, delta: JSON, finish: str | None = None) -> JSON:
        """A ``chat.completion.chunk`` with one choice."""
        return {
            **env,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    async def _stream(
        self, request: web.Request, body: JSON, response: Reply | ToolCalls | Structured
    ) -> web.StreamResponse:
        """Serve a scripted response as an SSE stream."""
        env = self._envelope(body, "chat.completion.chunk")
        resp = await self._open_stream(request)
        await self._send(resp, self._chunk(env, {"role": "assistant", "content": ""}))

        if isinstance(response, Reply):
            for n, piece in enumerate(_chunks(response.text, response.chunk_size)):
                pause = response.first_delay if n == 0 else response.delay
                if pause > 0:
                    await asyncio.sleep(pause)
                await self._send(resp, self._chunk(env, {"content": piece}))
            finish = "stop"
        elif isinstance(response, Structured):
            for piece in _chunks(self._structured_text(response), 8):
                await self._send(resp, self._chunk(env, {"content": piece}))
            finish = "stop"
        else:
            for piece in _chunks(response.text, 8):
                await self._send(resp, self._chunk(env, {"content": piece}))
            for delta in self._tool_call_deltas(response):
                await self._send(resp, self._chunk(env, {"tool_calls": [delta]}))
            finish = "tool_calls"

        await self._send(resp, self._chunk(env, {}, finish))
        stream_options = body.get("stream_options") or {}
        if isinstance(stream_options, dict) and stream_options.get("include_usage"):
            await self._send(resp, {**env, "choices": [], "usage": _usage(response.usage)})
        await self._send(resp, "[DONE]")
        await resp.write_eof()
        return resp

    def _tool_call_deltas(self, response: ToolCalls) -> Iterator[JSON]:
        """The ``tool_calls`` delta entries for a ToolCalls response, in wire order."""
        for i, call in enumerate(response.calls):
            call_id = self._call_id(call, i)
            args = self._arguments(call)
            if response.style == "fragments":
                yield {
                    "index": i,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
                for frag in _chunks(args, response.arg_chunk):
                    yield {"index": i, "function": {"arguments": frag}}
            else:
                yield {
                    "index": i if response.style == "whole" else 0,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": args},
                }

    async def _broken(
        self, request: web.Request, body: JSON, response: BrokenStream
    ) -> web.StreamResponse:
        """Stream some text, then cut the connection mid-stream."""
        env = self._envelope(body, "chat.completion.chunk")
        resp = await self._open_stream(request)
        await self._send(resp, self._chunk(env, {"role": "assistant", "content": ""}))
        for piece in _chunks(response.text, response.chunk_size):
            await self._send(resp, self._chunk(env, {"content": piece}))
        self._drop(request)
        return resp


__all__ = [
    "FAST_RETRY_HEADERS",
    "BrokenStream",
    "CIHeaders",
    "Call",
    "FakeLLM",
    "Fault",
    "Reply",
    "Structured",
    "ToolCalls",
]
