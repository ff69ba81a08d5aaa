"""The seam between the queries and the two databases (SQLite, PostgreSQL).

Queries are written once, with `?` placeholders, and run through a `Session`: statements on
one connection, rows read by column name or position. What the dialects spell differently
(the current time as text, the help-center search) is asked of the backend, never guessed.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

Dialect = Literal["sqlite", "postgres"]


class Row(Protocol):
    """A result row: by column name or position (aiosqlite.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Session(abc.ABC):
    """Statements on one connection: inside a transaction, or each committed on its own."""

    @abc.abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; how many rows it changed."""

    @abc.abstractmethod
    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        """Run one INSERT of one row into a table with an `id`; its id, None when a conflict
        clause skipped it."""

    @abc.abstractmethod
    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""

    @abc.abstractmethod
    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, if any."""

    @abc.abstractmethod
    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query."""


@dataclass(frozen=True)
class StoreStatus:
    """What `python -m bot check` says of the store."""

    dialect: Dialect
    where: str  # the file, or the server and database (never the password)
    version: int  # the schema version the database is at
    latest: int  # the newest migration this bot knows
    server: str = ""  # the server's version, for PostgreSQL


class Backend(Session):
    """A database: sessions outside transactions, and transactions that serialise writers.

    Every write transaction of the store runs alone, on both dialects (SQLite: BEGIN
    IMMEDIATE; PostgreSQL: a transaction-level advisory lock), so a check and the change it
    guards never race, whichever process runs them.
    """

    dialect: Dialect
    # The current UTC time as the store keeps it: ISO 8601 text with milliseconds and 'Z'.
    now: str

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Session]:
        """A write transaction: committed when the block ends, rolled back on an exception."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close every connection."""


RecordT = TypeVar("RecordT")


def from_row(record: type[RecordT], row: Row) -> RecordT:
    """A record from a row, each field by its column's name (the SELECT names every field)."""
    return record(**{key: row[key] for key in row.keys()})  # noqa: SIM118 - Row has no iter


class Database:
    """The backend every query of the store goes through."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Session]:
        async with self._db.transaction() as session:
            yield session

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._db.one(sql, params)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._db.all(sql, params)

    async def _records(
        self, record: type[RecordT], sql: str, params: Sequence[Any] = ()
    ) -> list[RecordT]:
        """Every row as a `record` (see `from_row`)."""
        return [from_row(record, row) for row in await self._all(sql, params)]
