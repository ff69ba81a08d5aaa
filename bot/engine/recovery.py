"""After a crash: the turns the previous process cut short, and what to tell each customer.

A turn marks itself in flight when it begins and clears the mark when it ends; a mark left
at start is a turn a crash cut. Where the customer's last words have no answer at all, the
engine answers them (the frontend shows `RESUMING` first); where part of a reply was kept,
the conversation notes that it was cut (`CUT_BY_RESTART`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import copy
from bot.store import Conversation, NewMessage, Store, TicketStatus


@dataclass(frozen=True)
class CutTurn:
    """A turn a crash cut short: its conversation, and whether its customer's last words
    have no answer at all (then the engine's `resume` answers them)."""

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


async def recover(store: Store, conversation: Conversation) -> CutTurn:
    """Clear the conversation's in-flight mark; note the cut where a reply was kept."""
    turn = await store.begin_turn(conversation.id)
    held = turn.active_ticket is not None and turn.active_ticket.status == TicketStatus.CLAIMED
    unanswered = bool(turn.history) and turn.history[-1].role == "user" and not held
    if not unanswered:
        await store.append_messages(
            conversation.id, [NewMessage(role="assistant", content=copy.CUT_BY_RESTART)]
        )
    await store.turn_finished(conversation.id)
    return CutTurn(conversation, unanswered)
