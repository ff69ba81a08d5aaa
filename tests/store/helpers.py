"""Two customers' whole conversations written through the store API, for the privacy tests."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store import Attachment, NewMessage, Store, TicketStatus, Usage

OMAR, ANA, AGENT = "1001", "1002", "2001"
OPEN = {TicketStatus.OPEN, TicketStatus.CLAIMED}
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "analyze_receipt_image", "arguments": '{"image_url": "u"}'},
}
RECEIPT = {"date": "2024-05-03", "total_cents": 2724, "currency": "EUR", "items": []}


@dataclass
class Stored:
    """Ids of what `store_conversation` wrote."""

    conversation_id: int
    ticket_id: int
    receipt_id: int
    image_url: str


async def move_ticket(
    store: Store, ticket_id: int, status: TicketStatus, *, event: str | None = None
) -> None:
    """The staff member AGENT moves an open or claimed ticket to `status`."""
    await store.set_ticket_status(
        ticket_id, status, from_statuses=OPEN, actor_id=AGENT, actor_name="agent", event=event
    )


async def store_conversation(store: Store, customer: str, name: str, thread: int) -> Stored:
    """A whole conversation through the store API: messages with a tool round, an attachment,
    a receipt, a ticket claimed by staff, usage and an unanswered question."""
    conversation = await store.get_or_create_conversation(
        f"discord:{thread}", channel_id=thread, customer_id=customer, customer_name=name
    )
    cid = conversation.id
    url = f"https://cdn.example/attachments/{thread}/receipt.png?ex=1"
    await store.append_messages(cid, [NewMessage("system", "You are Dashly's assistant.")])
    await store.add_attachments(
        cid, [Attachment(url, "receipt.png", "image/png", 1234)], discord_message_id=thread + 1
    )
    await store.append_messages(
        cid,
        [
            NewMessage(
                "user",
                f"I'm {name}, two pizzas were missing. Attached image: {url}",
                author_id=customer,
                discord_message_id=thread + 1,
                author_kind="customer",
            ),
            NewMessage("assistant", None, tool_calls=[CALL]),
            NewMessage("tool", '{"total_cents": 2724}', tool_call_id="call_1"),
            NewMessage("assistant", "I read your receipt; opening a ticket."),
        ],
    )
    receipt = await store.add_receipt(cid, tool_call_id="call_1", image_url=url, data=RECEIPT)
    ticket, _ = await store.create_ticket(
        cid,
        request_key="call_2",
        customer_name=name,
        issue="Two pizzas missing",
        user_id=customer,
        user_display=name.lower(),
        thread_url=f"https://discord.com/channels/1/{thread}",
        receipt_id=receipt.id,
        channel_id=thread,
    )
    await move_ticket(store, ticket.id, TicketStatus.CLAIMED)
    await store.record_usage(cid, Usage("grok-4.3", 120, 30, 150, 2, 100))
    await store.record_help_gap(cid, f"{name}'s question nobody answered")
    return Stored(cid, ticket.id, receipt.id, url)
