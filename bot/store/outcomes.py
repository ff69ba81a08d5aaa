"""Outcomes: rating prompts and ratings, and the per-conversation figures of `stats`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.store.database import Session, from_row
from bot.store.outbox import OutboxQueries
from bot.store.records import Ticket, TicketStatus, format_time, parse_times
from bot.store.tickets import TICKET_COLUMNS

# A message of the customer's (staff messages are user messages too, marked staff).
CUSTOMER_SAID = "role = 'user' AND COALESCE(author_kind, 'customer') = 'customer'"

RATING_COLUMNS = (
    "r.id, r.conversation_id, r.episode, r.ticket_id, r.reason, r.prompt_message_id, r.rating,"
    " r.comment, r.rated_by, r.asked_at, r.rated_at, c.customer_id, c.channel_id"
)


@dataclass(frozen=True)
class RatingRecord:
    """A rating prompt sent in a conversation, and the customer's answer if any."""

    id: int
    conversation_id: int
    episode: str
    ticket_id: int | None
    reason: str  # 'resolved' (a ticket's Resolve) or 'quiet' (CSAT_AFTER_MINUTES after an answer)
    prompt_message_id: int | None
    rating: int | None
    comment: str | None
    rated_by: str | None
    asked_at: dt.datetime
    rated_at: dt.datetime | None
    customer_id: str | None
    channel_id: int | None

    def __post_init__(self) -> None:
        parse_times(self, "asked_at", "rated_at")


@dataclass(frozen=True)
class QuietConversation:
    """A conversation whose last answer has been left alone long enough to ask for a rating."""

    conversation_id: int
    key: str
    channel_id: int | None


