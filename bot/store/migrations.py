"""Numbered, append-only SQL migrations, applied in one transaction at start."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One migration file: its number, name and SQL."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Read the packaged migration files, ordered and checked for gaps."""
    folder = resources.files("bot.store") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(
                f"migration {migration.name} is out of sequence (expected {expected})"
            )
    return found


async def migrate(db: aiosqlite.Connection) -> int:
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


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (our migrations hold no triggers or literal ';')."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
