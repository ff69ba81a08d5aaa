"""Tickets, their status history, and the receipts they carry."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from typing import Any

from bot.store.database import Session, from_row
from bot.store.outbox import OutboxQueries
from bot.store.records import ReceiptRecord, Ticket, TicketEvent, TicketStatus, format_time

TICKET_COLUMNS = (
    "id, conversation_id, request_key, customer_name, issue, user_id, user_display,"
    " thread_url, receipt_id, status, staff_message_id, created_at, claimed_by,"
    " claimed_by_name, claimed_at, channel_id, staff_post_url"
)


class TicketLimitError(Exception):
    """The conversation opened as many tickets in the last hour as it may."""

    def __init__(self, recent: int) -> None:
        super().__init__(f"{recent} tickets in the last hour")
        self.recent = recent


class TicketQueries(OutboxQueries):
    """Tickets for staff and the receipts read in conversations.

    A change given an `event` name also writes that event to the outbox, in its transaction.
    """

    async def _ticket_in(self, db: Session, ticket_id: int) -> Ticket:
        row = await db.one(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,))
        assert row is not None
        return from_row(Ticket, row)

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
            receipt_id = await db.insert(
                "INSERT INTO receipts (conversation_id, tool_call_id, image_url, data)"
                " VALUES (?, ?, ?, ?)",
                (conversation_id, tool_call_id, image_url, json.dumps(data)),
            )
            assert receipt_id is not None
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
        request_key: str | None,
        customer_name: str,
        issue: str,
        user_id: str | None,
        user_display: str | None,
        thread_url: str | None,
        receipt_id: int | None,
        channel_id: int | None = None,
        event: str | None = None,
        unless_active: bool = False,
        per_hour: int | None = None,
    ) -> tuple[Ticket, bool]:
        """Create a ticket; a request key the conversation used before returns the ticket it
        opened (created False): a retried request never opens a second one.

        With `unless_active`, the conversation's open or claimed ticket, if it has one, is
        returned instead (created False), decided in the same transaction: a hand-off asked
        twice at once (a command and the model's tool) opens one ticket.

        With `per_hour`, a new ticket is refused (TicketLimitError) when the conversation
        opened that many in the last hour, counted in the same transaction: write
        transactions are serialised, so calls made at once cannot all pass the count.
        """
        async with self._transaction() as db:
            if request_key is not None:
                found = await db.one(
                    f"SELECT {TICKET_COLUMNS} FROM tickets"
                    " WHERE conversation_id = ? AND request_key = ?",
                    (conversation_id, request_key),
                )
                if found is not None:
                    return from_row(Ticket, found), False
            if unless_active:
                active = await db.one(
                    f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = ?"
                    " AND status IN (?, ?) ORDER BY id DESC LIMIT 1",
                    (conversation_id, TicketStatus.OPEN, TicketStatus.CLAIMED),
                )
                if active is not None:
                    return from_row(Ticket, active), False
            if per_hour is not None:
                since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
                row = await db.one(
                    "SELECT COUNT(*) FROM tickets WHERE conversation_id = ? AND created_at >= ?",
                    (conversation_id, format_time(since)),
                )
                recent = int(row[0]) if row else 0
                if recent >= per_hour:
                    raise TicketLimitError(recent)
            ticket_id = await db.insert(
                "INSERT INTO tickets (conversation_id, request_key, customer_name, issue,"
                " user_id, user_display, thread_url, receipt_id, channel_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (conversation_id, request_key) DO NOTHING",
                (
                    conversation_id,
                    request_key,
                    customer_name,
                    issue,
                    user_id,
                    user_display,
                    thread_url,
                    receipt_id,
                    channel_id,
                ),
            )
            created = ticket_id is not None
            if ticket_id is not None:
                await db.execute(
                    "INSERT INTO ticket_events (ticket_id, status, actor_id, actor_name)"
                    " SELECT id, ?, user_id, user_display FROM tickets WHERE id = ?",
                    (TicketStatus.OPEN, ticket_id),
                )
                if event is not None:
                    new = await self._ticket_in(db, ticket_id)
                    await self._record_event(db, new, event, user_id, user_display)
        if created and event is not None:
            self._outbox_written()
        if ticket_id is not None:
            ticket = await self.get_ticket(ticket_id)
        else:
            assert request_key is not None
            ticket = await self.get_ticket_by_request(conversation_id, request_key)
        assert ticket is not None
        return ticket, created

    async def get_ticket_by_request(self, conversation_id: int, request_key: str) -> Ticket | None:
        """The ticket a request (tool call or interaction) of this conversation opened, if any."""
        row = await self._one(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? AND request_key = ?",
            (conversation_id, request_key),
        )
        return from_row(Ticket, row) if row else None

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        """The ticket with this number, if any."""
        row = await self._one(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,))
        return from_row(Ticket, row) if row else None

    async def tickets_for_conversation(self, conversation_id: int) -> list[Ticket]:
        """The conversation's tickets, oldest first."""
        return await self._records(
            Ticket,
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )

    async def set_ticket_staff_message(
        self, ticket_id: int, message_id: int, url: str | None = None
    ) -> None:
        """Remember the staff-channel post of a ticket (and its link, when known)."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE tickets SET staff_message_id = ?, staff_post_url = ? WHERE id = ?",
                (message_id, url, ticket_id),
            )

    async def active_ticket(self, conversation_id: int) -> Ticket | None:
        """The conversation's newest ticket that is open or claimed, if any."""
        row = await self._one(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = ?"
            " AND status IN (?, ?) ORDER BY id DESC LIMIT 1",
            (conversation_id, TicketStatus.OPEN, TicketStatus.CLAIMED),
        )
        return from_row(Ticket, row) if row else None

    async def set_ticket_status(
        self,
        ticket_id: int,
        status: TicketStatus,
        *,
        from_statuses: Collection[TicketStatus],
        actor_id: str | None,
        actor_name: str | None,
        event: str | None = None,
    ) -> Ticket | None:
        """Move a ticket to a status if it is in one of `from_statuses`, recording who did
        it and when (claiming records the claim); None when it was not (someone else moved
        it first). The check and the change are one statement: two staff pressing Claim at
        once give one winner."""
        allowed = sorted(from_statuses)
        marks = ", ".join("?" for _ in allowed)
        async with self._transaction() as db:
            if status == TicketStatus.CLAIMED:
                changed = await db.execute(
                    "UPDATE tickets SET status = ?, claimed_by = ?, claimed_by_name = ?,"
                    f" claimed_at = {self._db.now}"
                    f" WHERE id = ? AND status IN ({marks})",
                    (status, actor_id, actor_name, ticket_id, *allowed),
                )
            else:
                changed = await db.execute(
                    f"UPDATE tickets SET status = ? WHERE id = ? AND status IN ({marks})",
                    (status, ticket_id, *allowed),
                )
            if changed != 1:
                return None
            await db.execute(
                "INSERT INTO ticket_events (ticket_id, status, actor_id, actor_name)"
                " VALUES (?, ?, ?, ?)",
                (ticket_id, status, actor_id, actor_name),
            )
            ticket = await self._ticket_in(db, ticket_id)
            if event is not None:
                await self._record_event(db, ticket, event, actor_id, actor_name)
        if event is not None:
            self._outbox_written()
        return ticket

    async def ticket_events(self, ticket_id: int) -> list[TicketEvent]:
        """The ticket's status changes, oldest first."""
        return await self._records(
            TicketEvent,
            "SELECT ticket_id, status, actor_id, actor_name, created_at FROM ticket_events"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        )

    async def all_ticket_events(self) -> list[TicketEvent]:
        """Every status change of every ticket, by ticket then time."""
        return await self._records(
            TicketEvent,
            "SELECT ticket_id, status, actor_id, actor_name, created_at FROM ticket_events"
            " ORDER BY ticket_id, id",
        )

    async def list_tickets(
        self, statuses: Sequence[str], *, limit: int, offset: int = 0
    ) -> tuple[list[Ticket], int]:
        """A page of tickets in these statuses, newest first, and how many there are."""
        marks = ", ".join("?" for _ in statuses)
        rows = await self._all(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE status IN ({marks})"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (*statuses, limit, offset),
        )
        count = await self._one(
            f"SELECT COUNT(*) FROM tickets WHERE status IN ({marks})", tuple(statuses)
        )
        return [from_row(Ticket, row) for row in rows], int(count[0]) if count else 0

    async def ticket_counts(self) -> dict[str, int]:
        """How many tickets are in each status."""
        rows = await self._all("SELECT status, COUNT(*) FROM tickets GROUP BY status")
        return {row[0]: int(row[1]) for row in rows}
