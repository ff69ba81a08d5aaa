"""Retention: idle conversations and old, delivered ticket events are purged."""

from __future__ import annotations

import datetime as dt

from bot.store import NewMessage, Store, TicketStatus
from tests.store.helpers import ANA, OMAR, move_ticket, store_conversation


async def test_purge_idle_deletes_only_conversations_idle_for_longer(store_location):
    """Idle past the limit: purged, unless a ticket is still open or claimed; 0 days: off."""
    async with Store.open(store_location) as store:
        quiet = await store.get_or_create_conversation("discord:1", customer_id=OMAR)
        await store.append_messages(quiet.id, [NewMessage("user", "hello", author_id=OMAR)])
        waiting = await store_conversation(store, ANA, "Ana", 600)  # its ticket is claimed
        now = dt.datetime.now(dt.UTC)

        assert await store.purge_idle(0, now=now + dt.timedelta(days=400)) == 0
        assert await store.purge_idle(30, now=now + dt.timedelta(days=29)) == 0
        assert await store.get_conversation("discord:1") is not None

        assert await store.purge_idle(30, now=now + dt.timedelta(days=31)) == 1
        assert await store.get_conversation("discord:1") is None
        assert await store.load_history(quiet.id) == []
        assert await store.get_conversation("discord:600") is not None

        await move_ticket(store, waiting.ticket_id, TicketStatus.RESOLVED)
        assert await store.purge_idle(30, now=now + dt.timedelta(days=31)) == 1
        assert await store.get_conversation("discord:600") is None
        assert await store.get_ticket(waiting.ticket_id) is None


async def test_purge_idle_drops_old_ticket_events_once_delivered(store_location):
    """Ticket events hold a snapshot of the ticket: past the retention they go, unless a
    delivery of theirs is still pending."""
    async with Store.open(store_location) as store:
        waiting = await store_conversation(store, ANA, "Ana", 601)  # kept: its ticket is claimed
        await store.register_destinations(["webhook:https://crm.example/hook"])
        # Back to open: the conversation is kept.
        await move_ticket(store, waiting.ticket_id, TicketStatus.OPEN, event="ticket.reopened")
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
        (pending,) = await store.outbox_events(waiting.ticket_id)
        await store.purge_idle(30, now=later - dt.timedelta(days=400))  # nothing old yet
        assert await store.outbox_events(waiting.ticket_id) == [pending]
        await store.purge_idle(30, now=later)
        # Pending at the webhook: kept. Once delivered, it goes.
        assert await store.outbox_events(waiting.ticket_id) == [pending]
        await store.mark_delivered(pending[0], "webhook:https://crm.example/hook", 1)
        await store.purge_idle(30, now=later)
        assert await store.outbox_events(waiting.ticket_id) == []
