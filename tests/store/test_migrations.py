"""The schema is built by the numbered migrations, once, in one transaction."""

from __future__ import annotations

import asyncio

import aiosqlite
import asyncpg
import pytest

from bot.store import Store
from bot.store.migrations import load_migrations, migrate
from fakes.postgres import fresh_schema

EXPECTED_COLUMNS = {
    "conversations": {
        "id",
        "key",
        "channel_id",
        "customer_id",
        "customer_name",
        "created_at",
        "context_start_id",
    },
    "messages": {
        "id",
        "conversation_id",
        "role",
        "content",
        "tool_calls",
        "tool_call_id",
        "status",
        "discord_message_id",
    },
    "tickets": {
        "id",
        "conversation_id",
        "request_key",
        "customer_name",
        "issue",
        "user_id",
        "thread_url",
        "receipt_id",
        "status",
        "staff_message_id",
    },
    "receipts": {"id", "conversation_id", "tool_call_id", "image_url", "data"},
    "attachments": {"id", "conversation_id", "url", "filename", "content_type", "size"},
    "usage": {
        "conversation_id",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cached_tokens",
    },
    "outbox": {"id", "webhook_id", "ticket_id", "type", "snapshot", "created_at"},
    "outbox_deliveries": {"outbox_id", "destination", "state", "attempts", "next_attempt_at"},
    "outbox_destinations": {"name", "active", "disabled_at", "disabled_reason"},
}


async def _columns(db: aiosqlite.Connection, table: str) -> set[str]:
    async with db.execute(f"PRAGMA table_info({table})") as cursor:
        return {row[1] for row in await cursor.fetchall()}


async def test_blank_database_is_migrated_to_the_full_schema(tmp_path):
    """Opening a blank file creates every table with its columns, in WAL mode."""
    path = tmp_path / "blank.sqlite3"
    async with Store.open(path):
        pass
    async with aiosqlite.connect(path) as db:
        for table, columns in EXPECTED_COLUMNS.items():
            assert columns <= await _columns(db, table), table
        async with db.execute("PRAGMA user_version") as cursor:
            assert (await cursor.fetchone())[0] == len(load_migrations())
        async with db.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"


async def test_migrating_twice_changes_nothing(tmp_path):
    """A second start finds nothing to apply and keeps the data."""
    path = tmp_path / "twice.sqlite3"
    async with Store.open(path) as store:
        conversation = await store.get_or_create_conversation("console:a")
    async with Store.open(path) as store:
        assert await store.get_conversation("console:a") == conversation


async def test_a_failing_migration_leaves_the_database_untouched(tmp_path, monkeypatch):
    """Migrations apply in one transaction: a broken one rolls back all of them."""
    from bot.store import migrations

    real = migrations.load_migrations()
    broken = [*real, migrations.Migration(len(real) + 1, "broken.sql", "CREATE TABLE x (;")]
    monkeypatch.setattr(migrations, "load_migrations", lambda: broken)
    async with aiosqlite.connect(tmp_path / "broken.sqlite3", isolation_level=None) as db:
        with pytest.raises(aiosqlite.OperationalError):
            await migrate(db)
        async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
            assert await cursor.fetchall() == []
        async with db.execute("PRAGMA user_version") as cursor:
            assert (await cursor.fetchone())[0] == 0


def test_migration_files_are_numbered_without_gaps():
    """Every packaged migration has the next number."""
    versions = [m.version for m in load_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_tickets_keep_their_request_key_through_the_upgrade(tmp_path, monkeypatch):
    """A database from before per-conversation request keys: the old tool call id becomes
    the ticket's request key, and the same key may now open a ticket in another conversation."""
    from bot.store import migrations

    real = migrations.load_migrations()
    path = tmp_path / "old.sqlite3"
    monkeypatch.setattr(migrations, "load_migrations", lambda: real[:3])
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await migrate(db)
        await db.execute(
            "INSERT INTO conversations (id, key) VALUES (1, 'discord:1'), (2, 'discord:2')"
        )
        await db.execute(
            "INSERT INTO tickets (conversation_id, tool_call_id, customer_name, issue)"
            " VALUES (1, 'call_1', 'Omar', 'late')"
        )
    monkeypatch.setattr(migrations, "load_migrations", lambda: real)
    async with Store.open(path) as store:
        ticket = await store.get_ticket_by_request(1, "call_1")
        assert ticket is not None
        assert ticket.customer_name == "Omar"
        args = {
            "customer_name": "Lena",
            "issue": "cold",
            "user_id": "2",
            "user_display": "lena",
            "thread_url": None,
            "receipt_id": None,
        }
        _, created = await store.create_ticket(2, request_key="call_1", **args)
        assert created


async def _postgres_columns(url: str) -> dict[str, set[str]]:
    db = await asyncpg.connect(url)
    try:
        rows = await db.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name != 'schema_version'"
        )
    finally:
        await db.close()
    tables: dict[str, set[str]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], set()).add(row["column_name"])
    return tables


async def test_both_dialects_build_the_same_tables_and_columns(tmp_path, postgres):
    """The PostgreSQL variants leave the same tables and columns as the shared migrations (the
    help-center search column and FTS5's own tables aside), so every query is shared."""
    if postgres.url is None:
        pytest.skip(postgres.reason)
    path = tmp_path / "both.sqlite3"
    async with Store.open(path):
        pass
    async with aiosqlite.connect(path) as db:
        async with db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'help_passages_%' AND name NOT LIKE 'sqlite_%'"
        ) as cursor:
            names = [row[0] for row in await cursor.fetchall()]
        sqlite_tables = {name: await _columns(db, name) for name in names}
    async with fresh_schema(postgres.url) as url:

        async def start() -> None:
            async with Store.open(url):
                pass

        # Two processes starting together: the migration runs once, the other waits for it.
        await asyncio.gather(start(), start())
        postgres_tables = await _postgres_columns(url)
        status = await Store.status(url)
    postgres_tables["help_passages"].discard("document")
    assert postgres_tables == sqlite_tables
    assert (status.dialect, status.version) == ("postgres", len(load_migrations()))
