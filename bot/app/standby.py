"""One active process of several on one PostgreSQL; the others stand by and take over.

The active process holds the store's active lock (a PostgreSQL session advisory lock on a
connection of its own). A standby waits for it; when the active process dies, SIGKILL
included, the server frees the lock and the first standby in line goes on: it connects to
Discord, and the engine's start marks the turns the dead process cut. With SQLite there is
one process per file and nothing to wait for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.store import Store

log = logging.getLogger(__name__)


@asynccontextmanager
async def active_process(location: Path | str) -> AsyncIterator[bool]:
    """Yield True once this process is the active one (at once for SQLite), False when
    SIGINT or SIGTERM came while it stood by; the lock is let go when the block ends."""
    lock = Store.active_lock(location)
    if lock is None:
        yield True
        return
    try:
        if not await lock.try_acquire():
            log.info("another process is active: standing by")
            if not await _wait_unless_stopped(lock.acquire()):
                yield False
                return
            log.info("the active process is gone: taking over")
        # Losing the lock's connection means another process may take over: stop this one
        # as SIGTERM would, rather than answer customers twice.
        lock.on_lost(_stop_on_lost_lock)
        yield True
    finally:
        await lock.release()


def _stop_on_lost_lock() -> None:
    log.error("the connection holding the active lock closed: stopping")
    os.kill(os.getpid(), signal.SIGTERM)


async def _wait_unless_stopped(wait: Coroutine[Any, Any, None]) -> bool:
    """Await `wait`; SIGINT or SIGTERM meanwhile cancels it. Whether it finished."""
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(wait)

    def stop(name: str) -> None:
        log.info("%s received while standing by", name)
        task.cancel()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop, sig.name)
    try:
        await task
    except asyncio.CancelledError:
        if task.cancelled() and not _current_cancelling():
            return False
        raise
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    return True


def _current_cancelling() -> int:
    current = asyncio.current_task()
    return current.cancelling() if current else 0
