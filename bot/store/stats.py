"""The figures of `stats`: each conversation opened in a period, with its tickets, rating,
last answer and tokens; the staff times and rating prompts of those conversations."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.store.database import Database, Row, from_row
from bot.store.outcomes import CUSTOMER_SAID, RATING_COLUMNS, RatingRecord
from bot.store.records import TicketEvent, format_time, parse_times


@dataclass(frozen=True)
class ConversationFigures:
    """One conversation's raw figures for `stats`: times, tickets, rating, tokens."""

    conversation_id: int
    key: str
    channel_id: int | None
    customer_id: str | None
    opened_at: dt.datetime
    tickets: int
    turns: int  # the customer's messages
    rating: int | None  # the newest rating given
    last_answer_at: dt.datetime | None  # the assistant's last message
    last_answer_id: int | None
    last_customer_id: int | None  # the id of the customer's last message
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int

    def __post_init__(self) -> None:
        parse_times(self, "opened_at", "last_answer_at")


@dataclass(frozen=True)
class TranscriptLine:
    """A message as a transcript shows it: who, what, when."""

    role: str
    content: str | None
    author_kind: str | None  # 'customer' or 'staff' for user messages
    author_id: str | None
    created_at: dt.datetime

    def __post_init__(self) -> None:
        parse_times(self, "created_at")


class StatsQueries(Database):
    """Read-only queries for the support lead: figures over a period, transcripts."""

    async def transcript_lines(self, conversation_id: int) -> list[TranscriptLine]:
        """The conversation's customer, staff and assistant messages with text, in order."""
        return await self._records(
            TranscriptLine,
            "SELECT role, content, author_kind, author_id, created_at FROM messages"
            " WHERE conversation_id = ? AND role IN ('user', 'assistant')"
            " AND content IS NOT NULL AND content <> '' ORDER BY id",
            (conversation_id,),
        )

    async def conversation_figures(
        self, since: dt.datetime, until: dt.datetime
    ) -> list[ConversationFigures]:
        """Every conversation opened in [since, until), with its figures, oldest first."""
        rows = await self._opened_in(
            since,
            until,
            "SELECT c.id, c.key, c.channel_id, c.customer_id, c.created_at,"
            " (SELECT COUNT(*) FROM tickets t WHERE t.conversation_id = c.id),"
            " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id"
            f"  AND {CUSTOMER_SAID}),"
            " (SELECT r.rating FROM ratings r WHERE r.conversation_id = c.id"
            "  AND r.rating IS NOT NULL ORDER BY r.rated_at DESC, r.id DESC LIMIT 1),"
            " (SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id"
            "  AND m.role = 'assistant'),"
            " (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = c.id"
            "  AND m.role = 'assistant'),"
            " (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = c.id"
            f"  AND {CUSTOMER_SAID}),"
            " (SELECT COALESCE(SUM(u.prompt_tokens), 0) FROM usage u"
            "  WHERE u.conversation_id = c.id),"
            " (SELECT COALESCE(SUM(u.cached_tokens), 0) FROM usage u"
            "  WHERE u.conversation_id = c.id),"
            " (SELECT COALESCE(SUM(u.completion_tokens), 0) FROM usage u"
            "  WHERE u.conversation_id = c.id)"
            " FROM conversations c",
            order="c.created_at, c.id",
        )
        return [_figures(row) for row in rows]

    async def ticket_events_of_conversations_opened(
        self, since: dt.datetime, until: dt.datetime
    ) -> list[TicketEvent]:
        """The status changes of the tickets of conversations opened in [since, until)."""
        rows = await self._opened_in(
            since,
            until,
            "SELECT e.ticket_id, e.status, e.actor_id, e.actor_name, e.created_at"
            " FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
            " JOIN conversations c ON c.id = t.conversation_id",
            order="e.ticket_id, e.id",
        )
        return [from_row(TicketEvent, row) for row in rows]

    async def ratings_asked(self, since: dt.datetime, until: dt.datetime) -> list[RatingRecord]:
        """Rating prompts of conversations opened in [since, until)."""
        rows = await self._opened_in(
            since,
            until,
            f"SELECT {RATING_COLUMNS} FROM ratings r JOIN conversations c"
            " ON c.id = r.conversation_id",
            order="r.id",
        )
        return [from_row(RatingRecord, row) for row in rows]

    async def _opened_in(
        self, since: dt.datetime, until: dt.datetime, select: str, *, order: str
    ) -> list[Row]:
        """The rows of a query over the conversations `c` opened in [since, until)."""
        return await self._all(
            f"{select} WHERE c.created_at >= ? AND c.created_at < ? ORDER BY {order}",
            (format_time(since), format_time(until)),
        )


_COUNTS = ("tickets", "turns", "input_tokens", "cached_input_tokens", "output_tokens")


def _figures(row: Row) -> ConversationFigures:
    """A row of `conversation_figures` (by position: its subqueries have no names)."""
    names = [f.name for f in dataclasses.fields(ConversationFigures)]
    values: dict[str, Any] = dict(zip(names, row, strict=True))
    for name in _COUNTS:
        values[name] = int(values[name])
    return ConversationFigures(**values)
