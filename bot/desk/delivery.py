"""The outbox worker wired from the settings: staff posts and every webhook URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from bot.config import Settings
from bot.desk.destinations import Destination, StaffPostDestination, TicketNotifier
from bot.desk.outbox import OutboxWorker, RetryPolicy
from bot.desk.webhooks import webhook_destinations
from bot.store import Store


@asynccontextmanager
async def ticket_delivery(
    settings: Settings,
    store: Store,
    staff: TicketNotifier,
    *,
    retry: RetryPolicy | None = None,
) -> AsyncIterator[OutboxWorker]:
    """Deliver ticket events to staff and to each WEBHOOK_URLS entry while the block runs."""
    async with aiohttp.ClientSession() as session:
        destinations: list[Destination] = [StaffPostDestination(store, staff)]
        if settings.webhook_secret is not None:
            destinations += webhook_destinations(
                settings.webhook_url_list,
                settings.webhook_secret.get_secret_value(),
                session,
                timeout=settings.webhook_timeout,
            )
        async with OutboxWorker(store, destinations, retry=retry) as worker:
            yield worker
