"""Tickets for staff: the create_customer_ticket tool."""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from bot.llm.tools import tool
from bot.support.context import SupportContext

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
    store = context.services.store
    receipt = await store.latest_receipt(context.conversation.id)
    ticket, created = await store.create_ticket(
        context.conversation.id,
        tool_call_id=call_id,
        customer_name=args.name.strip(),
        issue=args.issue.strip(),
        user_id=context.customer.id,
        user_display=context.customer.display_name,
        thread_url=context.thread_url,
        receipt_id=receipt.id if receipt else None,
    )
    if created:
        try:
            post_id = await context.services.notifier.ticket_created(ticket, receipt)
        except Exception:
            # The ticket is stored either way; staff can still find it.
            log.exception("could not notify staff of ticket #%d", ticket.id)
        else:
            if post_id is not None:
                await store.set_ticket_staff_message(ticket.id, post_id)
    return (
        f"Ticket #{ticket.id} created for {ticket.customer_name}. The support staff have it and"
        " will follow up in this conversation."
    )
