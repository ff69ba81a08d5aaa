"""The fake LLM as a server: faults, broken streams, keys, models, an empty script."""

from __future__ import annotations

import asyncio
import time

import openai
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk

from fakes.openai_server import BrokenStream, FakeLLM, Fault, Reply
from tests.fakes.openai.helpers import MESSAGES, MODEL, drain


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
