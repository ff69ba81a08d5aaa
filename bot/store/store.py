"""The only place with SQL: typed methods over one aiosqlite connection."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.migrations import migrate
from bot.store.records import (
    Attachment,
    Conversation,
    NewMessage,
    ReceiptRecord,
    StoredMessage,
    Ticket,
    TicketEvent,
    Usage,
)

_TICKET_COLUMNS = (
    "id, conversation_id, tool_call_id, customer_name, issue, user_id, user_display,"
    " thread_url, receipt_id, status, staff_message_id, created_at, claimed_by,"
    " claimed_by_name, claimed_at, channel_id"
)
OPEN_STATUSES = ("open", "claimed")


class Store:
    """Conversations, history, tickets, receipts and usage in SQLite (WAL)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection is shared by every turn: a write transaction must not interleave.
        self._write_lock = asyncio.Lock()

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path | str) -> AsyncIterator[Store]:
        """Open (creating and migrating) the database and close it on exit."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA busy_timeout = 5000")
            await migrate(db)
            yield cls(db)
        finally:
            await db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    # Conversations

    async def get_conversation(self, key: str) -> Conversation | None:
        """The conversation with this key, if any."""
        row = await self._one(
            "SELECT id, key, channel_id, customer_id, customer_name FROM conversations"
            " WHERE key = ?",
            (key,),
        )
        return Conversation(*row) if row else None

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

    async def load_history(self, conversation_id: int) -> list[StoredMessage]:
        """Every stored message of the conversation, oldest first."""
        rows = await self._all(
            "SELECT id, role, content, tool_calls, tool_call_id, status FROM messages"
            " WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [
            StoredMessage(
                id=row[0],
                role=row[1],
                content=row[2],
                tool_calls=json.loads(row[3]) if row[3] else None,
                tool_call_id=row[4],
                status=row[5],
            )
            for row in rows
        ]

    async def append_messages(
        self, conversation_id: int, messages: Sequence[NewMessage]
    ) -> list[int]:
        """Append messages atomically (an assistant's tool calls land with their results)."""
        ids: list[int] = []
        async with self._transaction() as db:
            for message in messages:
                cursor = await db.execute(
                    "INSERT INTO messages (conversation_id, role, content, tool_calls,"
                    " tool_call_id, author_id, discord_message_id, status, author_kind)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    ),
                )
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
            await db.execute(
                "UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                " WHERE id = ?",
                (conversation_id,),
            )
        return ids

    # Turns in flight

    async def turn_started(self, conversation_id: int) -> None:
        """Note that a reply is being written in the conversation."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO turns_in_flight (conversation_id) VALUES (?)",
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

    async def turns_cut_short(self, key_prefix: str = "") -> list[Conversation]:
        """Conversations (keys starting with the prefix) whose reply a crash cut short."""
        rows = await self._all(
            "SELECT c.id, c.key, c.channel_id, c.customer_id, c.customer_name"
            " FROM turns_in_flight t JOIN conversations c ON c.id = t.conversation_id"
            " WHERE substr(c.key, 1, length(?)) = ? ORDER BY t.started_at",
            (key_prefix, key_prefix),
        )
        return [Conversation(*row) for row in rows]

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
            await db.executemany(
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
        return Attachment(*row) if row else None

    # Receipts

    async def add_receipt(
        self,
        conversation_id: int,
        *,
        tool_call_id: str | None,
        image_url: str,
        data: dict[str, Any],
    ) -> ReceiptRecord:
        """Store a validated receipt."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO receipts (conversation_id, tool_call_id, image_url, data)"
                " VALUES (?, ?, ?, ?)",
                (conversation_id, tool_call_id, image_url, json.dumps(data)),
            )
            assert cursor.lastrowid is not None
            receipt_id = cursor.lastrowid
        return ReceiptRecord(receipt_id, conversation_id, image_url, data)

    async def latest_receipt(self, conversation_id: int) -> ReceiptRecord | None:
        """The conversation's most recent receipt, if any."""
        row = await self._one(
            "SELECT id, conversation_id, image_url, data FROM receipts"
            " WHERE conversation_id = ? ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        )
        return ReceiptRecord(row[0], row[1], row[2], json.loads(row[3])) if row else None

    # Tickets

    async def create_ticket(
        self,
        conversation_id: int,
        *,
        tool_call_id: str | None,
        customer_name: str,
        issue: str,
        user_id: str | None,
        user_display: str | None,
        thread_url: str | None,
        receipt_id: int | None,
        channel_id: int | None = None,
    ) -> tuple[Ticket, bool]:
        """Create a ticket; a repeated tool call id returns the existing one (created False)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO tickets (conversation_id, tool_call_id, customer_name, issue,"
                " user_id, user_display, thread_url, receipt_id, channel_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tool_call_id) DO NOTHING",
                (
                    conversation_id,
                    tool_call_id,
                    customer_name,
                    issue,
                    user_id,
                    user_display,
                    thread_url,
                    receipt_id,
                    channel_id,
                ),
            )
            created = cursor.rowcount == 1
            if created:
                await db.execute(
                    "INSERT INTO ticket_events (ticket_id, status, actor_id, actor_name)"
                    " SELECT id, 'open', user_id, user_display FROM tickets WHERE id = ?",
                    (cursor.lastrowid,),
                )
        if created:
            ticket = await self.get_ticket(int(cursor.lastrowid or 0))
        else:
            row = await self._one(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE tool_call_id = ?", (tool_call_id,)
            )
            ticket = Ticket(*row) if row else None
        assert ticket is not None
        return ticket, created

    async def get_ticket_by_request(self, request_id: str) -> Ticket | None:
        """The ticket a request (tool call or interaction) already opened, if any."""
        row = await self._one(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE tool_call_id = ?", (request_id,)
        )
        return Ticket(*row) if row else None

    async def count_tickets_since(self, conversation_id: int, since: dt.datetime) -> int:
        """How many tickets the conversation opened since a moment."""
        row = await self._one(
            "SELECT COUNT(*) FROM tickets WHERE conversation_id = ? AND created_at >= ?",
            (conversation_id, since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")),
        )
        return int(row[0]) if row else 0

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        """The ticket with this number, if any."""
        row = await self._one(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,))
        return Ticket(*row) if row else None

    async def tickets_for_conversation(self, conversation_id: int) -> list[Ticket]:
        """The conversation's tickets, oldest first."""
        rows = await self._all(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [Ticket(*row) for row in rows]

    async def set_ticket_staff_message(self, ticket_id: int, message_id: int) -> None:
        """Remember the staff-channel post of a ticket."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE tickets SET staff_message_id = ? WHERE id = ?", (message_id, ticket_id)
            )

    async def active_ticket(self, conversation_id: int) -> Ticket | None:
        """The conversation's newest ticket that is open or claimed, if any."""
        row = await self._one(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE conversation_id = ?"
            " AND status IN ('open', 'claimed') ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        )
        return Ticket(*row) if row else None

    async def set_ticket_status(
        self, ticket_id: int, status: str, *, actor_id: str | None, actor_name: str | None
    ) -> Ticket:
        """Move a ticket to a status, recording who did it and when; claiming records the claim."""
        async with self._transaction() as db:
            if status == "claimed":
                await db.execute(
                    "UPDATE tickets SET status = ?, claimed_by = ?, claimed_by_name = ?,"
                    " claimed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                    (status, actor_id, actor_name, ticket_id),
                )
            else:
                await db.execute("UPDATE tickets SET status = ? WHERE id = ?", (status, ticket_id))
            await db.execute(
                "INSERT INTO ticket_events (ticket_id, status, actor_id, actor_name)"
                " VALUES (?, ?, ?, ?)",
                (ticket_id, status, actor_id, actor_name),
            )
        ticket = await self.get_ticket(ticket_id)
        assert ticket is not None
        return ticket

    async def ticket_events(self, ticket_id: int) -> list[TicketEvent]:
        """The ticket's status changes, oldest first."""
        rows = await self._all(
            "SELECT ticket_id, status, actor_id, actor_name, created_at FROM ticket_events"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        )
        return [TicketEvent(*row) for row in rows]

    async def all_ticket_events(self) -> list[TicketEvent]:
        """Every status change of every ticket, by ticket then time."""
        rows = await self._all(
            "SELECT ticket_id, status, actor_id, actor_name, created_at FROM ticket_events"
            " ORDER BY ticket_id, id"
        )
        return [TicketEvent(*row) for row in rows]

    async def list_tickets(
        self, statuses: Sequence[str], *, limit: int, offset: int = 0
    ) -> tuple[list[Ticket], int]:
        """A page of tickets in these statuses, newest first, and how many there are."""
        marks = ", ".join("?" for _ in statuses)
        rows = await self._all(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE status IN ({marks})"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (*statuses, limit, offset),
        )
        count = await self._one(
            f"SELECT COUNT(*) FROM tickets WHERE status IN ({marks})", tuple(statuses)
        )
        return [Ticket(*row) for row in rows], int(count[0]) if count else 0

    async def ticket_counts(self) -> dict[str, int]:
        """How many tickets are in each status."""
        rows = await self._all("SELECT status, COUNT(*) FROM tickets GROUP BY status")
        return {row[0]: int(row[1]) for row in rows}

    # Usage

    async def record_usage(self, conversation_id: int, usage: Usage) -> None:
        """Store the token usage of one turn."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO usage (conversation_id, model, prompt_tokens, completion_tokens,"
                " total_tokens, rounds) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    usage.model,
                    usage.prompt_tokens,
                    usage.completion_tokens,
                    usage.total_tokens,
                    usage.rounds,
                ),
            )

    async def usage_for_conversation(self, conversation_id: int) -> list[Usage]:
        """Token usage of each turn of the conversation, oldest first."""
        rows = await self._all(
            "SELECT model, prompt_tokens, completion_tokens, total_tokens, rounds FROM usage"
            " WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [Usage(*row) for row in rows]
