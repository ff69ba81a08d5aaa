"""Loading and trimming a long thread's history, and storing a turn, on the real store."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.engine.history import request_history
from bot.store import NewMessage, Store

# The default settings' budget: what customers get.
CONTEXT_BUDGET = Settings.model_fields["context_token_budget"].default

HISTORY_MESSAGES = 10_000
REPEATS = 15


@dataclass
class HistoryTimes:
    """Median seconds of each operation, over `REPEATS` tries."""

    messages: int
    sent_messages: int
    load: float  # Store.load_history + history.repair + fit_to_budget, as a turn does them
    load_only: float  # Store.load_history of the whole thread
    store_turn: float  # Store.append_messages of a user message, then of the answer


def _turn(n: int) -> list[NewMessage]:
    """A turn as conversations store them: the customer, sometimes a tool call, the answer."""
    user = NewMessage(
        role="user",
        content=f"Message {n}: my order from the pizza place is late again, where is it? " * 2,
        author_id="1001",
        discord_message_id=10_000_000 + n,
        author_kind="customer",
    )
    answer = NewMessage(
        role="assistant",
        content=(f"Sorry about the wait (turn {n}). The courier is on the way. " * 8).strip(),
    )
    if n % 5:
        return [user, answer]
    call_id = f"call_{n}"
    call = NewMessage(
        role="assistant",
        content=None,
        tool_calls=[
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": "create_customer_ticket",
                    "arguments": json.dumps({"name": "Ana", "issue": f"Late order, turn {n}"}),
                },
            }
        ],
    )
    result = NewMessage(role="tool", content=f"Ticket #{n} created.", tool_call_id=call_id)
    return [user, call, result, answer]


async def _request_history(store: Store, conversation_id: int) -> list[dict[str, Any]]:
    """What a turn does before its request: the engine's own window over the history."""
    return await request_history(store, conversation_id, CONTEXT_BUDGET)


async def measure(
    messages: int = HISTORY_MESSAGES, location: Path | str | None = None
) -> HistoryTimes:
    """Fill a conversation with `messages` stored messages, then time loading and storing.

    `location`: the store to use (a PostgreSQL URL, say); a fresh SQLite file by default.
    """
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        async with Store.open(location or Path(tmp) / "history.sqlite3") as store:
            conversation = await store.get_or_create_conversation(
                f"bench:history:{uuid.uuid4().hex}",
                channel_id=1,
                customer_id="1001",
                customer_name="Ana",
            )
            batch = [NewMessage(role="system", content="You are a support assistant. " * 40)]
            stored = 0
            n = 0
            while stored + len(batch) < messages:
                turn = _turn(n)
                n += 1
                if stored + len(batch) + len(turn) > messages:
                    break
                batch.extend(turn)
                if len(batch) >= 500:
                    await store.append_messages(conversation.id, batch)
                    stored += len(batch)
                    batch = []
            filler = messages - stored - len(batch)
            batch.extend(
                NewMessage(role="assistant", content="Anything else?") for _ in range(filler)
            )
            await store.append_messages(conversation.id, batch)

            loads: list[float] = []
            loads_only: list[float] = []
            sent = 0
            for _ in range(REPEATS):
                started = time.perf_counter()
                sent = len(await _request_history(store, conversation.id))
                loads.append(time.perf_counter() - started)
                started = time.perf_counter()
                rows = await store.load_history(conversation.id)
                loads_only.append(time.perf_counter() - started)
            count = len(rows)

            turns: list[float] = []
            for k in range(REPEATS):
                user, *_, answer = _turn(n + k)
                started = time.perf_counter()
                await store.append_messages(conversation.id, [user])
                await store.append_messages(conversation.id, [answer])
                turns.append(time.perf_counter() - started)
    return HistoryTimes(
        messages=count,
        sent_messages=sent,
        load=statistics.median(loads),
        load_only=statistics.median(loads_only),
        store_turn=statistics.median(turns),
    )
