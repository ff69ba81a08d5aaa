"""Numbered, append-only SQL migrations for both databases, applied in one transaction.

One list of versions serves SQLite and PostgreSQL. In `bot/store/migrations/`:

- `NNNN_name.sql` is the migration: SQLite runs it, and PostgreSQL runs it too unless
- `NNNN_name.postgres.sql` exists beside it: PostgreSQL's spelling of the same change, for
  where the dialects differ (identity columns and BIGINT for Discord snowflakes, DOUBLE
  PRECISION for REAL, the text timestamp default, full-text search instead of FTS5).

Both variants of a version must leave the same tables and columns, so the queries are shared.
SQLite records its version in `PRAGMA user_version`; PostgreSQL in the `schema_version` table,
and takes a transaction-level advisory lock first, so processes starting together migrate once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import aiosqlite

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+(\.postgres)?\.sql$")
# pg_advisory_xact_lock key of the migration transaction ('MIGRATE' in ASCII).
MIGRATION_LOCK = 0x4D49_4752_4154_45


@dataclass(frozen=True)
class Migration:
    """One migration: its number, name, SQL, and PostgreSQL's SQL when it differs."""

    version: int
    name: str
    sql: str
    postgres_sql: str | None = None

    def for_postgres(self) -> str:
        """The SQL PostgreSQL runs for this version."""
        return self.sql if self.postgres_sql is None else self.postgres_sql


def load_migrations() -> list[Migration]:
    """Read the packaged migration files, ordered and checked for gaps."""
    folder = resources.files("bot.store") / "migrations"
    shared: dict[int, tuple[str, str]] = {}
    postgres: dict[int, tuple[str, str]] = {}
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            into = postgres if match[2] else shared
            if int(match[1]) in into:
                raise RuntimeError(f"two migrations numbered {match[1]}")
            into[int(match[1])] = (entry.name, entry.read_text("utf-8"))
    for version, (name, _) in postgres.items():
        if version not in shared:
            raise RuntimeError(f"migration {name} has no shared {version:04d}_*.sql beside it")
    found = [
        Migration(version, name, sql, postgres.get(version, (None, None))[1])
        for version, (name, sql) in sorted(shared.items())
    ]
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(
                f"migration {migration.name} is out of sequence (expected {expected})"
            )
    return found


def latest_version() -> int:
    """The newest schema version this bot knows."""
    migrations = load_migrations()
    return migrations[-1].version if migrations else 0


async def migrate_sqlite(db: aiosqlite.Connection) -> int:
    """Apply every migration newer than the database's user_version; return the version."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    pending = [m for m in load_migrations() if m.version > current]
    if not pending:
        return current
    # executescript would commit on its own; statements one by one keep one transaction.
    await db.execute("BEGIN IMMEDIATE")
    try:
        for migration in pending:
            for statement in _statements(migration.sql):
                await db.execute(statement)
            log.info("applied migration %s", migration.name)
        await db.execute(f"PRAGMA user_version = {pending[-1].version}")
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    return pending[-1].version


# The name the earlier single-dialect code had.
migrate = migrate_sqlite


async def postgres_version(db: asyncpg.Connection | PoolConnectionProxy) -> int:
    """The schema version of the database (0 when never migrated)."""
    exists = await db.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await db.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


async def migrate_postgres(db: asyncpg.Connection | PoolConnectionProxy) -> int:
    """Apply every pending migration in one transaction; return the version."""
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        current = await postgres_version(db)
        pending = [m for m in load_migrations() if m.version > current]
        for migration in pending:
            for statement in _statements(migration.for_postgres()):
                await db.execute(statement)
            await db.execute("INSERT INTO schema_version (version) VALUES ($1)", migration.version)
            log.info("applied migration %s", migration.name)
    return pending[-1].version if pending else current


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (our migrations hold no triggers or literal ';';
    a PostgreSQL function body is written between $$ and may hold ';')."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    text = "\n".join(lines)
    statements: list[str] = []
    for index, part in enumerate(text.split("$$")):
        if index % 2:  # inside a $$ body: kept whole
            statements[-1] += f"$${part}$$"
            continue
        pieces = part.split(";")
        if statements and index:
            statements[-1] += pieces.pop(0)
        statements.extend(pieces)
    return [s.strip() for s in statements if s.strip()]
