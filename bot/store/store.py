"""The store: SQLite (a file in WAL mode) or PostgreSQL, migrated on open, with every query
of the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.store.actions import ActionQueries
from bot.store.active_lock import ActiveLock
from bot.store.conversations import ConversationQueries
from bot.store.database import Backend, StoreStatus
from bot.store.export import ExportQueries
from bot.store.knowledge import KnowledgeQueries
from bot.store.outcomes import OutcomeQueries
from bot.store.placement import PlacementQueries
from bot.store.postgres import PostgresBackend, is_postgres_url, postgres_status
from bot.store.privacy import PrivacyQueries
from bot.store.recovery import RecoveryQueries
from bot.store.sqlite import SQLiteBackend, sqlite_status
from bot.store.stats import StatsQueries
from bot.store.tickets import TicketQueries
from bot.store.turns import TurnQueries


class Store(
    TurnQueries,
    RecoveryQueries,
    ConversationQueries,
    TicketQueries,
    KnowledgeQueries,
    ExportQueries,
    PrivacyQueries,
    PlacementQueries,
    ActionQueries,
    OutcomeQueries,
    StatsQueries,
):
    """Conversations, history, tickets, receipts, usage, the outbox, the help-center index,
    the requests made to the company's API, and a customer's data on request, in SQLite
    (WAL) or PostgreSQL."""

    @classmethod
    @asynccontextmanager
    async def open(cls, location: Path | str) -> AsyncIterator[Store]:
        """Open (creating and migrating) the database and close it on exit.

        `location` is a SQLite file (or ":memory:"), or a `postgres://` / `postgresql://` URL.
        """
        backend: Backend
        if is_postgres_url(location):
            async with PostgresBackend.open(str(location)) as backend:
                yield cls(backend)
        else:
            async with SQLiteBackend.open(location) as backend:
                yield cls(backend)

    @staticmethod
    async def status(location: Path | str) -> StoreStatus:
        """Which database a location names, whether it is reachable, and its schema version
        against the newest this bot knows; nothing is created or migrated."""
        if is_postgres_url(location):
            return await postgres_status(str(location))
        return await sqlite_status(location)

    @staticmethod
    def active_lock(location: Path | str) -> ActiveLock | None:
        """The lock that picks the one active process of several on one PostgreSQL; None for
        SQLite (one process per file)."""
        return ActiveLock(str(location)) if is_postgres_url(location) else None

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgres'."""
        return self._db.dialect
