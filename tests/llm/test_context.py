"""The context budget: what part of a stored history is sent, and that it stays valid."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.llm.context import (
    IMAGE_TOKENS,
    MESSAGE_OVERHEAD_TOKENS,
    estimate_tokens,
    fit_to_budget,
)

SYSTEM = {"role": "system", "content": "You are Dashly's support assistant."}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def calling(*ids: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": i,
                "type": "function",
                "function": {"name": "create_customer_ticket", "arguments": '{"name": "Omar"}'},
            }
            for i in ids
        ],
    }


def result(call_id: str, text: str = "Ticket #1 created.") -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def one_each(_message: dict[str, Any]) -> int:
    return 1


# ------------------------------------------------------------------ estimate_tokens


def test_estimate_counts_text_by_about_four_characters():
    assert estimate_tokens(user("")) == MESSAGE_OVERHEAD_TOKENS
    assert estimate_tokens(user("a" * 400)) == MESSAGE_OVERHEAD_TOKENS + 100
    # Other scripts cost more per character than English does.
    assert estimate_tokens(user("配達" * 100)) > estimate_tokens(user("ab" * 100))


def test_estimate_counts_tool_calls_and_results():
    arguments = json.dumps({"name": "Omar", "issue": "cold pizza " * 40})
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "t", "arguments": arguments}}
        ],
    }
    assert estimate_tokens(call) > len(arguments) // 4
    assert estimate_tokens(result("c1", "x" * 800)) > 200


def test_estimate_counts_an_image_flat_not_by_its_data_url():
    data_url = "data:image/png;base64," + "A" * 400_000
    message = {
        "role": "user",
        "content": [
            {"type": "text", "text": "my receipt"},
            {"type": "image_url", "image_url": {"url": data_url}},
        ],
    }
    assert IMAGE_TOKENS < estimate_tokens(message) < IMAGE_TOKENS + 20


# -------------------------------------------------------------------- fit_to_budget


def test_a_history_within_budget_is_sent_whole():
    history = [SYSTEM, user("hi"), assistant("Hello!"), user("where is my order?")]
    assert fit_to_budget(history, 10_000) == history


def test_oldest_turns_go_first_and_the_system_prompt_stays():
    history = [SYSTEM, user("one"), assistant("1"), user("two"), assistant("2"), user("three")]
    assert fit_to_budget(history, 4, count=one_each) == [
        SYSTEM,
        user("two"),
        assistant("2"),
        user("three"),
    ]
    assert fit_to_budget(history, 3, count=one_each) == [SYSTEM, user("three")]


def test_a_tool_call_and_its_results_go_together():
    history = [
        SYSTEM,
        user("refund please"),
        calling("c1", "c2"),
        result("c1"),
        result("c2"),
        assistant("Done: ticket #1."),
        user("thanks"),
    ]
    # Keeping the results without their call (or the call without them) would fit, but is invalid.
    kept = fit_to_budget(history, 5, count=one_each)
    assert kept == [SYSTEM, user("thanks")]


def test_the_last_user_message_is_sent_even_over_budget():
    history = [SYSTEM, user("old"), assistant("old answer"), user("x" * 10_000)]
    assert fit_to_budget(history, 50) == [SYSTEM, user("x" * 10_000)]


def test_what_follows_the_last_user_message_is_kept():
    history = [SYSTEM, user("old"), assistant("a"), user("new"), calling("c1"), result("c1")]
    assert fit_to_budget(history, 4, count=one_each) == [SYSTEM, *history[3:]]


def test_several_system_messages_at_the_start_are_kept():
    note = {"role": "system", "content": "The customer is on the Premium plan."}
    history = [SYSTEM, note, user("a"), assistant("b"), user("c")]
    assert fit_to_budget(history, 3, count=one_each) == [SYSTEM, note, user("c")]


def test_a_history_without_user_messages_is_left_alone():
    history = [SYSTEM, assistant("Welcome!"), assistant("Anyone there?")]
    assert fit_to_budget(history, 1, count=one_each) == history


def test_the_stored_history_is_not_changed():
    history = [
        SYSTEM,
        user("refund please"),
        calling("c1"),
        result("c1"),
        assistant("Done."),
        user("x" * 4000),
    ]
    before = copy.deepcopy(history)
    kept = fit_to_budget(history, 100)
    assert kept == [SYSTEM, history[-1]]
    assert history == before
    kept.append(user("more"))
    assert history == before


# --------------------------------------------------------------- property: validity

TEXT = st.text(alphabet="abcdefghij klmnop配", max_size=120)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Valid chat histories: system prompt(s), then turns with text and tool rounds."""
    ids = iter(range(1_000_000))
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": draw(TEXT)} for _ in range(draw(st.integers(1, 2)))
    ]
    for _ in range(draw(st.integers(0, 6))):
        messages.append(user(draw(TEXT)))
        for _ in range(draw(st.integers(0, 2))):
            call_ids = [f"call_{next(ids)}" for _ in range(draw(st.integers(1, 3)))]
            messages.append(calling(*call_ids))
            results = [result(i, draw(TEXT)) for i in call_ids]
            messages.extend(draw(st.permutations(results)))
        if draw(st.booleans()):
            messages.append(assistant(draw(TEXT)))
    # The engine sends a history ending with the new user message; a stored one may end
    # anywhere (after an answer, after a tool round).
    if draw(st.booleans()):
        messages.append(user(draw(TEXT)))
    return messages


def assert_valid_chat(messages: list[dict[str, Any]]) -> None:
    """Every tool call answered right after its assistant message; no stray tool result."""
    i = 0
    while i < len(messages):
        message = messages[i]
        assert message["role"] != "tool", f"tool result without its call at {i}"
        calls = {c["id"] for c in message.get("tool_calls") or ()}
        i += 1
        answered = set()
        while i < len(messages) and messages[i]["role"] == "tool":
            answered.add(messages[i]["tool_call_id"])
            i += 1
        assert answered == calls


@settings(max_examples=300, deadline=None)
@given(history=histories(), budget=st.integers(0, 1500))
def test_fit_to_budget_always_sends_a_valid_history(history, budget):
    before = copy.deepcopy(history)
    kept = fit_to_budget(history, budget)
    assert history == before, "the input was changed"

    system = [m for m in history if m["role"] == "system"]
    assert kept[: len(system)] == system
    rest = kept[len(system) :]
    # The newest messages, in order, ending with the original last one.
    assert rest == history[len(history) - len(rest) :]
    assert kept[-1] is history[-1]
    assert_valid_chat(kept)

    user_positions = [i for i, m in enumerate(history) if m["role"] == "user"]
    cost = sum(estimate_tokens(m) for m in kept)
    if not user_positions:
        assert kept == history
        return
    last_user = user_positions[-1]
    assert history[last_user] in rest, "the last user message was dropped"
    required = sum(estimate_tokens(m) for m in system + history[last_user:])
    if required <= budget:
        assert cost <= budget
    else:
        assert kept == system + history[last_user:]
    if len(kept) < len(history):
        # Something was dropped: the kept part starts a turn, and one more turn would not fit.
        assert rest[0]["role"] == "user"
        start = len(history) - len(rest)
        earlier = [i for i in user_positions if i < start]
        if earlier:
            with_one_more = system + history[earlier[-1] :]
            assert sum(estimate_tokens(m) for m in with_one_more) > budget
