"""request_human: the customer asks for a person; the conversation goes to staff."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bot.desk.desk import DeskError
from bot.llm.tools import ToolError, tool
from bot.tools.context import SupportContext


@tool
async def request_human(
    context: SupportContext,
    call_id: str,
    reason: Annotated[
        str,
        Field(
            max_length=500,
            description="Why the customer wants a person, in a sentence (may be empty)",
        ),
    ] = "",
) -> str:
    """Hand the conversation to a person from the support team when the customer asks for a human (opens a ticket if there is none)."""  # noqa: E501
    try:
        ticket, created = await context.services.desk.hand_off(
            context.conversation,
            context.customer,
            reason=reason.strip(),
            request_id=context.request_key("request_human", {"reason": reason}),
            thread_url=context.thread_url,
        )
    except DeskError as exc:
        raise ToolError(str(exc)) from exc
    opened = "opened" if created else "already open"
    return (
        f"Ticket #{ticket.id} is {opened}. Tell the customer a person from the support team"
        " will follow up in this conversation."
    ) + out_of_hours(context)


def out_of_hours(context: SupportContext) -> str:
    """Outside SUPPORT_HOURS, what the model should tell the customer of when staff see it."""
    back = context.services.desk.when_staff_back()
    if back is None:
        return ""
    return f" Staff are away now: tell the customer a person will see it from {back}."
