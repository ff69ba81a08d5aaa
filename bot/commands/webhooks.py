"""`python -m bot webhooks retry` and the webhook part of `python -m bot check`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any, TextIO

from bot.config import Settings
from bot.desk.webhooks import probe
from bot.store import Store


def add_webhooks_commands(commands: Any) -> None:
    """Add `webhooks retry` to the command line."""
    webhooks = commands.add_parser("webhooks", help="ticket events for other systems")
    webhooks.add_argument("action", choices=["retry"], help="retry: re-queue dead deliveries")
    webhooks.set_defaults(run=run_webhooks)


def run_webhooks(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run the webhooks command (`retry` is the only action)."""
    return asyncio.run(retry_dead(settings, out))


async def retry_dead(settings: Settings, out: TextIO) -> int:
    """Re-queue every dead delivery and re-enable destinations that answered 410 Gone."""
    async with Store.open(settings.store_location) as store:
        requeued, enabled = await store.requeue_dead()
    out.write(
        f"{requeued} dead delivery(ies) re-queued, {enabled} disabled destination(s) enabled"
        " again. The running bot delivers them within half a minute (or at its next start).\n"
    )
    return 0


async def check_webhooks(settings: Settings, report: Callable[[bool, str], None]) -> None:
    """Reach each WEBHOOK_URLS entry with a signed test event and report its answer."""
    urls = settings.webhook_url_list
    if not urls or settings.webhook_secret is None:
        report(True, "no WEBHOOK_URLS: ticket events go to the staff channel only")
        return
    secret = settings.webhook_secret.get_secret_value()
    for url in urls:
        accepted, text = await probe(url, secret, time_limit=settings.webhook_timeout)
        report(accepted, text)
