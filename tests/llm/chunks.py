"""Streamed chat-completion chunks as the openai SDK parses them, for the stream folder tests."""

from __future__ import annotations

from typing import Any

from openai.types.chat import ChatCompletionChunk


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish_reason: str | None = None,
    usage: dict[str, int] | None = None,
) -> ChatCompletionChunk:
    """One chunk: a delta of the only choice, or (delta None) no choice, as the usage chunk."""
    choices = (
        [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    )
    return ChatCompletionChunk.model_validate(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": choices,
            "usage": usage,
        }
    )


def call_delta(
    index: int, *, id: str | None = None, name: str | None = None, args: str | None = None
) -> dict[str, Any]:
    """One tool-call delta: the fields given, under its index (a `type` goes with an id)."""
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    call: dict[str, Any] = {"index": index, "function": function}
    if id is not None:
        call["id"] = id
        call["type"] = "function"
    return call
