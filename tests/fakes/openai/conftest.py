"""The fake LLM and an openai client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from fakes.openai_server import FakeLLM


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
