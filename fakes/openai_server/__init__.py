"""A fake OpenAI-compatible chat server speaking real HTTP + SSE on loopback, for tests."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import secrets
import string
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


@dataclass
class FakeLLM:
    """A fake OpenAI-compatible server on 127.0.0.1 with a FIFO script of responses."""

    models: list[str] = field(default_factory=lambda: ["grok-test"])
    api_key: str | None = None
    id_style: str = "unique"
    requests: list[JSON] = field(default_factory=list, init=False)
    #: Every request refused as the real API refuses it: (HTTP status, error body).
    rejections: list[tuple[int, JSON]] = field(default_factory=list, init=False)
    #: Per request: the prompt tokens served from the cache (0 without the header).
    cached_tokens: list[int] = field(default_factory=list, init=False)
    request_headers: list[CIHeaders] = field(default_factory=list, init=False)
    unexpected: list[str] = field(default_factory=list, init=False)
    models_requests: int = field(default=0, init=False)
    port: int = field(default=0, init=False)
    _queue: deque[_Queued] = field(default_factory=deque, init=False, repr=False)
    _responder: Responder | None = field(default=None, init=False, repr=False)
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False, repr=False)
    _last_by_conversation: dict[str, list[JSON]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        """Reject unknown id styles early."""
        if self.id_style not in ID_STYLES:
            raise ValueError(f"unknown id_style: {self.id_style!r}")

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
        # OpenAI takes request bodies up to about 50 MB (images included); aiohttp's default is 1.
        app = web.Application(client_max_size=50 * 1024 * 1024)
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
        if (refused := self._refusal(body)) is not None:
            status, error = refused
            self.rejections.append((status, error))
            return web.json_response(error, status=status)
        self._account_cache(body, request.headers.get(CONVERSATION_HEADER))

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
        if isinstance(response, BrokenStream | MalformedStream):
            if not stream:
                self.unexpected.append(f"{response!r} scripted for a non-streaming request")
            return await self._broken(request, body, response)
        if stream:
            return await self._stream(request, body, response)
        return web.json_response(self._completion(body, response))

    # ---------------------------------------------------------------- strictness

    def _refusal(self, body: JSON) -> tuple[int, JSON] | None:
        """What the real API answers to a request it refuses, or None to serve it.

        OpenAI refuses an unknown model (404), an assistant message with neither content
        nor tool calls, a tool result that answers no call of the assistant message before
        it, and tool calls not followed by a result for each id (400): a history holding
        one of these kills the conversation.
        """
        model = body.get("model")
        if model not in self.models:
            return 404, _error_body(
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return 400, _error_body(
                "Invalid 'messages': empty array.", "invalid_request_error", param="messages"
            )
        for index, message in enumerate(messages):
            problem = self._message_problem(messages, index, message)
            if problem is not None:
                text, param = problem
                return 400, _error_body(text, "invalid_request_error", param=param)
        return None

    @staticmethod
    def _message_problem(messages: list[Any], index: int, message: Any) -> tuple[str, str] | None:
        """(error message, param) for a message the real API refuses, else None."""
        where = f"messages.[{index}]"
        if not isinstance(message, dict):
            return f"Invalid type for '{where}': expected an object.", where
        role = message.get("role")
        calls = message.get("tool_calls") or []
        if role == "assistant":
            if message.get("content") is None and not calls:
                return (
                    "Invalid value for 'content': expected a string, got null.",
                    f"{where}.content",
                )
            answered = set()
            for following in messages[index + 1 :]:
                if not isinstance(following, dict) or following.get("role") != "tool":
                    break
                answered.add(following.get("tool_call_id"))
            missing = [c.get("id") for c in calls if c.get("id") not in answered]
            if missing:
                return (
                    "An assistant message with 'tool_calls' must be followed by tool messages"
                    " responding to each 'tool_call_id'. The following tool_call_ids did not"
                    f" have response messages: {', '.join(map(str, missing))}",
                    f"{where}.role",
                )
        if role == "tool":
            owner = index - 1
            while owner >= 0 and messages[owner].get("role") == "tool":
                owner -= 1
            owner_calls = (messages[owner].get("tool_calls") or []) if owner >= 0 else []
            if message.get("tool_call_id") not in {c.get("id") for c in owner_calls}:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a"
                    " preceeding message with 'tool_calls'.",
                    f"{where}.role",
                )
        return None

    def _account_cache(self, body: JSON, conversation: str | None) -> None:
        """Count the prompt served from cache: the messages the conversation's previous
        request began with, unchanged (about 4 characters a token), as xAI does per header."""
        messages: list[JSON] = body.get("messages") or []
        cached = 0
        if conversation:
            previous = self._last_by_conversation.get(conversation, [])
            for old, new in zip(previous, messages, strict=False):
                if old != new:
                    break
                cached += len(json.dumps(new)) // 4
            self._last_by_conversation[conversation] = messages
        self.cached_tokens.append(cached)

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

    def _call_id(self, call: Call, index: int) -> str | None:
        """The call's id, else one made in the server's `id_style` (None: no id is sent)."""
        if call.id is not None:
            return call.id
        if self.id_style == "repeat":
            return f"call_{index + 1}"
        if self.id_style == "omit":
            return None
        return "call_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))

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
            finish = response.finish_reason
        elif isinstance(response, Structured):
            message["content"] = self._structured_text(response)
        else:
            message["content"] = response.text or None
            message["tool_calls"] = [
                _without_none(
                    {
                        "id": self._call_id(call, i),
                        "type": "function",
                        "function": {"name": call.name, "arguments": self._arguments(call)},
                    }
                )
                for i, call in enumerate(response.calls)
            ]
            finish = "tool_calls"
        return {
            **self._envelope(body, "chat.completion"),
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": _usage(response.usage, self.cached_tokens[-1]),
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
            finish = response.finish_reason
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
            usage = _usage(response.usage, self.cached_tokens[-1])
            await self._send(resp, {**env, "choices": [], "usage": usage})
        await self._send(resp, "[DONE]")
        await resp.write_eof()
        return resp

    def _tool_call_deltas(self, response: ToolCalls) -> Iterator[JSON]:
        """The ``tool_calls`` delta entries for a ToolCalls response, in wire order."""
        for i, call in enumerate(response.calls):
            call_id = self._call_id(call, i)
            args = self._arguments(call)
            if response.style == "fragments":
                yield _without_none(
                    {
                        "index": i,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                )
                for frag in _chunks(args, response.arg_chunk):
                    yield {"index": i, "function": {"arguments": frag}}
            else:
                yield _without_none(
                    {
                        "index": i if response.style == "whole" else 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": args},
                    }
                )

    async def _broken(
        self, request: web.Request, body: JSON, response: BrokenStream | MalformedStream
    ) -> web.StreamResponse:
        """Stream some text, then cut the connection (or send an event that is not JSON)."""
        env = self._envelope(body, "chat.completion.chunk")
        resp = await self._open_stream(request)
        await self._send(resp, self._chunk(env, {"role": "assistant", "content": ""}))
        for piece in _chunks(response.text, response.chunk_size):
            await self._send(resp, self._chunk(env, {"content": piece}))
        if isinstance(response, MalformedStream):
            await self._send(resp, '{"choices": [{"delta": ')
            await resp.write_eof()
            return resp
        self._drop(request)
        return resp


def _without_none(item: JSON) -> JSON:
    """The dict without its None values (a server that omits ids sends no `id` key)."""
    return {k: v for k, v in item.items() if v is not None}


__all__ = [
    "CONVERSATION_HEADER",
    "FAST_RETRY_HEADERS",
    "ID_STYLES",
    "BrokenStream",
    "CIHeaders",
    "Call",
    "FakeLLM",
    "Fault",
    "MalformedStream",
    "Reply",
    "Structured",
    "ToolCalls",
]
