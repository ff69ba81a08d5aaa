"""The history a request carries: the newest whole turns within budget, stable across turns."""

from __future__ import annotations

import random

import pytest

from bot.engine.history import request_history
from bot.llm import history
from bot.llm.context import estimate_tokens
from bot.store import NewMessage, Store


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
async def test_the_request_window_is_a_stable_suffix_within_budget(store_location, seed):
    """What a turn sends is the system prompt and a run of the newest whole turns within the
    budget; asked again with nothing new, it is the same; after a small new turn it begins
    the same way unless the budget forced a cut."""
    rng = random.Random(seed)
    async with Store.open(store_location) as store:
        conversation = await store.get_or_create_conversation(f"k{seed}")
        messages = [NewMessage(role="system", content="prompt " * rng.randint(1, 500))]
        for n in range(rng.randint(0, 250)):
            messages += turn(rng, n)
        await store.append_messages(conversation.id, messages)
        whole = history.repair([m.to_chat() for m in await store.load_history(conversation.id)])
        budget = rng.choice([1000, 4000, 32_000])
        sent = await request_history(store, conversation.id, budget)
        assert sent[0] == whole[0]
        rest = sent[1:]
        if rest:
            assert rest[0]["role"] == "user"
            assert whole[len(whole) - len(rest) :] == rest
        if sum(1 for m in rest if m["role"] == "user") > 1:
            # Only the last turn alone may exceed the budget.
            assert sum(estimate_tokens(m) for m in sent) <= budget
        assert await request_history(store, conversation.id, budget) == sent
        await store.append_messages(
            conversation.id,
            [NewMessage(role="user", content="ok"), NewMessage(role="assistant", content="fine")],
        )
        after = await request_history(store, conversation.id, budget)
        if sum(estimate_tokens(m) for m in [*sent, *after[-2:]]) <= budget:
            assert after[: len(sent)] == sent
