"""The staff desk: tickets opened, claimed, resolved and reopened, and their statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.config.hours import SupportHours
from bot.desk import durations
from bot.desk.ticket_events import STATUS_EVENTS, TICKET_CREATED
from bot.store import (
    Conversation,
    ReceiptRecord,
    Store,
    Ticket,
    TicketEvent,
    TicketLimitError,
    TicketStatus,
)

__all__ = [
    "DeskError",
    "DeskStats",
    "Person",
    "ReceiptRecord",
    "Ticket",
    "TicketDesk",
    "TicketStatus",
]


# On the staff post (in the ticket's issue) of a ticket opened outside SUPPORT_HOURS.
OUT_OF_HOURS_NOTE = "🌙 Came in out of support hours ({hours})."


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

    def __init__(
        self,
        store: Store,
        *,
        tickets_per_hour: int,
        hours: SupportHours | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.tickets_per_hour = tickets_per_hour
        self.hours = hours
        self.clock = clock

    def staff_back_at(self) -> dt.datetime | None:
        """Outside SUPPORT_HOURS: when staff are next at work (in the hours' zone); None
        when they are at work now, or no hours are set."""
        if self.hours is None:
            return None
        now = self.clock()
        return None if self.hours.is_open(now) else self.hours.next_opening(now)

    def when_staff_back(self) -> str | None:
        """`staff_back_at` as people read it: 'Monday 09:00 (Europe/London)'."""
        back = self.staff_back_at()
        if back is None or self.hours is None:
            return None
        return f"{back:%A %H:%M} ({self.hours.zone.key})"

    async def open_ticket(
        self,
        conversation: Conversation,
        customer: Person,
        *,
        name: str,
        issue: str,
        request_id: str | None,
        thread_url: str | None,
        unless_active: bool = False,
    ) -> tuple[Ticket, bool]:
        """Open a ticket (once per request id in the conversation) for staff; at most a few
        an hour. With `unless_active`, the conversation's open or claimed ticket instead."""
        receipt = await self.store.latest_receipt(conversation.id)
        if self.hours is not None and self.staff_back_at() is not None:
            issue = f"{issue}\n\n{OUT_OF_HOURS_NOTE.format(hours=self.hours.text)}"
        try:
            ticket, created = await self.store.create_ticket(
                conversation.id,
                request_key=request_id,
                customer_name=name,
                issue=issue,
                user_id=customer.id,
                user_display=customer.display_name,
                thread_url=thread_url,
                receipt_id=receipt.id if receipt else None,
                channel_id=conversation.channel_id,
                event=TICKET_CREATED,
                unless_active=unless_active,
                per_hour=self.tickets_per_hour,
            )
        except TicketLimitError as exc:
            raise DeskError(
                f"This conversation already opened {exc.recent} tickets in the last hour;"
                " staff will follow up on those. Try again later if it is a new problem."
            ) from None
        return ticket, created

    async def hand_off(
        self,
        conversation: Conversation,
        customer: Person,
        *,
        reason: str,
        request_id: str | None,
        thread_url: str | None,
        by_staff: Person | None = None,
    ) -> tuple[Ticket, bool]:
        """The customer wants a person (or a staff member, `by_staff`, hands their
        conversation to the desk): their active ticket, or a new one (decided in one
        transaction, so two hand-offs at once open one ticket). The ticket is the customer's
        either way."""
        asked = (
            f"{by_staff.display_name} (staff) handed the conversation to the desk."
            if by_staff is not None
            else "The customer asked to talk to a person."
        )
        return await self.open_ticket(
            conversation,
            customer,
            name=customer.display_name,
            issue=f"{asked} {reason}".strip(),
            request_id=request_id,
            thread_url=thread_url,
            unless_active=True,
        )

    async def claim(self, ticket_id: int, staff: Person) -> Ticket:
        """A staff member takes an open ticket; the bot then stays quiet in its thread."""
        return await self._move(ticket_id, TicketStatus.CLAIMED, staff, {TicketStatus.OPEN})

    async def resolve(self, ticket_id: int, staff: Person) -> Ticket:
        """The ticket is done; the bot resumes in its thread."""
        return await self._move(
            ticket_id, TicketStatus.RESOLVED, staff, {TicketStatus.OPEN, TicketStatus.CLAIMED}
        )

    async def reopen(self, ticket_id: int, staff: Person) -> Ticket:
        """A resolved ticket needs work again."""
        return await self._move(ticket_id, TicketStatus.OPEN, staff, {TicketStatus.RESOLVED})

    async def page(
        self, statuses: Sequence[TicketStatus], *, limit: int, offset: int = 0
    ) -> tuple[list[Ticket], int]:
        """A page of tickets in these statuses, newest first, and how many there are."""
        return await self.store.list_tickets(statuses, limit=limit, offset=offset)

    async def stats(self) -> DeskStats:
        """Counts by status and median times, from the recorded lifecycle."""
        counts = dict.fromkeys(TicketStatus, 0) | await self.store.ticket_counts()
        by_ticket: dict[int, list[TicketEvent]] = {}
        for event in await self.store.all_ticket_events():
            by_ticket.setdefault(event.ticket_id, []).append(event)
        first_responses = [
            durations.time_to(events, TicketStatus.CLAIMED) for events in by_ticket.values()
        ]
        resolutions = [
            durations.time_to(events, TicketStatus.RESOLVED) for events in by_ticket.values()
        ]
        dead = (await self.store.delivery_counts())["dead"]
        return DeskStats(
            counts, durations.median(first_responses), durations.median(resolutions), dead
        )

    async def _move(
        self,
        ticket_id: int,
        status: TicketStatus,
        staff: Person,
        from_statuses: set[TicketStatus],
    ) -> Ticket:
        """Change the status if the ticket is still where the action expects it; otherwise
        say where it is (another staff member may have been faster)."""
        moved = await self.store.set_ticket_status(
            ticket_id,
            status,
            from_statuses=from_statuses,
            actor_id=staff.id,
            actor_name=staff.display_name,
            event=STATUS_EVENTS[status],
        )
        if moved is not None:
            return moved
        ticket = await self._ticket(ticket_id)
        if ticket.status == TicketStatus.CLAIMED:
            raise DeskError(f"Ticket #{ticket.id} is already claimed by {ticket.claimed_by_name}.")
        if ticket.status == TicketStatus.RESOLVED:
            raise DeskError(
                f"Ticket #{ticket.id} is already resolved"
                + ("." if status == TicketStatus.RESOLVED else "; reopen it first.")
            )
        raise DeskError(f"Ticket #{ticket.id} is not resolved, it is {ticket.status}.")

    async def _ticket(self, ticket_id: int) -> Ticket:
        ticket = await self.store.get_ticket(ticket_id)
        if ticket is None:
            raise DeskError(f"There is no ticket #{ticket_id}.")
        return ticket
