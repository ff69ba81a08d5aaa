"""The history a request carries: the stored messages from the context start, repaired and
fitted to the budget, with a start that moves in large steps so the provider's cached
prefix stays the same for many turns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.llm import history
from bot.llm.context import fit_to_budget, leading_system_count, stable_start
from bot.store import Store, StoredMessage


def request_window(
    stored: Sequence[StoredMessage], budget: int
) -> tuple[list[dict[str, Any]], int | None]:
    """The messages a request carries, and the id of the new context start when the
    history outgrew the budget (None: the start stays). No I/O: the caller keeps the start.
    """
    chats = [m.to_chat() for m in stored]
    cut = stable_start(chats, budget)
    lead = leading_system_count(chats)
    new_start = None
    if cut is not None and cut > lead:
        new_start = stored[cut].id
        chats = chats[:lead] + chats[cut:]
    return fit_to_budget(history.repair(chats), budget), new_start


async def request_history(store: Store, conversation_id: int, budget: int) -> list[dict[str, Any]]:
    """What the conversation's next request would carry, its context start kept."""
    stored = await store.load_history(conversation_id, from_context_start=True)
    messages, new_start = request_window(stored, budget)
    if new_start is not None:
        await store.move_context_start(conversation_id, new_start)
    return messages
