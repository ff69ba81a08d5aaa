"""The outbox: ticket events written with the change they report, and their deliveries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.database import Backend, Database, Session
from bot.store.records import Ticket, TicketStatus, format_time, parse_times

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"

# A pending delivery waits while an older event of the same ticket is pending for the same
# destination: each destination sees a ticket's events in the order they happened.
_HEAD_OF_TICKET = (
    "NOT EXISTS (SELECT 1 FROM outbox_deliveries e JOIN outbox p ON p.id = e.outbox_id"
    " WHERE e.destination = d.destination AND e.state = 'pending'"
    " AND p.ticket_id = o.ticket_id AND p.id < o.id)"
)


@dataclass(frozen=True)
class OutboxEntry:
    """One event waiting for one destination."""

    id: int
    webhook_id: str
    ticket_id: int
    type: str
    actor_id: str | None
    actor_name: str | None
    snapshot: dict[str, Any]
    created_at: dt.datetime
    destination: str
    attempts: int

    def __post_init__(self) -> None:
        # A row hands the snapshot over as JSON text.
        if isinstance(self.snapshot, str):
            object.__setattr__(self, "snapshot", json.loads(self.snapshot))
        parse_times(self, "created_at")

    def ticket(self) -> Ticket:
        """The ticket as the event left it."""
        known = {f.name for f in dataclasses.fields(Ticket)}
        return Ticket(**{k: v for k, v in self.snapshot["ticket"].items() if k in known})


@dataclass(frozen=True)
class DestinationState:
    """A destination as the store remembers it."""

    name: str
    disabled_at: str | None
    disabled_reason: str | None


class OutboxQueries(Database):
    """Events in the outbox and the state of their delivery to each destination."""

    def __init__(self, db: Backend) -> None:
        super().__init__(db)
        self._outbox_listeners: list[Callable[[], None]] = []

    def on_outbox_write(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after each commit that adds events; returns the unsubscriber."""
        self._outbox_listeners.append(listener)
        return lambda: self._outbox_listeners.remove(listener)

    def _outbox_written(self) -> None:
        for listener in list(self._outbox_listeners):
            listener()

    async def _record_event(
        self,
        db: Session,
        ticket: Ticket,
        event_type: str,
        actor_id: str | None,
        actor_name: str | None,
        *,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Inside the caller's transaction: the event, the ticket as it now is (and `extra`
        facts of the event, such as a rating), its deliveries."""
        receipt = None
        if ticket.receipt_id is not None:
            found = await db.one("SELECT data FROM receipts WHERE id = ?", (ticket.receipt_id,))
            receipt = json.loads(found[0]) if found else None
        resolved = None
        if ticket.status == TicketStatus.RESOLVED:
            found = await db.one(
                "SELECT actor_id, actor_name, created_at FROM ticket_events"
                " WHERE ticket_id = ? AND status = 'resolved' ORDER BY id DESC LIMIT 1",
                (ticket.id,),
            )
            if found:
                resolved = {"id": found[0], "name": found[1], "at": found[2]}
        snapshot = {"ticket": dataclasses.asdict(ticket), "receipt": receipt, "resolved": resolved}
        snapshot.update(extra or {})
        # Standard Webhooks' message id: random, fixed once written, so retries repeat it.
        webhook_id = f"msg_{secrets.token_hex(16)}"
        outbox_id = await db.insert(
            "INSERT INTO outbox (webhook_id, ticket_id, type, actor_id, actor_name, snapshot)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                webhook_id,
                ticket.id,
                event_type,
                actor_id,
                actor_name,
                json.dumps(snapshot, default=format_time),
            ),
        )
        await db.execute(
            "INSERT INTO outbox_deliveries (outbox_id, destination)"
            " SELECT ?, name FROM outbox_destinations WHERE active = 1 AND disabled_at IS NULL",
            (outbox_id,),
        )

    async def register_destinations(self, names: Sequence[str]) -> list[DestinationState]:
        """Mark these destinations as the configured ones (others inactive); return their state."""
        async with self._transaction() as db:
            await db.execute("UPDATE outbox_destinations SET active = 0")
            for name in names:
                await db.execute(
                    "INSERT INTO outbox_destinations (name) VALUES (?)"
                    " ON CONFLICT (name) DO UPDATE SET active = 1",
                    (name,),
                )
        marks = ", ".join("?" for _ in names)
        return await self._records(
            DestinationState,
            "SELECT name, disabled_at, disabled_reason FROM outbox_destinations"
            f" WHERE name IN ({marks}) ORDER BY name",
            tuple(names),
        )

    async def due_deliveries(self, destination: str, now: float, limit: int) -> list[OutboxEntry]:
        """Pending events for a destination that are due and first in line for their ticket."""
        return await self._records(
            OutboxEntry,
            "SELECT o.id, o.webhook_id, o.ticket_id, o.type, o.actor_id, o.actor_name,"
            " o.snapshot, o.created_at, d.destination, d.attempts"
            " FROM outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id"
            " WHERE d.destination = ? AND d.state = 'pending' AND d.next_attempt_at <= ?"
            f" AND {_HEAD_OF_TICKET} ORDER BY o.id LIMIT ?",
            (destination, now, limit),
        )

    async def next_delivery_at(self, destination: str) -> float | None:
        """When the earliest event first in line for its ticket is due, if any waits."""
        row = await self._one(
            "SELECT MIN(d.next_attempt_at) FROM outbox_deliveries d"
            " JOIN outbox o ON o.id = d.outbox_id"
            f" WHERE d.destination = ? AND d.state = 'pending' AND {_HEAD_OF_TICKET}",
            (destination,),
        )
        return float(row[0]) if row and row[0] is not None else None

    async def mark_delivered(self, outbox_id: int, destination: str, attempts: int) -> None:
        """The destination accepted the event."""
        await self._finish(outbox_id, destination, DELIVERED, attempts, None)

    async def mark_dead(self, outbox_id: int, destination: str, attempts: int, error: str) -> None:
        """The event is given up on for this destination (until re-queued)."""
        await self._finish(outbox_id, destination, DEAD, attempts, error)

    async def _finish(
        self, outbox_id: int, destination: str, state: str, attempts: int, error: str | None
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                f"UPDATE outbox_deliveries SET state = ?, attempts = ?, last_error = ?,"
                f" finished_at = {self._db.now} WHERE outbox_id = ? AND destination = ?",
                (state, attempts, error, outbox_id, destination),
            )

    async def schedule_retry(
        self, outbox_id: int, destination: str, attempts: int, at: float, error: str
    ) -> None:
        """The attempt failed; try again at `at` (unix seconds)."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox_deliveries SET attempts = ?, next_attempt_at = ?, last_error = ?"
                " WHERE outbox_id = ? AND destination = ?",
                (attempts, at, error, outbox_id, destination),
            )

    async def disable_destination(self, destination: str, reason: str) -> int:
        """Stop delivering to a destination; its waiting events become dead. Returns how many."""
        async with self._transaction() as db:
            await db.execute(
                f"UPDATE outbox_destinations SET disabled_at = {self._db.now}, disabled_reason = ?"
                " WHERE name = ?",
                (reason, destination),
            )
            return await db.execute(
                "UPDATE outbox_deliveries SET state = 'dead', last_error = ?,"
                f" finished_at = {self._db.now} WHERE destination = ? AND state = 'pending'",
                (reason, destination),
            )

    async def requeue_dead(self) -> tuple[int, int]:
        """Re-queue every dead delivery and re-enable disabled destinations; how many of each."""
        async with self._transaction() as db:
            enabled = await db.execute(
                "UPDATE outbox_destinations SET disabled_at = NULL, disabled_reason = NULL"
                " WHERE disabled_at IS NOT NULL"
            )
            requeued = await db.execute(
                "UPDATE outbox_deliveries SET state = 'pending', attempts = 0,"
                " next_attempt_at = 0, finished_at = NULL WHERE state = 'dead'"
            )
        if requeued:
            self._outbox_written()
        return requeued, enabled

    async def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are pending, delivered and dead."""
        rows = await self._all("SELECT state, COUNT(*) FROM outbox_deliveries GROUP BY state")
        return {PENDING: 0, DELIVERED: 0, DEAD: 0} | {row[0]: int(row[1]) for row in rows}

    async def deliveries_of(self, outbox_id: int) -> dict[str, tuple[str, int, str | None]]:
        """Each destination's state, attempts and last error for one event."""
        rows = await self._all(
            "SELECT destination, state, attempts, last_error FROM outbox_deliveries"
            " WHERE outbox_id = ?",
            (outbox_id,),
        )
        return {row[0]: (row[1], int(row[2]), row[3]) for row in rows}

    async def outbox_events(self, ticket_id: int | None = None) -> list[tuple[int, str, str, int]]:
        """Events in the outbox (id, webhook id, type, ticket), oldest first."""
        where, params = ("WHERE ticket_id = ?", (ticket_id,)) if ticket_id else ("", ())
        rows = await self._all(
            f"SELECT id, webhook_id, type, ticket_id FROM outbox {where} ORDER BY id", params
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]
