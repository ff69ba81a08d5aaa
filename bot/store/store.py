"""The store: one SQLite file in WAL mode, migrated on open, with every query of the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store.conversations import ConversationQueries
from bot.store.knowledge import KnowledgeQueries
from bot.store.migrations import migrate
from bot.store.privacy import PrivacyQueries
from bot.store.tickets import TicketQueries


class Store(ConversationQueries, TicketQueries, KnowledgeQueries, PrivacyQueries):
    """Conversations, history, tickets, receipts, usage, the outbox, the help-center index,
    and a customer's data on request, in SQLite (WAL)."""

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path | str) -> AsyncIterator[Store]:
        """Open (creating and migrating) the database and close it on exit."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA busy_timeout = 5000")
            await migrate(db)
            yield cls(db)
        finally:
            await db.close()