class OutcomeQueries(OutboxQueries):
    """Rating prompts (one per conversation episode) and the figures of `stats`."""

    async def ask_rating(
        self, conversation_id: int, *, reason: str, ticket_id: int | None = None
    ) -> RatingRecord | None:
        """Claim the rating prompt of the conversation's current episode (since the customer's
        last message); None when it was asked already or the customer never wrote."""
        async with self._transaction() as db:
            last = await db.one(
                f"SELECT MAX(id) FROM messages WHERE conversation_id = ? AND {CUSTOMER_SAID}",
                (conversation_id,),
            )
            if last is None or last[0] is None:
                return None
            rating_id = await db.insert(
                "INSERT INTO ratings (conversation_id, episode, ticket_id, reason)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id, episode) DO NOTHING",
                (conversation_id, f"after:{last[0]}", ticket_id, reason),
            )
            if rating_id is None:
                return None
            return await self._rating_in(db, rating_id)

    async def set_rating_prompt(self, rating_id: int, message_id: int) -> None:
        """Remember the message that carries the prompt's buttons."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE ratings SET prompt_message_id = ? WHERE id = ?", (message_id, rating_id)
            )

    async def get_rating(self, rating_id: int) -> RatingRecord | None:
        """The rating prompt with this id, if any."""
        row = await self._one(
            f"SELECT {RATING_COLUMNS} FROM ratings r JOIN conversations c"
            " ON c.id = r.conversation_id WHERE r.id = ?",
            (rating_id,),
        )
        return from_row(RatingRecord, row) if row else None

    async def ratings_for_conversation(self, conversation_id: int) -> list[RatingRecord]:
        """The conversation's rating prompts, oldest first."""
        return await self._records(
            RatingRecord,
            f"SELECT {RATING_COLUMNS} FROM ratings r JOIN conversations c"
            " ON c.id = r.conversation_id WHERE r.conversation_id = ? ORDER BY r.id",
            (conversation_id,),
        )

    async def rate(
        self,
        rating_id: int,
        *,
        by: str,
        rating: int | None = None,
        comment: str | None = None,
        event: str | None = None,
    ) -> RatingRecord | None:
        """Store the customer's rating (or comment); a later one replaces it. With `event`,
        a rating asked at a ticket's Resolve also goes to the outbox, in the same
        transaction. None when there is no such prompt."""
        async with self._transaction() as db:
            if rating is not None:
                changed = await db.execute(
                    "UPDATE ratings SET rating = ?, rated_by = ?,"
                    f" rated_at = {self._db.now} WHERE id = ?",
                    (rating, by, rating_id),
                )
            else:
                changed = await db.execute(
                    "UPDATE ratings SET comment = ? WHERE id = ?", (comment, rating_id)
                )
            if changed != 1:
                return None
            record = await self._rating_in(db, rating_id)
            reported = event is not None and record.ticket_id is not None and record.rating
            if reported:
                assert event is not None
                assert record.ticket_id is not None
                ticket = await self._ticket_row(db, record.ticket_id)
                name = ticket.user_display if ticket.user_id == by else None
                await self._record_event(
                    db, ticket, event, by, name, extra={"rating": _rating_snapshot(record)}
                )
        if reported:
            self._outbox_written()
        return record

    async def _ticket_row(self, db: Session, ticket_id: int) -> Ticket:
        row = await db.one(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,))
        assert row is not None
        return from_row(Ticket, row)

    async def _rating_in(self, db: Session, rating_id: int) -> RatingRecord:
        row = await db.one(
            f"SELECT {RATING_COLUMNS} FROM ratings r JOIN conversations c"
            " ON c.id = r.conversation_id WHERE r.id = ?",
            (rating_id,),
        )
        assert row is not None
        return from_row(RatingRecord, row)

    async def quiet_conversations(
        self, *, quiet_since: dt.datetime, answered_after: dt.datetime, key_prefix: str = ""
    ) -> list[QuietConversation]:
        """Conversations whose last message is an answer written between `answered_after`
        and `quiet_since`, with no open or claimed ticket, no turn under way, and no rating
        prompt yet in the episode (since the customer's last message)."""
        rows = await self._all(
            "SELECT c.id, c.key, c.channel_id FROM conversations c"
            " JOIN messages m ON m.id ="
            " (SELECT MAX(id) FROM messages WHERE conversation_id = c.id)"
            " WHERE m.role = 'assistant' AND m.created_at <= ? AND m.created_at >= ?"
            " AND c.key LIKE ?"
            " AND EXISTS (SELECT 1 FROM messages u WHERE u.conversation_id = c.id"
            f"  AND {CUSTOMER_SAID})"
            " AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id"
            "  AND t.status IN (?, ?))"
            " AND NOT EXISTS (SELECT 1 FROM turns_in_flight f WHERE f.conversation_id = c.id)"
            " AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.conversation_id = c.id"
            "  AND r.episode = 'after:' || (SELECT MAX(id) FROM messages"
            f"  WHERE conversation_id = c.id AND {CUSTOMER_SAID}))"
            " ORDER BY c.id",
            (
                format_time(quiet_since),
                format_time(answered_after),
                f"{key_prefix}%",
                TicketStatus.OPEN,
                TicketStatus.CLAIMED,
            ),
        )
        return [QuietConversation(int(r[0]), r[1], r[2]) for r in rows]

    async def idle_conversations(
        self, idle_since: dt.datetime, key_prefix: str = ""
    ) -> list[QuietConversation]:
        """Conversations with a thread whose last message is older than `idle_since`, not
        archived since that message, and with no open or claimed ticket."""
        rows = await self._all(
            "SELECT c.id, c.key, c.channel_id FROM conversations c"
            " JOIN messages m ON m.id ="
            " (SELECT MAX(id) FROM messages WHERE conversation_id = c.id)"
            " WHERE m.created_at <= ? AND c.channel_id IS NOT NULL AND c.key LIKE ?"
            " AND (c.archived_at IS NULL OR c.archived_at < m.created_at)"
            " AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id"
            "  AND t.status IN (?, ?))"
            " ORDER BY c.id",
            (format_time(idle_since), f"{key_prefix}%", TicketStatus.OPEN, TicketStatus.CLAIMED),
        )
        return [QuietConversation(int(r[0]), r[1], r[2]) for r in rows]

    async def mark_archived(self, conversation_id: int) -> None:
        """The conversation's thread was archived now (the store's time, as its messages')."""
        async with self._transaction() as db:
            await db.execute(
                f"UPDATE conversations SET archived_at = {self._db.now} WHERE id = ?",
                (conversation_id,),
            )


def _rating_snapshot(record: RatingRecord) -> dict[str, Any]:
    """The rating as a `ticket.rated` event carries it."""
    rated_at = format_time(record.rated_at) if record.rated_at else None
    return {"score": record.rating, "comment": record.comment, "rated_at": rated_at}
