"""The PostgreSQL backend: an asyncpg pool, the shared queries' `?` turned into `$n`.

Writers are serialised like SQLite's (a transaction-level advisory lock), so every
check-then-change of the store behaves the same on both, across processes too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.store.database import Backend, Row, Session, StoreStatus
from bot.store.migrations import latest_version, migrate_postgres, postgres_version

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key every write transaction takes ('WRITE' in ASCII).
WRITE_LOCK = 0x57_5249_5445
# The active process's pg_advisory_lock key, one per schema (see `ActiveLock`): two
# deployments in two schemas of one database must not wait for each other.
ACTIVE_LOCK = "hashtextextended('support-bot active:' || current_schema(), 0)"
# Defined by 0001_initial.postgres.sql: the same text SQLite's strftime gives.
NOW = "utc_now_text()"

# A connection of its own or one lent by the pool: both run statements alike.
Connection = asyncpg.Connection | PoolConnectionProxy

_TOKEN = re.compile(r"'(?:[^']|'')*'|\?")


@lru_cache(maxsize=512)
def to_postgres(sql: str) -> str:
    """`?` placeholders as `$1, $2, ...` (a `?` inside a string literal stays)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match[0] != "?":
            return match[0]
        count += 1
        return f"${count}"

    return _TOKEN.sub(number, sql)


def is_postgres_url(location: object) -> bool:
    """Whether a store location is a PostgreSQL URL rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgres://", "postgresql://"))


def describe_url(url: str) -> str:
    """host:port/database of a URL, without user or password (for logs and `check`)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}{parts.path or '/'}"


def _rowcount(status: str) -> int:
    # asyncpg returns the command tag: 'UPDATE 3', 'INSERT 0 1', 'DELETE 0'.
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _Connection(Session):
    def __init__(self, db: Connection) -> None:
        self._conn = db

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _rowcount(await self._conn.execute(to_postgres(sql), *params))

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        found = await self._conn.fetchval(to_postgres(sql) + " RETURNING id", *params)
        return None if found is None else int(found)

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._conn.executemany(to_postgres(sql), rows)

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(to_postgres(sql), *params)
        return row

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.fetch(to_postgres(sql), *params))


class PostgresBackend(Backend):
    """A pool of connections; each statement outside a transaction commits on its own."""

    dialect = "postgres"
    now = NOW

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    @asynccontextmanager
    async def open(cls, url: str) -> AsyncIterator[PostgresBackend]:
        """Connect, migrate, and close the pool on exit."""
        pool = await asyncpg.create_pool(url, min_size=1, max_size=8)
        try:
            async with pool.acquire() as db:
                await migrate_postgres(db)
            yield cls(pool)
        finally:
            await pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield _Connection(db)

    async def _run(self, method: str, sql: str, params: Sequence[Any]) -> Any:
        async with self._pool.acquire() as db:
            return await getattr(_Connection(db), method)(sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        result: int = await self._run("execute", sql, params)
        return result

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        result: int | None = await self._run("insert", sql, params)
        return result

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        async with self._pool.acquire() as db:
            await _Connection(db).execute_many(sql, rows)

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        result: Row | None = await self._run("one", sql, params)
        return result

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        result: list[Row] = await self._run("all", sql, params)
        return result

    async def close(self) -> None:
        await self._pool.close()


async def postgres_status(url: str) -> StoreStatus:
    """Reach the server and read the schema version, changing nothing."""
    db = await asyncpg.connect(url, timeout=10)
    try:
        version = await postgres_version(db)
        server = str(await db.fetchval("SHOW server_version"))
    finally:
        await db.close()
    return StoreStatus("postgres", describe_url(url), version, latest_version(), server)


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
