"""A stored history is repaired into one the chat API accepts."""

from __future__ import annotations

from bot.llm.history import INTERRUPTED_TOOL_RESULT, repair


def _assistant(*ids: str):
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}} for i in ids
        ],
    }


def test_valid_history_is_unchanged():
    """Calls followed by all their results pass through as they are."""
    messages = [
        {"role": "user", "content": "hi"},
        _assistant("a", "b"),
        {"role": "tool", "tool_call_id": "a", "content": "1"},
        {"role": "tool", "tool_call_id": "b", "content": "2"},
        {"role": "assistant", "content": "ok"},
    ]
    assert repair(messages) == messages


def test_missing_results_are_filled_and_orphans_dropped():
    """A call without a result gets an 'interrupted' one; a stray result is removed."""
    messages = [
        {"role": "tool", "tool_call_id": "zzz", "content": "stray"},
        _assistant("a", "b"),
        {"role": "tool", "tool_call_id": "a", "content": "1"},
        {"role": "user", "content": "hello?"},
    ]
    assert repair(messages) == [
        _assistant("a", "b"),
        {"role": "tool", "tool_call_id": "a", "content": "1"},
        {"role": "tool", "tool_call_id": "b", "content": INTERRUPTED_TOOL_RESULT},
        {"role": "user", "content": "hello?"},
    ]
