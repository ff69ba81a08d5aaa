"""The FakeLLM server: its state, lifecycle, script and the chat route."""

from __future__ import annotations

import inspect
import itertools
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from aiohttp import web

from fakes.loopback import LoopbackServer
from fakes.openai_server.answers import Answers
from fakes.openai_server.checks import Checks
from fakes.openai_server.script import (
    CONVERSATION_HEADER,
    ID_STYLES,
    JSON,
    BrokenStream,
    CIHeaders,
    Fault,
    MalformedStream,
    Responder,
    Response,
    _error_body,
    _Queued,
)


@dataclass
class FakeLLM(Checks, Answers, LoopbackServer):
    """A fake OpenAI-compatible server on 127.0.0.1 with a FIFO script of responses."""

    #: Stopping cuts off any in-flight responses.
    _shutdown_timeout: ClassVar[float] = 0.1
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

    def _application(self) -> web.Application:
        """The chat and models routes of the OpenAI API; anything else is unknown."""
        # OpenAI takes request bodies up to about 50 MB (images included); aiohttp's default is 1.
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        return app

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
