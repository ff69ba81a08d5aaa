"""The fake LLM, wrapped to time what the model sends (Discord's limits: tests/fakes).

`TimedLLM` streams like the fake LLM and notes when each piece of a reply was written.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web

from fakes.openai_server import JSON, FakeLLM, Reply, Structured, ToolCalls
from fakes.openai_server.script import _chunks


@dataclass
class TimedLLM(FakeLLM):
    """The fake LLM, noting when each text piece of a streamed reply was written."""

    # reply text -> monotonic time each piece was written, in order
    sent_at: dict[str, list[float]] = field(default_factory=dict, init=False)
    piece_size: dict[str, int] = field(default_factory=dict, init=False)

    async def _stream(
        self, request: web.Request, body: JSON, response: Reply | ToolCalls | Structured
    ) -> web.StreamResponse:
        if not isinstance(response, Reply):
            return await super()._stream(request, body, response)
        times = self.sent_at.setdefault(response.text, [])
        self.piece_size[response.text] = max(1, response.chunk_size)
        env = self._envelope(body, "chat.completion.chunk")
        resp = await self._open_stream(request)
        await self._send(resp, self._chunk(env, {"role": "assistant", "content": ""}))
        # A steady pace from the request's arrival: a late piece does not delay the next ones.
        start = time.monotonic()
        for n, piece in enumerate(_chunks(response.text, response.chunk_size)):
            due = start + response.first_delay + n * response.delay
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            await self._send(resp, self._chunk(env, {"content": piece}))
            times.append(time.monotonic())
        await self._send(resp, self._chunk(env, {}, "stop"))
        stream_options = body.get("stream_options") or {}
        if isinstance(stream_options, dict) and stream_options.get("include_usage"):
            usage = {"prompt_tokens": 10, "completion_tokens": len(times), "total_tokens": 0}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            await self._send(resp, {**env, "choices": [], "usage": usage})
        await self._send(resp, "[DONE]")
        await resp.write_eof()
        return resp
