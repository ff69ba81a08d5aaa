"""Self-tests of the fake OpenAI server, driven through the real openai SDK."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk
from pydantic import BaseModel, ValidationError

from fakes.openai_server import (
    BrokenStream,
    Call,
    FakeLLM,
    Fault,
    Reply,
    Structured,
    ToolCalls,
)

MODEL = "grok-test"
MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]
RANDOM_ID = re.compile(r"call_[A-Za-z0-9]{24}")
CALL = {"id": "call_a", "type": "function", "function": {"name": "t", "arguments": "{}"}}


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    """A running fake whose script must be fully consumed by the test."""
    async with FakeLLM(models=["grok-test", "grok-vision-test"]) as fake:
        yield fake
        assert fake.unexpected == []


@pytest.fixture
async def client(llm: FakeLLM) -> AsyncIterator[AsyncOpenAI]:
    """A real SDK client pointed at the fake."""
    async with AsyncOpenAI(base_url=llm.base_url, api_key="test-key", max_retries=0) as c:
        yield c


async def collect(client: AsyncOpenAI, **kwargs: Any) -> list[ChatCompletionChunk]:
    """Stream a chat completion and return the raw chunks."""
    stream = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, **kwargs
    )
    return [chunk async for chunk in stream]


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


async def drain(
    stream: AsyncIterator[ChatCompletionChunk], into: list[ChatCompletionChunk]
) -> None:
    """Append every chunk of ``stream`` to ``into`` until it ends or raises."""
    async for chunk in stream:
        into.append(chunk)  # noqa: PERF401 - keep chunks seen before an exception


def tool_deltas(chunks: list[ChatCompletionChunk]) -> list[Any]:
    """All ChoiceDeltaToolCall objects across the chunks, in order."""
    return [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]


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


async def test_fault_then_retry_succeeds(llm: FakeLLM) -> None:
    llm.script(Fault(429, "slow down", times=1), Reply("ok"))
    async with AsyncOpenAI(base_url=llm.base_url, api_key="k", max_retries=2) as c:
        done = await c.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert done.choices[0].message.content == "ok"
    assert len(llm.requests) == 2
    assert llm.pending == 0


async def test_fault_repeats_and_raises(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.script(Fault(500, "kaput", times=5))
    for _ in range(5):
        with pytest.raises(openai.InternalServerError) as info:
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert info.value.status_code == 500
        assert "kaput" in info.value.message
    assert llm.pending == 0


async def test_fault_status_zero_drops_connection(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.script(Fault(status=0))
    with pytest.raises(openai.APIConnectionError):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)


async def test_broken_stream_raises(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.script(BrokenStream("partial answer that never finishes"))
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    seen: list[ChatCompletionChunk] = []
    with pytest.raises(openai.APIConnectionError):
        await drain(stream, seen)
    assert "".join(c.choices[0].delta.content or "" for c in seen) == (
        "partial answer that never finishes"
    )


async def test_models_listed(llm: FakeLLM, client: AsyncOpenAI) -> None:
    ids = [m.id async for m in client.models.list()]
    assert ids == ["grok-test", "grok-vision-test"]
    assert llm.models_requests == 1


async def test_wrong_api_key_rejected() -> None:
    async with (
        FakeLLM(api_key="right") as llm,
        AsyncOpenAI(base_url=llm.base_url, api_key="wrong", max_retries=0) as c,
    ):
        llm.script(Reply("never"))
        with pytest.raises(openai.AuthenticationError):
            await c.chat.completions.create(model=MODEL, messages=MESSAGES)
        with pytest.raises(openai.AuthenticationError):
            await c.models.list()
        assert llm.pending == 1


async def test_empty_queue_is_500_and_recorded() -> None:
    async with (
        FakeLLM() as llm,
        AsyncOpenAI(base_url=llm.base_url, api_key="k", max_retries=0) as c,
    ):
        with pytest.raises(openai.InternalServerError, match="no scripted response left"):
            await c.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert len(llm.unexpected) == 1


async def test_responder_used_when_queue_empty(llm: FakeLLM, client: AsyncOpenAI) -> None:
    llm.set_responder(lambda body: Reply(f"echo {body['messages'][-1]['content']}"))
    llm.script(Reply("scripted first"))
    first = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    second = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert first.choices[0].message.content == "scripted first"
    assert second.choices[0].message.content == "echo hi"


async def test_stops_cleanly_mid_stream() -> None:
    async with FakeLLM() as llm:
        c = AsyncOpenAI(base_url=llm.base_url, api_key="k", max_retries=0)
        llm.script(Reply("x" * 100, chunk_size=1, delay=0.5))
        stream = await c.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        first = await stream.__anext__()
        assert first.choices[0].delta.role == "assistant"
        start = time.monotonic()
        await llm.stop()
        assert time.monotonic() - start < 1.0
        with pytest.raises(openai.APIConnectionError):
            await drain(stream, [])
        await asyncio.wait_for(c.close(), 1.0)


# ----------------------------------------------------------------- as strict as the real API


@pytest.mark.parametrize(
    ("messages", "message", "param"),
    [
        (
            [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}],
            "Invalid value for 'content': expected a string, got null.",
            "messages.[1].content",
        ),
        (
            [{"role": "user", "content": "hi"}, {"role": "assistant"}],
            "Invalid value for 'content': expected a string, got null.",
            "messages.[1].content",
        ),
        (
            [
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "call_a", "content": "done"},
            ],
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding"
            " message with 'tool_calls'.",
            "messages.[1].role",
        ),
        (
            [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": None, "tool_calls": [CALL]},
                {"role": "tool", "tool_call_id": "call_a", "content": "done"},
                {"role": "tool", "tool_call_id": "call_other", "content": "done"},
            ],
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding"
            " message with 'tool_calls'.",
            "messages.[3].role",
        ),
        (
            [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": None, "tool_calls": [CALL]},
                {"role": "user", "content": "and?"},
            ],
            "An assistant message with 'tool_calls' must be followed by tool messages responding"
            " to each 'tool_call_id'. The following tool_call_ids did not have response"
            " messages: call_a",
            "messages.[1].role",
        ),
    ],
)
async def test_histories_the_real_api_refuses_are_refused(
    llm: FakeLLM, client: AsyncOpenAI, messages, message, param
) -> None:
    """Null content without tool calls, orphan tool results and unanswered tool calls get
    OpenAI's 400 with its error body; nothing is served."""
    llm.script(Reply("never"))
    with pytest.raises(openai.BadRequestError) as refused:
        await client.chat.completions.create(model=MODEL, messages=messages)
    assert refused.value.status_code == 400
    assert refused.value.body == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": None,
    }
    assert llm.pending == 1
    assert len(llm.rejections) == 1
    llm.script()  # the scripted reply stays for the valid request below
    await client.chat.completions.create(model=MODEL, messages=MESSAGES)


