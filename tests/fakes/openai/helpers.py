"""Reading what the fake LLM streams, through the real openai client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk

MODEL = "grok-test"


MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]


RANDOM_ID = re.compile(r"call_[A-Za-z0-9]{24}")


CALL = {"id": "call_a", "type": "function", "function": {"name": "t", "arguments": "{}"}}


async def collect(client: AsyncOpenAI, **kwargs: Any) -> list[ChatCompletionChunk]:
    """Stream a chat completion and return the raw chunks."""
    stream = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, **kwargs
    )
    return [chunk async for chunk in stream]


async def drain(
    stream: AsyncIterator[ChatCompletionChunk], into: list[ChatCompletionChunk]
) -> None:
    """Append every chunk of ``stream`` to ``into`` until it ends or raises."""
    async for chunk in stream:
        into.append(chunk)  # noqa: PERF401 - keep chunks seen before an exception


def tool_deltas(chunks: list[ChatCompletionChunk]) -> list[Any]:
    """All ChoiceDeltaToolCall objects across the chunks, in order."""
    return [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
