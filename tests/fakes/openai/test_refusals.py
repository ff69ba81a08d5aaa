"""The fake LLM refuses what the real API refuses; ids and the cached prefix."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI

from fakes.openai_server import Call, FakeLLM, Reply, ToolCalls
from tests.fakes.openai.helpers import CALL, MESSAGES, MODEL, collect, tool_deltas

# OpenAI's words (its typo included) for a tool message that answers no tool call.
TOOL_WITHOUT_CALL = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding"
    " message with 'tool_calls'."
)


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
            TOOL_WITHOUT_CALL,
            "messages.[1].role",
        ),
        (
            [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": None, "tool_calls": [CALL]},
                {"role": "tool", "tool_call_id": "call_a", "content": "done"},
                {"role": "tool", "tool_call_id": "call_other", "content": "done"},
            ],
            TOOL_WITHOUT_CALL,
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


@pytest.mark.parametrize(
    ("param", "value", "message", "code"),
    [
        (
            "max_completion_tokens",
            0,
            "Invalid 'max_completion_tokens': integer below minimum value. Expected a value"
            " >= 1, but got 0 instead.",
            "integer_below_min_value",
        ),
        (
            "max_tokens",
            -5,
            "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got"
            " -5 instead.",
            "integer_below_min_value",
        ),
        (
            "max_completion_tokens",
            "100",
            "Invalid type for 'max_completion_tokens': expected an integer, but got a string"
            " instead.",
            "invalid_type",
        ),
    ],
)
async def test_a_token_cap_that_is_not_a_positive_integer_is_refused(
    llm: FakeLLM, client: AsyncOpenAI, param, value, message, code
) -> None:
    """OpenAI's 400 for a cap below 1 or of the wrong type; a valid cap is served and kept."""
    with pytest.raises(openai.BadRequestError) as refused:
        await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, extra_body={param: value}
        )
    body = refused.value.body
    assert isinstance(body, dict)
    assert (body["message"], body["param"], body["code"]) == (message, param, code)
    llm.script(Reply("fine"))
    done = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, max_completion_tokens=64
    )
    assert done.choices[0].message.content == "fine"
    assert llm.requests[-1]["max_completion_tokens"] == 64