async def test_a_valid_tool_round_trip_is_served(llm: FakeLLM, client: AsyncOpenAI) -> None:
    """An assistant message with tool calls, each answered, then more: accepted."""
    llm.script(Reply("fine"))
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_a", "content": "done"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "thanks"},
    ]
    done = await client.chat.completions.create(model=MODEL, messages=messages)
    assert done.choices[0].message.content == "fine"
    assert llm.rejections == []


async def test_an_unknown_model_is_404_model_not_found(llm: FakeLLM, client: AsyncOpenAI) -> None:
    """A retired or misspelt model gets OpenAI's 404 with code model_not_found."""
    with pytest.raises(openai.NotFoundError) as refused:
        await client.chat.completions.create(model="grok-4-1-fast-non-reasoning", messages=MESSAGES)
    body = refused.value.body
    assert isinstance(body, dict)
    assert (body["type"], body["code"]) == ("invalid_request_error", "model_not_found")


@pytest.mark.parametrize(
    ("style", "expected"), [("repeat", ["call_1", "call_2"]), ("omit", [None, None])]
)
async def test_servers_that_repeat_or_omit_ids(style, expected) -> None:
    """Some servers number calls call_1, call_2 in every response, others send no id."""
    async with (
        FakeLLM(id_style=style) as llm,
        AsyncOpenAI(base_url=llm.base_url, api_key="k", max_retries=0) as c,
    ):
        for _ in range(2):
            llm.script(ToolCalls([Call("a", {}), Call("b", {})], style="whole"))
            stream = await c.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
            deltas = tool_deltas([chunk async for chunk in stream])
            assert [d.id for d in deltas] == expected


async def test_finish_reason_and_cached_prefix(llm: FakeLLM, client: AsyncOpenAI) -> None:
    """A Reply may end with "length"; the prompt a conversation repeats is reported cached."""
    llm.script(Reply("cut", finish_reason="length"), Reply("again"), Reply("other"))
    headers = {"x-grok-conv-id": "conv-1"}
    first = await collect(client, extra_headers=headers, stream_options={"include_usage": True})
    assert [c.choices[0].finish_reason for c in first if c.choices][-1] == "length"
    longer = [*MESSAGES, {"role": "assistant", "content": "cut"}, {"role": "user", "content": "go"}]
    await client.chat.completions.create(model=MODEL, messages=longer, extra_headers=headers)
    await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "changed"}], extra_headers=headers
    )
    assert llm.cached_tokens[0] == 0
    assert llm.cached_tokens[1] > 0
    assert llm.cached_tokens[2] == 0
