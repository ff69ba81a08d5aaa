"""The SQLite backend: one aiosqlite connection in WAL mode, its writers one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.database import Backend, Row, Session, StoreStatus
from bot.store.migrations import latest_version, migrate_sqlite

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


class _Connection(Session):
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        async with self._db.execute(sql, params) as cursor:
            return cursor.lastrowid if cursor.rowcount == 1 else None

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._db.executemany(sql, rows)

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._db.execute(sql, params) as cursor:
            row: aiosqlite.Row | None = await cursor.fetchone()
            return row

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


class SQLiteBackend(_Connection, Backend):
    """One connection shared by every turn; statements outside a transaction autocommit."""

    dialect = "sqlite"
    now = NOW

    def __init__(self, db: aiosqlite.Connection) -> None:
        super().__init__(db)
        # A write transaction must not interleave with another on the shared connection.
        self._write_lock = asyncio.Lock()

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path | str) -> AsyncIterator[SQLiteBackend]:
        """Open (creating and migrating) the file and close it on exit."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(path, isolation_level=None) as db:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA busy_timeout = 5000")
            await migrate_sqlite(db)
            yield cls(db)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()

    async def close(self) -> None:
        await self._db.close()


async def sqlite_status(path: Path | str) -> StoreStatus:
    """The file's schema version, read without creating or migrating it."""
    version = 0
    file = await asyncio.to_thread(lambda: Path(path).resolve() if Path(path).is_file() else None)
    if file is not None:
        async with (
            aiosqlite.connect(f"file:{file}?mode=ro", uri=True) as db,
            db.execute("PRAGMA user_version") as cursor,
        ):
            row = await cursor.fetchone()
            version = int(row[0]) if row else 0
    return StoreStatus("sqlite", str(path), version, latest_version())
