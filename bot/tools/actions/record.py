"""The actions a conversation took, in lines staff read on the ticket's post."""

from __future__ import annotations

from bot.store import ActionRequest, ActionStatus, Store
from bot.tools.actions.confirm import plain_arguments

MAX_LINES = 10

_STATES = {
    ActionStatus.AWAITING: "waiting for the customer",
    ActionStatus.CONFIRMED: "confirmed, not sent yet",
    ActionStatus.CANCELLED: "cancelled by the customer",
    ActionStatus.EXPIRED: "not confirmed in time",
    ActionStatus.SENDING: "sending",
    ActionStatus.FAILED: "failed (no answer)",
}


def action_line(action: ActionRequest) -> str:
    """`cancel_order (Order id: A17): done, HTTP 200, confirmed by the customer`."""
    arguments = ", ".join(f"{label}: {value}" for label, value in plain_arguments(action.arguments))
    if action.status is ActionStatus.DONE:
        state = f"done, HTTP {action.http_status}"
    elif action.status is ActionStatus.FAILED and action.http_status is not None:
        state = f"failed, HTTP {action.http_status}"
    else:
        state = _STATES.get(action.status, str(action.status))
    line = (
        f"{action.operation} ({arguments}): {state}"
        if arguments
        else f"{action.operation}: {state}"
    )
    if action.confirmed_by and action.status is not ActionStatus.CANCELLED:
        line += ", confirmed by the customer"  # only the customer's press counts
    return line


async def action_lines(store: Store, conversation_id: int) -> list[str]:
    """The conversation's latest actions, oldest first, at most `MAX_LINES`."""
    actions = await store.actions_for_conversation(conversation_id)
    return [action_line(a) for a in actions[-MAX_LINES:]]
