"""The customer's confirmation of a consequential action: the seam the frontends implement.

The tool asks its `Confirmer` and waits for a `Decision`. The decision itself is stored (the
action request moves from `awaiting` to `confirmed`, `cancelled` or `expired` by one
compare-and-set), so a second press, or a press after a restart, finds it already taken.
`Decisions` lets a frontend whose answer arrives elsewhere (a button press) wake the waiting
tool in the same process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.store import ActionStatus, Store

# How long the customer has to press Confirm; no press is a cancellation.
CONFIRM_SECONDS = 600.0


class Verdict(StrEnum):
    """How the question ended."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Decision:
    """The answer, and who gave it (None when the time ran out)."""

    verdict: Verdict
    by: str | None = None


@dataclass(frozen=True)
class ConfirmationPrompt:
    """What the customer is asked to confirm, as the frontend shows it."""

    action_id: int
    conversation_key: str
    customer_id: str
    operation: str  # the operationId
    title: str  # the operation's summary (or its id)
    arguments: dict[str, Any]
    timeout: float  # seconds left to decide


class Confirmer(Protocol):
    """Asks the conversation's customer and returns their decision (or its expiry). The
    decision must already be stored (`Store.decide_action`) when it returns."""

    async def confirm(self, prompt: ConfirmationPrompt) -> Decision:
        """Show the prompt and wait for the customer, at most `prompt.timeout` seconds."""
        ...


class Decisions:
    """Waiting tools by action id, woken when the decision is made elsewhere (a press)."""

    def __init__(self) -> None:
        self._waiting: dict[int, asyncio.Future[Decision]] = {}

    def expect(self, action_id: int) -> asyncio.Future[Decision]:
        """A future that `settle` resolves for this action."""
        future = self._waiting.get(action_id)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._waiting[action_id] = future
        return future

    def forget(self, action_id: int) -> None:
        """Stop waiting for this action."""
        self._waiting.pop(action_id, None)

    def settle(self, action_id: int, decision: Decision) -> bool:
        """Wake the tool waiting for this action, if one is; whether one was."""
        future = self._waiting.pop(action_id, None)
        if future is None or future.done():
            return False
        future.set_result(decision)
        return True


# The store, as a frontend hands it over (frontends do not import bot.store themselves).
ActionStore = Store


class Press(StrEnum):
    """What a press of Confirm or Cancel came to."""

    DECIDED = "decided"  # the decision is stored (and the waiting tool woken)
    NOT_THE_CUSTOMER = "not_the_customer"  # someone else pressed: nothing changes
    ALREADY_ANSWERED = "already_answered"  # decided before (a second press, expired)


async def press(
    store: Store,
    decisions: Decisions,
    *,
    action_id: int,
    conversation_key: str,
    presser_id: str,
    verdict: Verdict,
) -> Press:
    """A press of the conversation's question: only its customer's counts, only the first
    decision is stored (compare-and-set), and a tool waiting in this process is woken."""
    action = await store.get_action(action_id)
    conversation = await store.get_conversation(conversation_key)
    if action is None or conversation is None or action.conversation_id != conversation.id:
        return Press.ALREADY_ANSWERED
    if presser_id != conversation.customer_id:
        return Press.NOT_THE_CUSTOMER
    if not await store.decide_action(action_id, ActionStatus(verdict.value), presser_id):
        return Press.ALREADY_ANSWERED
    decisions.settle(action_id, Decision(verdict, presser_id))
    return Press.DECIDED


def plain_arguments(arguments: dict[str, Any]) -> list[tuple[str, str]]:
    """The arguments as (label, value) pairs a customer can read: `order_id` -> "Order id"."""
    pairs = []
    for name, value in arguments.items():
        label = name.replace("_", " ").replace("-", " ").strip().capitalize() or name
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        pairs.append((label, text))
    return pairs
