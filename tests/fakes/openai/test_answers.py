"""The fake LLM's answers: streamed and whole replies, tool calls, structured output."""

from __future__ import annotations

import json
import time

import pytest
from openai import AsyncOpenAI
from pydantic import BaseModel, ValidationError

from fakes.openai_server import Call, FakeLLM, Reply, Structured, ToolCalls
from tests.fakes.openai.helpers import MESSAGES, MODEL, RANDOM_ID, collect, tool_deltas


async def test_streamed_reply_reassembles(llm: FakeLLM, client: AsyncOpenAI) -> None:
    text = "Hello! Your order #123 is on its way — ETA 10 minutes."
    llm.script(Reply(text, chunk_size=5))
    chunks = await collect(client)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert len([c for c in chunks if c.choices[0].delta.content]) == -(-len(text) // 5)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is None
    assert {c.id for c in chunks} == {chunks[0].id}
    assert all(c.model == MODEL for c in chunks)
    assert llm.requests[0]["stream"] is True
    assert llm.last_messages() == MESSAGES
    assert llm.request_headers[0]["Authorization"] == "Bearer test-key"
    assert llm.request_headers[0]["authorization"] == "Bearer test-key"


async def test_streamed_reply_with_usage(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.script(Reply("abc", usage=(7, 3)))
    chunks = await collect(client, stream_options={"include_usage": True})
    assert chunks[-2].choices[0].finish_reason == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (7, 3)
    assert last.usage.total_tokens == 10


async def test_reply_delays(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.script(Reply("abcdef", chunk_size=2, first_delay=0.1, delay=0.05))
    start = time.monotonic()
    chunks = await collect(client)
    assert time.monotonic() - start >= 0.2
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "abcdef"


async def test_fragment_style_tool_calls(llm: FakeLLM, client: AsyncOpenAI) -> None:
    args = {"name": "Omar", "issue": "cold food"}
    llm.script(
        ToolCalls(
            [Call("create_customer_ticket", args), Call("lookup_order", {"id": 42}, id="c-x")],
            text="One moment.",
            arg_chunk=7,
        )
    )
    chunks = await collect(client)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "One moment."
    deltas = tool_deltas(chunks)
    first, second = [d for d in deltas if d.id is not None]
    assert (first.index, first.type) == (0, "function")
    assert RANDOM_ID.fullmatch(first.id or "")
    assert first.function is not None
    assert (first.function.name, first.function.arguments) == ("create_customer_ticket", "")
    assert (second.index, second.id) == (1, "c-x")
    fragments = [d for d in deltas if d.id is None]
    assert all(d.function.name is None and d.type is None for d in fragments)
    assert all(len(d.function.arguments) <= 7 for d in fragments)
    by_index: dict[int, str] = {}
    for d in deltas:
        by_index[d.index] = by_index.get(d.index, "") + (d.function.arguments or "")
    assert json.loads(by_index[0]) == args
    assert json.loads(by_index[1]) == {"id": 42}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(("style", "indexes"), [("whole", [0, 1]), ("whole_same_index", [0, 0])])
async def test_whole_style_tool_calls(
    llm: FakeLLM, client: AsyncOpenAI, style: str, indexes: list[int]
) -> None:
    llm.script(
        ToolCalls([Call("a", {"x": 1}), Call("b", '{"broken": ')], style=style),
    )
    chunks = await collect(client)
    deltas = tool_deltas(chunks)
    assert [d.index for d in deltas] == indexes
    assert all(RANDOM_ID.fullmatch(d.id or "") for d in deltas)
    assert len({d.id for d in deltas}) == 2
    assert [d.function.name for d in deltas] == ["a", "b"]
    assert [d.function.arguments for d in deltas] == ['{"x": 1}', '{"broken": ']
    tool_chunks = [c for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert all(len(c.choices[0].delta.tool_calls or []) == 1 for c in tool_chunks)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_non_streamed_reply_and_tool_calls(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.script(Reply("plain answer", usage=(5, 6)), ToolCalls([Call("t", {"k": "v"})]))
    done = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert done.choices[0].message.content == "plain answer"
    assert done.choices[0].finish_reason == "stop"
    assert done.usage is not None
    assert done.usage.total_tokens == 11
    done = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    message = done.choices[0].message
    assert done.choices[0].finish_reason == "tool_calls"
    assert message.content is None
    assert message.tool_calls is not None
    (call,) = message.tool_calls
    assert call.type == "function"
    assert RANDOM_ID.fullmatch(call.id)
    assert (call.function.name, json.loads(call.function.arguments)) == ("t", {"k": "v"})


class Verdict(BaseModel):
    """A tiny structured-output schema."""

    category: str
    urgent: bool


async def test_structured_parse(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.script(Structured({"category": "refund", "urgent": True}))
    done = await client.chat.completions.parse(
        model=MODEL, messages=MESSAGES, response_format=Verdict
    )
    assert done.choices[0].message.parsed == Verdict(category="refund", urgent=True)
    response_format = llm.requests[0]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Verdict"


async def test_structured_invalid_output(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.script(Structured("{not json"))
    with pytest.raises(ValidationError):
        await client.chat.completions.parse(model=MODEL, messages=MESSAGES, response_format=Verdict)
