"""One active process of several on one PostgreSQL; the others stand by and take over.

The active process holds the store's active lock (a PostgreSQL session advisory lock on a
connection of its own). A standby waits for it; when the active process dies, SIGKILL
included, the server frees the lock and the first standby in line goes on: it connects to
Discord, and the engine's start marks the turns the dead process cut. With SQLite there is
one process per file and nothing to wait for.

An active process that loses its lock (its connection closes, or a silent network drop
leaves the heartbeat unanswered: see `ActiveLock`) may already have a successor, so it
stops at once, as SIGTERM would, and exits non-zero; when the clean shutdown cannot finish
within `SHUTDOWN_GRACE` seconds (the store is gone with the network) it exits anyway.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.store import Store

log = logging.getLogger(__name__)

# Seconds a process that lost its lock has for its clean shutdown before it exits anyway.
SHUTDOWN_GRACE = 3.0
# The exit code of a process that lost its lock (a supervisor restarts it: it stands by).
EXIT_LOCK_LOST = 75


@asynccontextmanager
async def active_process(location: Path | str) -> AsyncIterator[bool]:
    """Yield True once this process is the active one (at once for SQLite), False when
    SIGINT or SIGTERM came while it stood by; the lock is let go when the block ends. Losing
    the lock while active stops the process (SIGTERM, then a bounded wait) and the block's
    end raises SystemExit(EXIT_LOCK_LOST)."""
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
        # Losing the lock means another process may take over: stop this one as SIGTERM
        # would, rather than answer customers twice.
        lost: list[str] = []
        lock.on_lost(lambda reason: _stop_on_lost_lock(reason, lost))
        yield True
        if lost:
            raise SystemExit(EXIT_LOCK_LOST)
    finally:
        await lock.release()


def _stop_on_lost_lock(reason: str, lost: list[str]) -> None:
    lost.append(reason)
    log.error("lost the active lock (%s): stopping, exiting within %g s", reason, SHUTDOWN_GRACE)
    # Daemon: a shutdown that finishes in time exits without waiting for it.
    deadline = threading.Timer(SHUTDOWN_GRACE, _exit_now)
    deadline.daemon = True
    deadline.start()
    os.kill(os.getpid(), signal.SIGTERM)


def _exit_now() -> None:
    """The clean shutdown did not finish in time: leave without it."""
    log.error("the clean shutdown did not finish within %g s: exiting", SHUTDOWN_GRACE)
    logging.shutdown()
    os._exit(EXIT_LOCK_LOST)


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
