"""The PostgreSQL backend: an asyncpg pool, the shared queries' `?` turned into `$n`.

Writers are serialised like SQLite's (a transaction-level advisory lock), so every
check-then-change of the store behaves the same on both, across processes too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.store.database import Backend, Row, Session, StoreStatus
from bot.store.migrations import latest_version, migrate_postgres, postgres_version

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key every write transaction takes ('WRITE' in ASCII).
WRITE_LOCK = 0x57_5249_5445
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
        async with asyncpg.create_pool(url, min_size=1, max_size=8) as pool:
            async with pool.acquire() as db:
                await migrate_postgres(db)
            yield cls(pool)

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
