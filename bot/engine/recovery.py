"""After a stop (a crash, a SIGKILL, a deploy, a take-over): what was left unfinished, and
what to tell each customer.

Nothing depends on a mark the crash might have missed: a customer message to be answered is
stored `answer_due` in its own row and stops being due in the transaction that stores its
answer. So at start every conversation with a message due gets a turn (the frontend shows
`RESUMING` first), whether the crash came mid-turn, while the message waited behind a turn,
or while it waited for pace room; and none that was answered gets a second. A reply cut
after its question was answered (its last edits may not have reached the customer) is noted
as cut (`CUT_BY_RESTART`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine import copy
from bot.store import Conversation, NewMessage, OpenThread, Store, TicketStatus, Unfinished

__all__ = ["Backlog", "CutTurn", "OpenThread", "recover"]


@dataclass(frozen=True)
class CutTurn:
    """A conversation a stop left unfinished, and whether its customer's last words have no
    answer at all (then the engine's `resume` answers them)."""

    conversation: Conversation
    unanswered: bool

    @property
    def key(self) -> str:
        """The conversation's key."""
        return self.conversation.key

    @property
    def channel_id(self) -> int | None:
        """The platform's channel of the conversation (a Discord thread), if it has one."""
        return self.conversation.channel_id

    @property
    def notice(self) -> str:
        """What to tell the customer first."""
        return copy.RESUMING if self.unanswered else copy.CUT_BY_RESTART


async def recover(store: Store, found: Unfinished) -> CutTurn | None:
    """Clear the conversation's in-flight mark; note the cut where a reply was kept. None when
    nothing is to be said or answered (staff hold the conversation, nothing was cut)."""
    conversation = found.conversation
    turn = await store.begin_turn(conversation.id)
    held = turn.active_ticket is not None and turn.active_ticket.status == TicketStatus.CLAIMED
    if held and turn.history:
        # Staff hold it: their words answer the customer, not ours.
        await store.answered(conversation.id, turn.history[-1].id)
    unanswered = turn.due and not held
    if found.cut and not unanswered:
        await store.append_messages(
            conversation.id, [NewMessage(role="assistant", content=copy.CUT_BY_RESTART)]
        )
    await store.turn_finished(conversation.id)
    if not unanswered and not found.cut:
        return None
    return CutTurn(conversation, unanswered)


class Backlog:
    """Where a frontend's channels were read to, for catching up after downtime."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def open_threads(
        self, key_prefix: str, *, active_within: dt.timedelta, limit: int
    ) -> list[OpenThread]:
        """Conversations active lately (newest first, at most `limit`), each with the newest
        platform message id it stored."""
        since = dt.datetime.now(dt.UTC) - active_within
        return await self._store.open_threads(key_prefix, active_since=since, limit=limit)

    async def stored(self, message_ids: Sequence[int]) -> set[int]:
        """Which of these platform messages are stored already (handled before a stop)."""
        return await self._store.stored_platform_messages(message_ids)

    async def mark(self, channel_id: int) -> int | None:
        """The newest message of a channel handled so far (None: never noted)."""
        return await self._store.channel_mark(channel_id)

    async def advance(self, channel_id: int, message_id: int) -> None:
        """The channel's messages up to this one are handled."""
        await self._store.advance_channel_mark(channel_id, message_id)
