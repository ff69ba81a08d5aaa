"""What one customer message needs from the store, each in one round trip.

A message is answered after three: the conversation as it stands (`standing` or, for the
first message, `open_conversation`), the message stored (`store_message`), and the turn
begun (`begin_turn`: marked in flight, its history and the ticket staff may hold).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.store.conversations import answered_in, append_in, history_in
from bot.store.database import Database, Session, from_row
from bot.store.records import (
    Attachment,
    Conversation,
    NewMessage,
    Standing,
    Ticket,
    TicketStatus,
    TurnStart,
    format_time,
)
from bot.store.tickets import TICKET_COLUMNS

DAY = dt.timedelta(days=1)


async def _active_ticket_in(db: Session, conversation_id: int) -> Ticket | None:
    row = await db.one(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = ?"
        " AND status IN (?, ?) ORDER BY id DESC LIMIT 1",
        (conversation_id, TicketStatus.OPEN, TicketStatus.CLAIMED),
    )
    return from_row(Ticket, row) if row else None


async def _standing_in(db: Session, key: str, now: dt.datetime) -> Standing | None:
    row = await db.one(
        "SELECT id, key, channel_id, customer_id, customer_name FROM conversations WHERE key = ?",
        (key,),
    )
    if row is None:
        return None
    conversation = from_row(Conversation, row)
    tokens = 0
    if conversation.customer_id is not None:
        used = await db.one(
            "SELECT COALESCE(SUM(u.total_tokens), 0) FROM usage u"
            " JOIN conversations c ON c.id = u.conversation_id"
            " WHERE c.customer_id = ? AND u.created_at >= ?",
            (conversation.customer_id, format_time(now - DAY)),
        )
        tokens = int(used[0]) if used else 0
    return Standing(conversation, await _active_ticket_in(db, conversation.id), tokens)


class TurnQueries(Database):
    """The reads and writes of receiving a message and starting its turn."""

    async def standing(self, key: str) -> Standing | None:
        """The conversation with this key, its active ticket and its customer's tokens of
        the last 24 hours; None when there is no such conversation."""
        async with self._transaction() as db:
            return await _standing_in(db, key, dt.datetime.now(dt.UTC))

    async def open_conversation(
        self,
        key: str,
        *,
        channel_id: int | None,
        customer_id: str,
        customer_name: str,
        system_prompt: str,
    ) -> Standing:
        """The conversation with this key as `standing` gives it, created (with its system
        prompt as the first message) when new."""
        async with self._transaction() as db:
            created = await db.insert(
                "INSERT INTO conversations (key, channel_id, customer_id, customer_name)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (key, channel_id, customer_id, customer_name),
            )
            if created is not None:
                await append_in(
                    self._db.now, db, created, [NewMessage(role="system", content=system_prompt)]
                )
            standing = await _standing_in(db, key, dt.datetime.now(dt.UTC))
        assert standing is not None
        return standing

    async def store_message(
        self,
        conversation_id: int,
        message: NewMessage,
        attachments: Sequence[Attachment] = (),
    ) -> int | None:
        """Store a message and the attachments it delivered; the message's id, or None when
        the conversation already holds the Discord message (it is never stored twice)."""
        async with self._transaction() as db:
            if message.discord_message_id is not None and await db.one(
                "SELECT 1 FROM messages WHERE discord_message_id = ? AND conversation_id = ?",
                (message.discord_message_id, conversation_id),
            ):
                return None
            if attachments:
                await db.execute_many(
                    "INSERT INTO attachments (conversation_id, url, filename, content_type,"
                    " size, discord_message_id) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (conversation_id, url) DO NOTHING",
                    [
                        (
                            conversation_id,
                            a.url,
                            a.filename,
                            a.content_type,
                            a.size,
                            message.discord_message_id,
                        )
                        for a in attachments
                    ],
                )
            (message_id,) = await append_in(self._db.now, db, conversation_id, [message])
        return message_id

    async def begin_turn(self, conversation_id: int) -> TurnStart:
        """Mark a reply in flight (a crash leaves the mark for the next start) and read what
        the turn needs: the history from the context start, and the active ticket."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO turns_in_flight (conversation_id) VALUES (?)"
                f" ON CONFLICT (conversation_id) DO UPDATE SET started_at = {self._db.now}",
                (conversation_id,),
            )
            history = await history_in(db, conversation_id, from_context_start=True)
            ticket = await _active_ticket_in(db, conversation_id)
            due = await db.one(
                "SELECT 1 FROM messages WHERE conversation_id = ? AND answer_due = 1 LIMIT 1",
                (conversation_id,),
            )
        return TurnStart(history, ticket, due is not None)

    async def answered(self, conversation_id: int, through: int) -> None:
        """Messages up to `through` need no answer any more (a failure notice was shown, or
        staff hold the conversation)."""
        async with self._transaction() as db:
            await answered_in(db, conversation_id, through)
