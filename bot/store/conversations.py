"""Conversations, their messages, turns in flight, attachments and token usage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.store.database import Database, Session, from_row
from bot.store.records import (
    Attachment,
    Conversation,
    NewMessage,
    StoredMessage,
    Usage,
    format_time,
)


async def history_in(
    db: Session, conversation_id: int, *, from_context_start: bool = False
) -> list[StoredMessage]:
    """The conversation's stored messages, oldest first (see `load_history`), read in `db`."""
    start = 0
    if from_context_start:
        row = await db.one(
            "SELECT COALESCE(context_start_id, 0) FROM conversations WHERE id = ?",
            (conversation_id,),
        )
        start = int(row[0]) if row else 0
    rows = await db.all(
        "SELECT id, role, content, tool_calls, tool_call_id, status FROM messages"
        " WHERE conversation_id = ? AND (id >= ? OR role = 'system'"
        "  AND id < (SELECT COALESCE(MIN(id), 0) FROM messages"
        "            WHERE conversation_id = ? AND role != 'system'))"
        " ORDER BY id",
        (conversation_id, start, conversation_id),
    )
    return [from_row(StoredMessage, row) for row in rows]


async def answered_in(db: Session, conversation_id: int, through: int) -> None:
    """The conversation's messages up to `through` are answered (or told they failed)."""
    await db.execute(
        "UPDATE messages SET answer_due = 0"
        " WHERE conversation_id = ? AND answer_due = 1 AND id <= ?",
        (conversation_id, through),
    )


async def append_in(
    now: str, db: Session, conversation_id: int, messages: Sequence[NewMessage]
) -> list[int]:
    """Append messages in `db`'s transaction; the conversation counts as updated."""
    ids: list[int] = []
    for message in messages:
        new_id = await db.insert(
            "INSERT INTO messages (conversation_id, role, content, tool_calls,"
            " tool_call_id, author_id, discord_message_id, status, author_kind, answer_due)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                message.role,
                message.content,
                message.tool_calls_json(),
                message.tool_call_id,
                message.author_id,
                message.discord_message_id,
                message.status,
                message.author_kind,
                int(message.answer_due),
            ),
        )
        assert new_id is not None
        ids.append(new_id)
    await db.execute(
        f"UPDATE conversations SET updated_at = {now} WHERE id = ?", (conversation_id,)
    )
    return ids


