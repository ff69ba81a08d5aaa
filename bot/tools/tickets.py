"""create_customer_ticket: a ticket for staff, asked for by the model."""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from bot.desk.desk import DeskError
from bot.llm.tools import ToolError, tool
from bot.tools.context import SupportContext
from bot.tools.handoff import out_of_hours

log = logging.getLogger(__name__)


class CreateTicketArgs(BaseModel):
    """Arguments of create_customer_ticket."""

    name: str = Field(min_length=1, max_length=100, description="The customer's name")
    issue: str = Field(
        min_length=1,
        max_length=2000,
        description="A clear, complete summary of the problem and what the customer wants",
    )


@tool(CreateTicketArgs)
async def create_customer_ticket(
    args: CreateTicketArgs, context: SupportContext, call_id: str
) -> str:
    """Open a support ticket so a human agent follows up; use it for refunds, missing items, account problems and anything you cannot solve."""  # noqa: E501
    try:
        ticket, _ = await context.services.desk.open_ticket(
            context.conversation,
            context.customer,
            name=args.name.strip(),
            issue=args.issue.strip(),
            request_id=context.request_key("create_customer_ticket", args),
            thread_url=context.thread_url,
        )
    except DeskError as exc:
        raise ToolError(str(exc)) from exc
    return (
        f"Ticket #{ticket.id} created for {ticket.customer_name}. The support staff have it and"
        " will follow up in this conversation."
    ) + out_of_hours(context)
