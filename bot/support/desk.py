"""The staff desk: tickets opened, claimed, resolved and reopened, and their statistics."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store import Conversation, Store, Ticket, TicketEvent
from bot.support.ticket_events import STATUS_EVENTS, TICKET_CREATED

OPEN = "open"
CLAIMED = "claimed"
RESOLVED = "resolved"
STATUSES = (OPEN, CLAIMED, RESOLVED)


class DeskError(Exception):
    """A desk action that does not fit the ticket's state; the message is for staff."""


@dataclass(frozen=True)
class Person:
    """Someone acting on a ticket: a customer or a staff member."""

    id: str
    display_name: str


@dataclass(frozen=True)
class DeskStats:
    """Counts by status, the median times to first response and to resolution, and how many
    ticket events could not be delivered (dead in the outbox)."""

    counts: dict[str, int]
    median_first_response: dt.timedelta | None
    median_resolution: dt.timedelta | None
    undelivered: int = 0


class TicketDesk:
    """Ticket lifecycle over the store.

    Every change is recorded with its event in the outbox, in one transaction; the outbox
    worker shows it to staff and to the other systems.
    """

    def __init__(self, store: Store, *, tickets_per_hour: int = 3) -> None:
        self.store = store
        self.tickets_per_hour = tickets_per_hour

    async def open_ticket(
        self,
        conversation: Conversation,
        customer: Person,
        *,
        name: str,
        issue: str,
        request_id: str | None,
        thread_url: str | None,
    ) -> tuple[Ticket, bool]:
        """Open a ticket (once per request id) for staff; at most a few an hour."""
        if request_id is None or await self.store.get_ticket_by_request(request_id) is None:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
            recent = await self.store.count_tickets_since(conversation.id, since)
            if recent >= self.tickets_per_hour:
                raise DeskError(
                    f"This conversation already opened {recent} tickets in the last hour;"
                    " staff will follow up on those. Try again later if it is a new problem."
                )
        receipt = await self.store.latest_receipt(conversation.id)
        ticket, created = await self.store.create_ticket(
            conversation.id,
            tool_call_id=request_id,
            customer_name=name,
            issue=issue,
            user_id=customer.id,
            user_display=customer.display_name,
            thread_url=thread_url,
            receipt_id=receipt.id if receipt else None,
            channel_id=conversation.channel_id,
            event=TICKET_CREATED,
        )
        return ticket, created

    async def hand_off(
        self,
        conversation: Conversation,
        customer: Person,
        *,
        reason: str,
        request_id: str | None,
        thread_url: str | None,
    ) -> tuple[Ticket, bool]:
        """The customer wants a person: their active ticket, or a new one."""
        active = await self.store.active_ticket(conversation.id)
        if active is not None:
            return active, False
        return await self.open_ticket(
            conversation,
            customer,
            name=customer.display_name,
            issue=f"The customer asked to talk to a person. {reason}".strip(),
            request_id=request_id,
            thread_url=thread_url,
        )

    async def claim(self, ticket_id: int, staff: Person) -> Ticket:
        """A staff member takes the ticket; the bot then stays quiet in its thread."""
        ticket = await self._ticket(ticket_id)
        if ticket.status == CLAIMED:
            raise DeskError(f"Ticket #{ticket.id} is already claimed by {ticket.claimed_by_name}.")
        if ticket.status == RESOLVED:
            raise DeskError(f"Ticket #{ticket.id} is resolved; reopen it first.")
        return await self._move(ticket, CLAIMED, staff)

    async def resolve(self, ticket_id: int, staff: Person) -> Ticket:
        """The ticket is done; the bot resumes in its thread."""
        ticket = await self._ticket(ticket_id)
        if ticket.status == RESOLVED:
            raise DeskError(f"Ticket #{ticket.id} is already resolved.")
        return await self._move(ticket, RESOLVED, staff)

    async def reopen(self, ticket_id: int, staff: Person) -> Ticket:
        """A resolved ticket needs work again."""
        ticket = await self._ticket(ticket_id)
        if ticket.status != RESOLVED:
            raise DeskError(f"Ticket #{ticket.id} is not resolved, it is {ticket.status}.")
        return await self._move(ticket, OPEN, staff)

    async def stats(self) -> DeskStats:
        """Counts by status and median times, from the recorded lifecycle."""
        counts = dict.fromkeys(STATUSES, 0) | await self.store.ticket_counts()
        by_ticket: dict[int, list[TicketEvent]] = {}
        for event in await self.store.all_ticket_events():
            by_ticket.setdefault(event.ticket_id, []).append(event)
        first_responses = [_time_to(events, CLAIMED) for events in by_ticket.values()]
        resolutions = [_time_to(events, RESOLVED) for events in by_ticket.values()]
        dead = (await self.store.delivery_counts())["dead"]
        return DeskStats(counts, _median(first_responses), _median(resolutions), dead)

    async def _move(self, ticket: Ticket, status: str, staff: Person) -> Ticket:
        return await self.store.set_ticket_status(
            ticket.id,
            status,
            actor_id=staff.id,
            actor_name=staff.display_name,
            event=STATUS_EVENTS[status],
        )

    async def _ticket(self, ticket_id: int) -> Ticket:
        ticket = await self.store.get_ticket(ticket_id)
        if ticket is None:
            raise DeskError(f"There is no ticket #{ticket_id}.")
        return ticket


def _time_to(events: Sequence[TicketEvent], status: str) -> dt.timedelta | None:
    """From the ticket's creation to its first change to `status`."""
    reached = next((e for e in events if e.status == status), None)
    if reached is None or not events:
        return None
    return _parse(reached.created_at) - _parse(events[0].created_at)


def _median(values: Sequence[dt.timedelta | None]) -> dt.timedelta | None:
    known = [v.total_seconds() for v in values if v is not None]
    return dt.timedelta(seconds=statistics.median(known)) if known else None


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