class ConversationQueries(Database):
    """Everything a conversation holds apart from its tickets."""

    # Conversations

    async def get_conversation(self, key: str) -> Conversation | None:
        """The conversation with this key, if any."""
        row = await self._one(
            "SELECT id, key, channel_id, customer_id, customer_name FROM conversations"
            " WHERE key = ?",
            (key,),
        )
        return from_row(Conversation, row) if row else None

    async def get_or_create_conversation(
        self,
        key: str,
        *,
        channel_id: int | None = None,
        customer_id: str | None = None,
        customer_name: str | None = None,
    ) -> Conversation:
        """The conversation with this key, created when new."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO conversations (key, channel_id, customer_id, customer_name)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (key, channel_id, customer_id, customer_name),
            )
        conversation = await self.get_conversation(key)
        assert conversation is not None
        return conversation

    # History

    async def load_history(
        self, conversation_id: int, *, from_context_start: bool = False
    ) -> list[StoredMessage]:
        """Every stored message of the conversation, oldest first.

        With `from_context_start`, only what the next request may use: the leading system
        messages, then the messages from the conversation's context start on (see
        `move_context_start`), so a long thread is not read whole for every turn.
        """
        return await history_in(self._db, conversation_id, from_context_start=from_context_start)

    async def move_context_start(self, conversation_id: int, message_id: int) -> None:
        """Requests of this conversation carry its history from this message on."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE conversations SET context_start_id = ? WHERE id = ?",
                (message_id, conversation_id),
            )

    async def append_messages(
        self,
        conversation_id: int,
        messages: Sequence[NewMessage],
        *,
        answered_through: int | None = None,
    ) -> list[int]:
        """Append messages atomically (an assistant's tool calls land with their results).

        With `answered_through`, they are the answer to every message up to that id: those
        are no longer due, in the same transaction (a crash cannot leave an answer stored and
        its question due, which would answer it twice).
        """
        async with self._transaction() as db:
            ids = await append_in(self._db.now, db, conversation_id, messages)
            if answered_through is not None:
                await answered_in(db, conversation_id, answered_through)
            return ids

    async def move_to_end(self, conversation_id: int, message_ids: Sequence[int]) -> None:
        """Move messages, in this order, behind everything else in the conversation.

        Messages that arrived while a reply was being written are stored at once, so they
        stand in front of that reply; the next request must carry them after it.
        """
        async with self._transaction() as db:
            for message_id in message_ids:
                await db.execute(
                    "INSERT INTO messages (conversation_id, role, content, tool_calls,"
                    " tool_call_id, author_id, discord_message_id, status, author_kind,"
                    " answer_due, created_at)"
                    " SELECT conversation_id, role, content, tool_calls, tool_call_id, author_id,"
                    " discord_message_id, status, author_kind, answer_due, created_at FROM messages"
                    " WHERE id = ? AND conversation_id = ?",
                    (message_id, conversation_id),
                )
                await db.execute(
                    "DELETE FROM messages WHERE id = ? AND conversation_id = ?",
                    (message_id, conversation_id),
                )

    # Turns in flight

    async def turn_started(self, conversation_id: int) -> None:
        """Note that a reply is being written in the conversation."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO turns_in_flight (conversation_id) VALUES (?)"
                f" ON CONFLICT (conversation_id) DO UPDATE SET started_at = {self._db.now}",
                (conversation_id,),
            )

    async def turn_finished(self, conversation_id: int) -> None:
        """The reply is done (or marked interrupted): nothing to recover."""
        async with self._transaction() as db:
            await db.execute(
                "DELETE FROM turns_in_flight WHERE conversation_id = ?", (conversation_id,)
            )

    async def turn_in_flight(self, conversation_id: int) -> bool:
        """Whether a reply in this conversation was started and never finished."""
        row = await self._one(
            "SELECT 1 FROM turns_in_flight WHERE conversation_id = ?", (conversation_id,)
        )
        return row is not None

    # Attachments

    async def add_attachments(
        self,
        conversation_id: int,
        attachments: Sequence[Attachment],
        *,
        discord_message_id: int | None = None,
    ) -> None:
        """Remember attachments Discord delivered, so only those are ever fetched."""
        async with self._transaction() as db:
            await db.execute_many(
                "INSERT INTO attachments (conversation_id, url, filename, content_type, size,"
                " discord_message_id) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (conversation_id, url) DO NOTHING",
                [
                    (conversation_id, a.url, a.filename, a.content_type, a.size, discord_message_id)
                    for a in attachments
                ],
            )

    async def find_attachment(self, conversation_id: int, url: str) -> Attachment | None:
        """The delivered attachment with this URL in the conversation, if any."""
        row = await self._one(
            "SELECT url, filename, content_type, size FROM attachments"
            " WHERE conversation_id = ? AND url = ?",
            (conversation_id, url),
        )
        return from_row(Attachment, row) if row else None

    # Usage

    async def record_usage(self, conversation_id: int, usage: Usage) -> None:
        """Store the token usage of one turn."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO usage (conversation_id, model, prompt_tokens, completion_tokens,"
                " total_tokens, rounds, cached_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    usage.model,
                    usage.prompt_tokens,
                    usage.completion_tokens,
                    usage.total_tokens,
                    usage.rounds,
                    usage.cached_tokens,
                ),
            )

    async def tokens_used_by_customer(self, customer_id: str, since: dt.datetime) -> int:
        """Model tokens the customer's conversations used since a moment (the cost cap)."""
        row = await self._one(
            "SELECT COALESCE(SUM(u.total_tokens), 0) FROM usage u"
            " JOIN conversations c ON c.id = u.conversation_id"
            " WHERE c.customer_id = ? AND u.created_at >= ?",
            (customer_id, format_time(since)),
        )
        return int(row[0]) if row else 0

    async def usage_for_conversation(self, conversation_id: int) -> list[Usage]:
        """Token usage of each turn of the conversation, oldest first."""
        return await self._records(
            Usage,
            "SELECT model, prompt_tokens, completion_tokens, total_tokens, rounds, cached_tokens"
            " FROM usage"
            " WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
