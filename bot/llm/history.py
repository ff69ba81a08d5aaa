"""Keeps a history valid for the chat API whatever was stored."""

from __future__ import annotations

from typing import Any

INTERRUPTED_TOOL_RESULT = "Error: this tool call was interrupted before it finished."


def repair(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every assistant tool call a result and drop tool results that answer nothing.

    The store writes a round atomically, so this only matters for histories written by
    something else (an older version, a crash in between); a single missing result would
    make every later request fail.
    """
    repaired: list[dict[str, Any]] = []
    open_ids: list[str] = []
    for message in messages:
        if message["role"] == "tool":
            if message.get("tool_call_id") in open_ids:
                open_ids.remove(message["tool_call_id"])
                repaired.append(message)
            continue
        repaired.extend(_interrupted(open_ids))
        open_ids = [call["id"] for call in message.get("tool_calls") or ()]
        repaired.append(message)
    repaired.extend(_interrupted(open_ids))
    return repaired


def _interrupted(call_ids: list[str]) -> list[dict[str, Any]]:
    return [
        {"role": "tool", "tool_call_id": call_id, "content": INTERRUPTED_TOOL_RESULT}
        for call_id in call_ids
    ]
