"""Reading only the newest turns that could fit gives the same request as reading them all."""

from __future__ import annotations

import random

import pytest

from bot.llm import history
from bot.llm.context import fit_to_budget
from bot.store import NewMessage, Store
from bot.support.conversation import request_history


def turn(rng: random.Random, n: int) -> list[NewMessage]:
    """A customer message (sometimes huge), sometimes a tool call and its result, an answer."""
    size = rng.choice([20, 200, 2000, 60_000]) if rng.random() < 0.2 else 150
    out = [NewMessage(role="user", content=f"question {n} " + "x" * size)]
    if rng.random() < 0.3:
        call = {"id": f"c{n}", "type": "function", "function": {"name": "t", "arguments": "{}"}}
        out.append(NewMessage(role="assistant", content=None, tool_calls=[call]))
        out.append(
            NewMessage(role="tool", content="done " * rng.randint(1, 400), tool_call_id=f"c{n}")
        )
    out.append(NewMessage(role="assistant", content="answer " * rng.randint(1, 200)))
    return out


@pytest.mark.parametrize("seed", range(12))
async def test_the_windowed_history_is_the_whole_history_trimmed(tmp_path, seed):
    rng = random.Random(seed)
    async with Store.open(tmp_path / "bot.sqlite3") as store:
        conversation = await store.get_or_create_conversation(f"k{seed}")
        messages = [NewMessage(role="system", content="prompt " * rng.randint(1, 500))]
        for n in range(rng.randint(0, 250)):
            messages += turn(rng, n)
        await store.append_messages(conversation.id, messages)
        whole = [m.to_chat() for m in await store.load_history(conversation.id)]
        for budget in (1000, 4000, 32_000):
            expected = fit_to_budget(history.repair(whole), budget)
            assert await request_history(store, conversation.id, budget) == expected
