"""Action requests: each call of the company's API (ACTIONS_SPEC) a conversation made.

A row is created when the call is first asked for, keyed by its Idempotency-Key, and moves
through its states by compare-and-set updates, so two presses of Confirm, a retried call or a
restart find the row where the first left it and make no second request:

    awaiting -> confirmed | cancelled | expired      (the customer's decision; consequential)
    confirmed -> sending -> done | failed            (the request; `failed`: no answer came)
    failed -> sending                                (a retried call, with the same key)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.store.database import Database, from_row
from bot.store.records import format_time, parse_times


class ActionStatus(StrEnum):
    """Where an action request stands."""

    AWAITING = "awaiting"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


ACTION_COLUMNS = (
    "id, conversation_id, operation, method, arguments, consequential, idempotency_key, status,"
    " confirmed_by, http_status, result, duration_ms, attempts, created_at, decided_at,"
    " finished_at"
)


@dataclass(frozen=True)
class ActionRequest:
    """One call of an operation of the company's API."""

    id: int
    conversation_id: int
    operation: str
    method: str
    arguments: Any
    consequential: bool
    idempotency_key: str
    status: ActionStatus
    confirmed_by: str | None
    http_status: int | None
    result: str | None
    duration_ms: int | None
    attempts: int
    created_at: dt.datetime
    decided_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        # A row hands JSON, flags, the status and the times over as text or integers.
        if isinstance(self.arguments, str):
            object.__setattr__(self, "arguments", json.loads(self.arguments))
        object.__setattr__(self, "consequential", bool(self.consequential))
        object.__setattr__(self, "status", ActionStatus(self.status))
        parse_times(self, "created_at", "decided_at", "finished_at")


def _now() -> str:
    return format_time(dt.datetime.now(dt.UTC))


class ActionQueries(Database):
    """The action requests of conversations."""

    async def begin_action(
        self,
        conversation_id: int,
        *,
        operation: str,
        method: str,
        arguments: dict[str, Any],
        consequential: bool,
        idempotency_key: str,
    ) -> ActionRequest:
        """The request with this key, created (awaiting the customer when consequential,
        else confirmed) if it is new; an existing one is returned as it stands."""
        status = ActionStatus.AWAITING if consequential else ActionStatus.CONFIRMED
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO action_requests (conversation_id, operation, method, arguments,"
                " consequential, idempotency_key, status) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (idempotency_key) DO NOTHING",
                (
                    conversation_id,
                    operation,
                    method,
                    json.dumps(arguments, sort_keys=True),
                    int(consequential),
                    idempotency_key,
                    status,
                ),
            )
            row = await db.one(
                f"SELECT {ACTION_COLUMNS} FROM action_requests WHERE idempotency_key = ?",
                (idempotency_key,),
            )
        assert row is not None
        return from_row(ActionRequest, row)

    async def get_action(self, action_id: int) -> ActionRequest | None:
        """One action request by id."""
        row = await self._one(
            f"SELECT {ACTION_COLUMNS} FROM action_requests WHERE id = ?", (action_id,)
        )
        return from_row(ActionRequest, row) if row else None

    async def decide_action(
        self, action_id: int, status: ActionStatus, by: str | None = None
    ) -> bool:
        """Record the customer's decision (or its expiry) on a request still awaiting one;
        False when it was decided before (a second press, a press after the time ran out)."""
        async with self._transaction() as db:
            changed = await db.execute(
                "UPDATE action_requests SET status = ?, confirmed_by = ?, decided_at = ?"
                " WHERE id = ? AND status = ?",
                (status, by, _now(), action_id, ActionStatus.AWAITING),
            )
        return changed == 1

    async def start_sending(self, action_id: int) -> bool:
        """Claim the request for sending: only a confirmed one, or one whose earlier attempt
        got no answer (a timeout, a refused connection, a crash while sending)."""
        async with self._transaction() as db:
            changed = await db.execute(
                "UPDATE action_requests SET status = ?, attempts = attempts + 1"
                " WHERE id = ? AND status IN (?, ?, ?)",
                (
                    ActionStatus.SENDING,
                    action_id,
                    ActionStatus.CONFIRMED,
                    ActionStatus.FAILED,
                    ActionStatus.SENDING,
                ),
            )
        return changed == 1

    async def finish_action(
        self,
        action_id: int,
        status: ActionStatus,
        *,
        result: str,
        http_status: int | None = None,
        duration_ms: int | None = None,
    ) -> None:
        """Record how the request ended and what the model was told."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE action_requests SET status = ?, result = ?, http_status = ?,"
                " duration_ms = ?, finished_at = ? WHERE id = ?",
                (status, result, http_status, duration_ms, _now(), action_id),
            )

    async def actions_for_conversation(self, conversation_id: int) -> list[ActionRequest]:
        """The conversation's action requests, oldest first."""
        return await self._records(
            ActionRequest,
            f"SELECT {ACTION_COLUMNS} FROM action_requests WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
