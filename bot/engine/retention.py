"""RETENTION_DAYS: conversations idle for longer are purged at start and then once a day."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bot.store import Store

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 60 * 60


async def purge_idle_conversations(store: Store, days: int) -> int:
    """Purge once; log how many conversations went. A failure is logged, never raised."""
    try:
        purged = await store.purge_idle(days)
    except Exception:
        log.exception("retention purge failed; the next one runs in a day")
        return 0
    if purged:
        log.info("retention: purged %d conversation(s) idle for over %d days", purged, days)
    return purged


async def run_retention(store: Store, days: int, *, every: float = DAY_SECONDS) -> None:
    """Purge now and then every `every` seconds until cancelled; return at once if days is 0."""
    if days <= 0:
        return
    while True:
        await purge_idle_conversations(store, days)
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def retention(store: Store, days: int) -> AsyncIterator[None]:
    """Run the purge in the background while the block runs (nothing when days is 0)."""
    task = asyncio.create_task(run_retention(store, days), name="retention")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
