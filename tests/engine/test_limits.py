"""Abuse and cost limits: message rate, concurrent model calls, tickets an hour, context size."""

from __future__ import annotations

import asyncio

import pytest

from bot.desk.desk import DeskError
from bot.engine.limiter import SlidingWindowLimiter
from fakes.openai_server import Call, Reply, ToolCalls
from tests.conftest import engine_harness
from tests.engine.test_engine import OMAR, run


def test_sliding_window_allows_n_then_says_when():
    """The n+1-th event within the window is refused with the seconds left to wait."""
    now = [100.0]
    limiter = SlidingWindowLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.hit("a") is None
    now[0] = 110.0
    assert limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(50.0)
    assert limiter.hit("b") is None
    now[0] = 160.5
    assert limiter.hit("a") is None
    now[0] = 1000.0
    limiter.forget_idle()
    assert limiter._events == {}


async def test_model_calls_wait_for_a_free_slot(llm, tmp_path):
    """With one slot, a second conversation's request starts only after the first ends."""
    async with engine_harness(llm, tmp_path / "db.sqlite3", max_concurrent_llm_calls=1) as h:
        llm.script(Reply("first " * 20, chunk_size=6, delay=0.02), Reply("second"))
        first = asyncio.create_task(run(h, "console:a", "one"))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(run(h, "console:b", "two"))
        await asyncio.sleep(0.3)
        assert len(llm.requests) == 1
        assert not first.done()
        await asyncio.gather(first, second)
    assert len(llm.requests) == 2


async def test_tickets_per_hour_are_capped(llm, tmp_path):
    """Past the hourly cap the tool answers with an error the model can explain."""
    async with engine_harness(
        llm, tmp_path / "db.sqlite3", tickets_per_conversation_per_hour=1
    ) as h:
        llm.script(
            ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": "one"}, id="c1")]),
            ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": "two"}, id="c2")]),
            Reply("You already have a ticket."),
        )
        conversation, _ = await run(h, "console:cap", "two problems")
        assert len(await h.store.tickets_for_conversation(conversation.id)) == 1
        last_result = llm.requests[-1]["messages"][-1]["content"]
        assert last_result.startswith("Error: This conversation already opened 1 tickets")
        await h.engine.services.desk.resolve(1, OMAR)
        with pytest.raises(DeskError):
            await h.engine.services.desk.hand_off(
                conversation, OMAR, reason="", request_id="x", thread_url=None
            )


async def test_requests_carry_a_trimmed_history_but_the_store_keeps_all(llm, tmp_path):
    """Old turns beyond the context budget are left out of the request, never deleted."""
    async with engine_harness(llm, tmp_path / "db.sqlite3", context_token_budget=1000) as h:
        for number in range(6):
            llm.script(Reply(f"answer {number} " + "x" * 1200))
            conversation, _ = await run(h, "console:long", f"question {number} " + "y" * 1200)
        stored = await h.store.load_history(conversation.id)
    sent = llm.requests[-1]["messages"]
    assert len(stored) == 13
    assert sent[0]["role"] == "system"
    assert sent[-1]["content"].startswith("question 5")
    assert len(sent) < len(stored) - 1
    assert sent[1]["role"] == "user"


def test_limiter_memory_follows_active_customers():
    """Keys idle past the window are dropped as new ones arrive, so memory stays bounded."""
    now = [0.0]
    limiter = SlidingWindowLimiter(1, 60.0, clock=lambda: now[0])
    for customer in range(5000):
        now[0] = customer * 0.1  # 600 customers per window
        limiter.hit(str(customer))
    assert len(limiter._events) <= 2048
