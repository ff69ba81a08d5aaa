"""After downtime: what the store knows is left to do, and where each channel was read to.

`unfinished` is derived from the stored messages themselves (a customer message is stored
`answer_due` in its own row), so no mark can be missed whatever moment a crash picked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.database import Database, Row
from bot.store.records import Conversation, format_time

_CONVERSATION = "c.id, c.key, c.channel_id, c.customer_id, c.customer_name"
_PREFIX = "substr(c.key, 1, length(CAST(? AS TEXT))) = ?"


def _conversation(row: Row) -> Conversation:
    return Conversation(
        id=row[0], key=row[1], channel_id=row[2], customer_id=row[3], customer_name=row[4]
    )


@dataclass(frozen=True)
class Unfinished:
    """A conversation a stop left unfinished: a reply was being written (`cut`), or a
    customer message is still due an answer (`due`), or both."""

    conversation: Conversation
    cut: bool
    due: bool


@dataclass(frozen=True)
class OpenThread:
    """A recently active conversation and the newest platform message id it stored."""

    conversation: Conversation
    last_message_id: int | None


class RecoveryQueries(Database):
    """The reads and writes of a start after a stop (a crash, a deploy, a take-over)."""

    async def unfinished(self, key_prefix: str = "", *, key: str | None = None) -> list[Unfinished]:
        """Conversations (keys starting with the prefix, or the one key) with a turn cut
        short or a message still due, oldest activity first: one query."""
        where = "c.key = ?" if key is not None else _PREFIX
        params: tuple[object, ...] = (key,) if key is not None else (key_prefix, key_prefix)
        rows = await self._all(
            f"SELECT {_CONVERSATION},"
            " EXISTS (SELECT 1 FROM turns_in_flight t WHERE t.conversation_id = c.id),"
            " EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
            "         AND m.answer_due = 1)"
            f" FROM conversations c WHERE {where}"
            " AND (c.id IN (SELECT conversation_id FROM turns_in_flight)"
            "      OR c.id IN (SELECT conversation_id FROM messages WHERE answer_due = 1))"
            " ORDER BY c.updated_at, c.id",
            params,
        )
        return [Unfinished(_conversation(row), bool(row[5]), bool(row[6])) for row in rows]

    async def open_threads(
        self, key_prefix: str, *, active_since: dt.datetime, limit: int
    ) -> list[OpenThread]:
        """The conversations (keys starting with the prefix) active since a moment, newest
        activity first, at most `limit`, each with the newest platform message id stored."""
        rows = await self._all(
            f"SELECT {_CONVERSATION},"
            " (SELECT MAX(m.discord_message_id) FROM messages m WHERE m.conversation_id = c.id)"
            f" FROM conversations c WHERE {_PREFIX} AND c.updated_at >= ?"
            " AND c.channel_id IS NOT NULL"
            " ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
            (key_prefix, key_prefix, format_time(active_since), limit),
        )
        return [
            OpenThread(_conversation(row), None if row[5] is None else int(row[5])) for row in rows
        ]

    async def stored_platform_messages(self, message_ids: Sequence[int]) -> set[int]:
        """Which of these platform message ids some conversation already stored."""
        if not message_ids:
            return set()
        marks = ", ".join("?" for _ in message_ids)
        rows = await self._all(
            "SELECT DISTINCT discord_message_id FROM messages"
            f" WHERE discord_message_id IN ({marks})",
            tuple(message_ids),
        )
        return {int(row[0]) for row in rows}

    async def channel_mark(self, channel_id: int) -> int | None:
        """The newest message of the channel handled so far (None: never noted)."""
        row = await self._one(
            "SELECT message_id FROM channel_marks WHERE channel_id = ?", (channel_id,)
        )
        return None if row is None else int(row[0])

    async def advance_channel_mark(self, channel_id: int, message_id: int) -> None:
        """Note that the channel's messages up to this one are handled (never moves back)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO channel_marks (channel_id, message_id) VALUES (?, ?)"
                " ON CONFLICT (channel_id) DO UPDATE SET message_id = CASE"
                " WHEN excluded.message_id > channel_marks.message_id"
                " THEN excluded.message_id ELSE channel_marks.message_id END",
                (channel_id, message_id),
            )
