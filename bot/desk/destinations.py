"""Where ticket events go: the destination protocol, and the staff channel's posts."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bot.desk.ticket_events import TICKET_CREATED
from bot.store import ReceiptRecord, Store, Ticket

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The destination did not accept the event this time; it is retried."""


class DestinationGoneError(Exception):
    """The destination says it wants nothing more (410 Gone): it is disabled."""


@dataclass(frozen=True)
class OutgoingEvent:
    """One event on its way to one destination: its body, and the ticket as it left it."""

    webhook_id: str
    type: str
    payload: dict[str, Any]
    ticket: Ticket


class Destination(Protocol):
    """Somewhere ticket events go."""

    # Stable: the store keeps each destination's progress under this name.
    name: str
    # Safe to show in logs (no tokens that a URL may carry).
    label: str

    async def ready(self) -> None:
        """Return once deliveries can be attempted."""
        ...

    async def deliver(self, event: OutgoingEvent) -> None:
        """Deliver or raise (DestinationGoneError disables, anything else is retried)."""
        ...


@dataclass(frozen=True)
class StaffPost:
    """A ticket's post where staff work."""

    id: int
    url: str | None = None


class TicketNotifier(Protocol):
    """Shows tickets where staff work: posts new ones and updates them in place."""

    name: str

    async def ready(self) -> None:
        """Return once posts can be made."""
        ...

    async def ticket_created(
        self, ticket: Ticket, receipt: ReceiptRecord | None
    ) -> StaffPost | None:
        """Post the ticket; return the post, when there is one."""
        ...

    async def ticket_changed(self, ticket: Ticket, receipt: ReceiptRecord | None) -> None:
        """Bring the ticket's post up to date."""
        ...


class StaffPostDestination:
    """The staff channel as a destination: posts a new ticket, updates its post afterwards."""

    def __init__(self, store: Store, notifier: TicketNotifier) -> None:
        self._store = store
        self._notifier = notifier
        self.name = notifier.name
        self.label = notifier.name
        # One post at a time: the channel's rate limit is learnt from each answer, and posts
        # sent together before the first answer draw a real 429.
        self._one_at_a_time = asyncio.Lock()

    async def ready(self) -> None:
        """Wait for the notifier (the Discord connection)."""
        await self._notifier.ready()

    async def deliver(self, event: OutgoingEvent) -> None:
        """Post a new ticket, or show the post as the event left the ticket."""
        async with self._one_at_a_time:
            await self._deliver(event)

    async def _deliver(self, event: OutgoingEvent) -> None:
        current = await self._store.get_ticket(event.ticket.id)
        if current is None:
            return  # deleted since (a customer's data forgotten): nothing to show
        # The post may have been made after the event: its id comes from the ticket as it is.
        ticket = dataclasses.replace(
            event.ticket,
            staff_message_id=current.staff_message_id,
            staff_post_url=current.staff_post_url,
        )
        receipt = await self._store.latest_receipt(ticket.conversation_id)
        if event.type != TICKET_CREATED:
            await self._notifier.ticket_changed(ticket, receipt)
        elif ticket.staff_message_id is None:
            post = await self._notifier.ticket_created(ticket, receipt)
            if post is not None:
                await self._store.set_ticket_staff_message(ticket.id, post.id, post.url)
