"""The chat model under faults, through the real openai SDK and the fake endpoint.

Before any text: 429, 5xx, dropped connections and timeouts are retried (the SDK's backoff,
honouring retry-after), then fail with a clear LLMError. After text: no retry, "cut off".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from bot.app.compose import build_engine, endpoint
from bot.engine.events import Incoming, TurnEnded
from bot.engine.turn import INTERRUPTED_MARK
from bot.frontends.console import LocalFiles
from bot.llm.client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_READ_TIMEOUT,
    make_client,
)
from bot.llm.errors import CUT_OFF, LLMError
from bot.llm.model import ModelReply, ModelText, OpenAIChatModel, backoff_delay
from bot.store import Store
from bot.tools.context import Customer
from fakes.openai_server import BrokenStream, Fault, Reply
from tests.conftest import API_KEY, CHAT_MODEL, make_settings

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
READ_TIMEOUT = 0.3


@pytest.fixture
async def client(llm) -> AsyncIterator[AsyncOpenAI]:
    async with make_client(
        api_key=API_KEY, base_url=llm.base_url, read_timeout=READ_TIMEOUT, max_retries=3
    ) as c:
        yield c


async def answer(
    client: AsyncOpenAI, shown: list[str] | None = None, limit: float = 10
) -> ModelReply:
    """One response; text pieces go to `shown`; never waits longer than `limit`."""
    shown = [] if shown is None else shown
    reply = None
    async with asyncio.timeout(limit):
        async for piece in OpenAIChatModel(client, CHAT_MODEL).respond(
            MESSAGES, [], allow_tools=True
        ):
            if isinstance(piece, ModelText):
                shown.append(piece.text)
            else:
                reply = piece
    assert reply is not None
    return reply


def retry_counts(llm) -> list[str]:
    return [h.get("x-stainless-retry-count") for h in llm.request_headers]


# ------------------------------------------------------------------------ the client


async def test_client_defaults_and_settings():
    async with make_client(api_key="k", base_url="http://127.0.0.1:9/v1") as c:
        assert (c.timeout.connect, c.timeout.read) == (DEFAULT_CONNECT_TIMEOUT, 60.0)
        assert DEFAULT_READ_TIMEOUT == 60.0
        assert c.max_retries == DEFAULT_MAX_RETRIES == 3
    async with make_client(
        api_key="k", base_url="http://x/v1", connect_timeout=2, read_timeout=5, max_retries=0
    ) as c:
        assert (c.timeout.connect, c.timeout.read, c.max_retries) == (2, 5, 0)
    with pytest.raises(ValueError, match="positive"):
        make_client(api_key="k", base_url="http://x/v1", read_timeout=0)


def test_backoff_doubles_with_up_to_a_quarter_of_jitter():
    for retry, full in ((1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (9, 8.0)):
        delays = [backoff_delay(retry) for _ in range(50)]
        assert all(0.75 * full <= d <= full for d in delays)
        assert len(set(delays)) > 1


# ----------------------------------------------------- before any text: retried


async def test_a_429_waits_out_retry_after(llm, client):
    llm.script(Fault(429, "slow down", headers={"retry-after": "1"}), Reply("Hello!"))
    began = time.monotonic()
    reply = await answer(client)
    waited = time.monotonic() - began
    assert reply.text == "Hello!"
    assert 0.95 <= waited < 2.5
    assert retry_counts(llm) == ["0", "1"]


async def test_retry_after_ms_is_honoured(llm, client):
    llm.script(Fault(429, headers={"retry-after-ms": "400"}), Reply("Hello!"))
    began = time.monotonic()
    assert (await answer(client)).text == "Hello!"
    assert 0.38 <= time.monotonic() - began < 1.5


async def test_a_503_then_success(llm, client):
    llm.script(Fault(503), Reply("Back again."))
    shown: list[str] = []
    assert (await answer(client, shown)).text == "Back again."
    assert "".join(shown) == "Back again."
    assert len(llm.requests) == 2


async def test_without_retry_after_the_backoff_is_exponential(llm, client):
    llm.script(Fault(500, headers={}, times=2), Reply("ok"))
    began = time.monotonic()
    assert (await answer(client)).text == "ok"
    # 0.5 s then 1 s, each up to 25 % shorter.
    assert 0.75 * 1.5 - 0.05 <= time.monotonic() - began < 2.5
    assert retry_counts(llm) == ["0", "1", "2"]


async def test_a_dropped_connection_then_success(llm, client):
    llm.script(Fault(status=0), Reply("ok"))
    assert (await answer(client)).text == "ok"
    assert len(llm.requests) == 2


async def test_a_stream_dropped_before_any_text_is_retried(llm, client):
    llm.script(BrokenStream(""), Reply("ok"))
    assert (await answer(client)).text == "ok"
    assert len(llm.requests) == 2


async def test_no_response_headers_within_the_read_timeout_is_retried(llm, client):
    calls = 0

    async def slow_then_quick(_body):
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(1.0)
        return Reply("ok")

    llm.set_responder(slow_then_quick)
    assert (await answer(client)).text == "ok"
    assert calls == 2
    assert retry_counts(llm) == ["0", "1"]


async def test_a_stream_silent_past_the_read_timeout_is_retried(llm, client):
    llm.script(Reply("late", first_delay=1.0), Reply("ok"))
    began = time.monotonic()
    shown: list[str] = []
    assert (await answer(client, shown)).text == "ok"
    assert shown == ["ok"]
    assert len(llm.requests) == 2
    assert time.monotonic() - began < 2.0


async def too_long_with_one_retry(llm) -> None:
    """With one retry allowed, the answer fails as too slow after two requests."""
    async with make_client(
        api_key=API_KEY, base_url=llm.base_url, read_timeout=READ_TIMEOUT, max_retries=1
    ) as client:
        with pytest.raises(LLMError) as failure:
            await answer(client)
    assert failure.value.user_message == "The assistant took too long to answer."
    assert len(llm.requests) == 2


async def test_sdk_and_stream_retries_share_one_budget(llm):
    llm.script(Fault(503), Reply("late", first_delay=1.0))
    await too_long_with_one_retry(llm)


# ------------------------------------------------- before any text: retries used up


async def test_a_read_timeout_every_time_is_a_clear_error(llm):
    llm.script(Reply("late", first_delay=1.0), Reply("late", first_delay=1.0))
    await too_long_with_one_retry(llm)


async def test_retries_are_bounded(llm, client):
    llm.script(Fault(503, times=4))
    with pytest.raises(LLMError) as failure:
        await answer(client)
    assert failure.value.user_message == "The assistant had an error (HTTP 503)."
    assert len(llm.requests) == 4  # the first try and three retries


async def test_a_rate_limit_that_lasts_says_busy(llm, client):
    llm.script(Fault(429, times=4))
    with pytest.raises(LLMError) as failure:
        await answer(client)
    assert failure.value.user_message == "The assistant is very busy right now."


async def test_a_retry_after_over_two_minutes_is_not_waited(llm, client):
    llm.script(Fault(429, headers={"retry-after": "600"}))
    with pytest.raises(LLMError, match=r"."):
        await answer(client, limit=2)
    assert len(llm.requests) == 1


async def test_a_client_error_is_not_retried(llm, client):
    llm.script(Fault(400, "bad request"))
    with pytest.raises(LLMError) as failure:
        await answer(client)
    assert failure.value.user_message == "The assistant had an error (HTTP 400)."
    assert len(llm.requests) == 1


async def test_an_unreachable_endpoint_is_a_clear_error(llm):
    # A port nobody listens on: connection refused, retried once, then reported.
    port = llm.port
    await llm.stop()
    async with make_client(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=1
    ) as client:
        with pytest.raises(LLMError) as failure:
            await answer(client)
    assert failure.value.user_message == "The assistant could not be reached."


# --------------------------------------------------------- after text: not retried


async def test_a_broken_stream_after_text_is_cut_off_not_retried(llm, client):
    llm.script(BrokenStream("Your order is on its way", chunk_size=5))
    shown: list[str] = []
    with pytest.raises(LLMError) as failure:
        await answer(client, shown)
    assert failure.value.user_message == CUT_OFF
    assert "".join(shown) == "Your order is on its way"
    assert len(llm.requests) == 1


async def test_a_stream_that_stalls_after_text_is_cut_off_not_a_hang(llm, client):
    llm.script(Reply("Your order is on its way", chunk_size=5, delay=5.0))
    shown: list[str] = []
    began = time.monotonic()
    with pytest.raises(LLMError) as failure:
        await answer(client, shown)
    assert failure.value.user_message == CUT_OFF
    assert shown == ["Your "]
    assert time.monotonic() - began < 1.5
    assert len(llm.requests) == 1


async def test_the_engine_keeps_text_shown_before_a_stall(llm, tmp_path: Path):
    """Through the engine: the shown part is stored, marked interrupted; the next turn works."""
    llm.script(
        Reply("Your order is on its way", chunk_size=5, delay=5.0),
        Reply("It arrives at 7."),
        Reply("Hello again."),
    )
    settings = make_settings(llm, tmp_path / "bot.sqlite3", llm_read_timeout=READ_TIMEOUT)
    async with Store.open(settings.database_path) as store, endpoint(settings) as llm_endpoint:
        engine = build_engine(settings, store=store, llm=llm_endpoint, attachments=LocalFiles())
        customer = Customer(id="1001", display_name="omar_k", mention="<@1001>")

        async def turn(text: str) -> list[TurnEnded]:
            incoming = Incoming(
                "console:stall", customer.id, customer.display_name, text, opens=True
            )
            async with asyncio.timeout(10):
                events = [e async for e in engine.receive(incoming)]
            return [e for e in events if isinstance(e, TurnEnded)]

        stalled, answered = await turn("Where is my food?")
        assert stalled.text == "Your "
        assert "cut off" in stalled.notice
        assert stalled.retrying  # the engine tries once more at once
        assert answered == TurnEnded("It arrives at 7.")
        assert await turn("Hello?") == [TurnEnded("Hello again.")]
        conversation = await store.get_conversation("console:stall")
        history = [m.to_chat() for m in await store.load_history(conversation.id)]
    roles = ["system", "user", "assistant", "assistant", "user", "assistant"]
    assert [m["role"] for m in history] == roles
    assert history[2]["content"] == f"Your\n{INTERRUPTED_MARK}"
    assert llm.requests[-1]["messages"][2]["content"] == history[2]["content"]
