"""Answers: completion bodies, SSE streams, broken streams and faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Iterator

from aiohttp import web

from fakes.openai_server.script import (
    _ID_ALPHABET,
    FAST_RETRY_HEADERS,
    JSON,
    BrokenStream,
    Call,
    Fault,
    MalformedStream,
    Reply,
    Structured,
    ToolCalls,
    _chunks,
    _error_body,
    _error_type,
    _usage,
    _without_none,
)


class Answers:
    """Building completions: plain, streamed, broken, faulty."""

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
        # The client may close the stream (it stopped reading): like a real server's, the
        # rest goes nowhere, and that is no error of the server's.
        with contextlib.suppress(ConnectionResetError):
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
