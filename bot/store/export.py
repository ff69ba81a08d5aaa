"""A customer's data on request: everything stored about them, ready for JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.store.database import Database
from bot.store.privacy import marks, rows_as_dicts
from bot.store.records import format_time

# A conversation's export besides its own row, in this order: each key's SELECT, and what
# its WHERE adds to `conversation_id = ?`.
_PARTS = (
    (
        "messages",
        "SELECT id, role, content, tool_calls, tool_call_id, author_id, author_kind,"
        " discord_message_id, status, created_at FROM messages",
        " AND role != 'system'",
    ),
    (
        "attachments",
        "SELECT url, filename, content_type, size, discord_message_id, created_at FROM attachments",
        "",
    ),
    ("receipts", "SELECT id, image_url, data, created_at FROM receipts", ""),
    ("tickets", "SELECT * FROM tickets", ""),
    ("unanswered_questions", "SELECT query, created_at FROM help_gaps", ""),
    (
        "usage",
        "SELECT model, prompt_tokens, completion_tokens, total_tokens, rounds,"
        " cached_tokens, created_at FROM usage",
        "",
    ),
    (
        "action_requests",
        "SELECT operation, method, arguments, consequential, idempotency_key, status,"
        " confirmed_by, http_status, result, duration_ms, created_at, decided_at,"
        " finished_at FROM action_requests",
        "",
    ),
    (
        "ratings",
        "SELECT rating, comment, reason, ticket_id, asked_at, rated_at FROM ratings",
        "",
    ),
)


class ExportQueries(Database):
    """The export behind `python -m bot export`."""

    async def _own_conversation_ids(self, customer_id: str) -> list[int]:
        rows = await self._all(
            "SELECT id FROM conversations WHERE customer_id = ? ORDER BY id", (customer_id,)
        )
        return [int(row[0]) for row in rows]

    # Export

    async def export_customer(self, customer_id: str) -> dict[str, Any]:
        """Everything stored about a customer, ready for JSON.

        Their conversations with messages (the system prompt left out: it is ours, not
        theirs), attachments' metadata, receipts, tickets with their status history, and
        token usage, and requests to the company's API; then tickets and messages of theirs
        in other people's conversations.
        """
        conversations = [
            await self._export_conversation(conversation_id)
            for conversation_id in await self._own_conversation_ids(customer_id)
        ]
        own = [c["id"] for c in conversations]
        elsewhere = f"AND conversation_id NOT IN ({marks(own)})" if own else ""
        tickets = await self._all(
            f"SELECT * FROM tickets WHERE user_id = ? {elsewhere} ORDER BY id",
            (customer_id, *own),
        )
        messages = await self._all(
            "SELECT id, conversation_id, role, content, author_kind, discord_message_id,"
            f" created_at FROM messages WHERE author_id = ? {elsewhere} ORDER BY id",
            (customer_id, *own),
        )
        return {
            "customer_id": customer_id,
            "exported_at": format_time(dt.datetime.now(dt.UTC)),
            "conversations": conversations,
            "tickets_in_other_conversations": [
                await self._export_ticket(dict(row)) for row in tickets
            ],
            "messages_in_other_conversations": rows_as_dicts(messages),
        }

    async def _export_conversation(self, conversation_id: int) -> dict[str, Any]:
        row = await self._one(
            "SELECT id, key, channel_id, customer_id, customer_name, created_at, updated_at"
            " FROM conversations WHERE id = ?",
            (conversation_id,),
        )
        assert row is not None
        conversation = dict(row)
        for key, select, also in _PARTS:
            rows = await self._all(
                f"{select} WHERE conversation_id = ?{also} ORDER BY id", (conversation_id,)
            )
            conversation[key] = rows_as_dicts(rows)
        for m in conversation["messages"]:
            m["tool_calls"] = json.loads(m["tool_calls"]) if m["tool_calls"] else None
        for r in conversation["receipts"]:
            r["data"] = json.loads(r["data"])
        conversation["tickets"] = [await self._export_ticket(t) for t in conversation["tickets"]]
        for a in conversation["action_requests"]:
            a["arguments"] = json.loads(a["arguments"])
            a["consequential"] = bool(a["consequential"])
        return conversation

    async def _export_ticket(self, ticket: dict[str, Any]) -> dict[str, Any]:
        ticket.pop("tool_call_id", None)  # superseded by request_key, never written now
        events = await self._all(
            "SELECT status, actor_id, actor_name, created_at FROM ticket_events"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket["id"],),
        )
        ticket["events"] = rows_as_dicts(events)
        return ticket

    # Forget
