"""create_customer_ticket: a ticket for staff, asked for by the model."""

from __future__ import annotations

import logging
from typing import Annotated

from bot.desk.desk import DeskError
from bot.llm.tools import ToolError, text, tool
from bot.tools.context import SupportContext
from bot.tools.handoff import out_of_hours

log = logging.getLogger(__name__)


@tool
async def create_customer_ticket(
    context: SupportContext,
    call_id: str,
    name: Annotated[str, text(100, "The customer's name")],
    issue: Annotated[
        str, text(2000, "A clear, complete summary of the problem and what the customer wants")
    ],
) -> str:
    """Open a support ticket so a human agent follows up; use it for refunds, missing items, account problems and anything you cannot solve."""  # noqa: E501
    try:
        ticket, _ = await context.services.desk.open_ticket(
            context.conversation,
            context.customer,
            name=name.strip(),
            issue=issue.strip(),
            request_id=context.request_key(
                "create_customer_ticket", {"name": name, "issue": issue}
            ),
            thread_url=context.thread_url,
        )
    except DeskError as exc:
        raise ToolError(str(exc)) from exc
    return (
        f"Ticket #{ticket.id} created for {ticket.customer_name}. The support staff have it and"
        " will follow up in this conversation."
    ) + out_of_hours(context)
