"""The active lock: one active process of several on one PostgreSQL (see bot.app.standby).

A session advisory lock on a connection of its own; the holder proves it still holds it
every few seconds and TCP keepalives watch the connection, so a silent network drop is
noticed and the process stops before a standby takes over.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable
from contextlib import suppress
from typing import ClassVar

import asyncpg

log = logging.getLogger(__name__)

# The active process's pg_advisory_lock key, one per schema (see `ActiveLock`): two
# deployments in two schemas of one database must not wait for each other.
ACTIVE_LOCK = "hashtextextended('support-bot active:' || current_schema(), 0)"


class ActiveLock:
    """The lock that makes one process of several the active one.

    A session-level advisory lock on a connection of its own: held while that connection
    lives, so the server frees it the moment the holder dies (SIGKILL included), and the
    first process waiting for it takes over.

    A network that drops silently (no reset, packets just vanish) closes nothing, so the
    holder proves it still holds the lock every `HEARTBEAT_EVERY` seconds with a query under
    `HEARTBEAT_TIMEOUT`, and calls `on_lost`'s callback the first time it cannot. TCP
    keepalives on both ends let the server free the lock of a vanished holder, and a waiting
    standby notice its own dead connection; a standby whose connection is lost (a restart,
    a failover) reconnects and waits again.
    """

    HEARTBEAT_EVERY = 2.0
    HEARTBEAT_TIMEOUT = 3.0
    RECONNECT_AFTER = 1.0
    # Set on the lock's connection when the server has them (set_config, so an older server
    # without one is no error): the server probes an idle client after 5 s, every 2 s, gives
    # up after 3 probes or 10 s of unacknowledged data, and checks a waiting client every 2 s.
    SERVER_SETTINGS: ClassVar[dict[str, str]] = {
        "tcp_keepalives_idle": "5",
        "tcp_keepalives_interval": "2",
        "tcp_keepalives_count": "3",
        "tcp_user_timeout": "10000",
        "client_connection_check_interval": "2000",
    }

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: asyncpg.Connection | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._lost: Callable[[str], None] | None = None

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; whether this process now does."""
        conn = await self._connect()
        return bool(await conn.fetchval(f"SELECT pg_try_advisory_lock({ACTIVE_LOCK})"))

    async def acquire(self) -> None:
        """Wait until the lock is free, then hold it (cancel the wait to give up). A lost
        connection (a server restart, a failover, a dead network) is reconnected and the
        wait goes on."""
        reconnecting = False
        while True:
            try:
                conn = await self._connect()
                if reconnecting:
                    log.info("reconnected to PostgreSQL: standing by")
                    reconnecting = False
                await conn.execute(f"SELECT pg_advisory_lock({ACTIVE_LOCK})")
                return
            except _CONNECTION_LOST as exc:
                self._drop()
                if not reconnecting:
                    log.warning(
                        "lost PostgreSQL while standing by (%s): reconnecting", _describe(exc)
                    )
                    reconnecting = True
                await asyncio.sleep(self.RECONNECT_AFTER)
            except BaseException:
                # The server may still be waiting for the lock on this connection: drop it.
                self._drop()
                raise

    def on_lost(self, callback: Callable[[str], None]) -> None:
        """Call `callback(reason)` once if the lock is lost while held: its connection
        closes, or it stops answering the heartbeat in time (a silent network drop)."""
        assert self._conn is not None
        self._lost = callback
        self._conn.add_termination_listener(lambda _conn: self._report("the connection closed"))
        self._heartbeat = asyncio.create_task(self._prove_held(self._conn))

    async def release(self) -> None:
        """Let another process take over (closing the connection frees the lock)."""
        # Letting go is no loss (termination listeners run later, from the event loop).
        self._lost = None
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            heartbeat.cancel()
            with suppress(asyncio.CancelledError):
                await heartbeat
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            # Bounded: over a dead network the goodbye never arrives (then terminate).
            await conn.close(timeout=self.HEARTBEAT_TIMEOUT)

    async def _prove_held(self, conn: asyncpg.Connection) -> None:
        """Every HEARTBEAT_EVERY seconds, ask the server whether this session holds the lock."""
        while True:
            await asyncio.sleep(self.HEARTBEAT_EVERY)
            try:
                held = await conn.fetchval(_HOLDS_LOCK, timeout=self.HEARTBEAT_TIMEOUT)
            except _CONNECTION_LOST as exc:
                reason = (
                    f"no answer to the heartbeat in {self.HEARTBEAT_TIMEOUT:g} s"
                    if isinstance(exc, TimeoutError)
                    else f"the heartbeat failed: {_describe(exc)}"
                )
            else:
                if held:
                    continue
                reason = "the server says this session no longer holds it"
            self._report(reason)
            conn.terminate()
            return

    def _report(self, reason: str) -> None:
        callback, self._lost = self._lost, None
        if callback is not None:
            callback(reason)

    async def _connect(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._url, timeout=10)
            await _keep_alive(self._conn, self.SERVER_SETTINGS)
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None


# Whether this session holds an advisory lock (its connection holds no other).
_HOLDS_LOCK = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks"
    " WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted)"
)
# What a lost connection to the server raises (as opposed to a wrong setting or SQL).
_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
)


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def _keep_alive(conn: asyncpg.Connection, settings: dict[str, str]) -> None:
    """TCP keepalives on both ends of the lock's connection: the server's (settings it has)
    and this process's socket (so a wait over a dead network fails instead of hanging)."""
    try:
        await conn.execute(
            "SELECT set_config(name, ($1::jsonb) ->> name, false) FROM pg_settings"
            " WHERE ($1::jsonb) ? name",
            json.dumps(settings),
        )
    except asyncpg.PostgresError as exc:  # e.g. a platform without TCP_USER_TIMEOUT
        log.debug("could not set TCP keepalives on the server: %s", exc)
    transport = getattr(conn, "_transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    for name, value in (
        ("TCP_KEEPIDLE", 5),
        ("TCP_KEEPINTVL", 2),
        ("TCP_KEEPCNT", 3),
        ("TCP_USER_TIMEOUT", 10_000),
    ):
        if hasattr(socket, name):
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    for level, option, value in options:
        with suppress(OSError):
            sock.setsockopt(level, option, value)
