"""A store seeded with conversations of known outcomes, ratings, tickets and token counts,
and the helpers that write them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.desk.ticket_events import TICKET_CREATED
from bot.store import NewMessage, Store, Ticket, TicketStatus, Usage


@dataclass(frozen=True)
class Seeded:
    rated_five: int  # rated 5, answered last: resolved
    quiet: int  # answered last, never rated: resolved only 24 h after the answer
    ticket: int  # a ticket, resolved by staff, rated 2: handed_off
    waiting: int  # the customer wrote last: open
    rated_two: int  # rated 2, answered last: open until 24 h have passed


async def conversation(store: Store, name: str, *, channel: int | None, last: str) -> int:
    """A conversation with a user message and an answer (and another user message when the
    customer wrote `last`)."""
    standing = await store.open_conversation(
        f"discord:{channel}" if channel else f"console:{name}",
        channel_id=channel,
        customer_id=f"user-{name}",
        customer_name=name,
        system_prompt="You help.",
    )
    conversation_id = standing.conversation.id
    await store.store_message(conversation_id, NewMessage(role="user", content="Hello"))
    await store.append_messages(conversation_id, [NewMessage(role="assistant", content="Hi!")])
    if last == "customer":
        await store.store_message(conversation_id, NewMessage(role="user", content="Still there?"))
    return conversation_id


async def usage(store: Store, conversation_id: int, prompt: int, cached: int, output: int) -> None:
    await store.record_usage(
        conversation_id, Usage("grok-test", prompt, output, prompt + output, 1, cached)
    )


async def open_ticket(
    store: Store, conversation_id: int, name: str, issue: str, *, user_id: str
) -> Ticket:
    """A ticket (no thread, no receipt) for the customer `name`, announced as ticket.created."""
    opened, _ = await store.create_ticket(
        conversation_id,
        request_key="k",
        customer_name=name,
        issue=issue,
        user_id=user_id,
        user_display=name.lower(),
        thread_url=None,
        receipt_id=None,
        event=TICKET_CREATED,
    )
    return opened


async def rated(
    store: Store, conversation_id: int, score: int, ticket_id: int | None = None
) -> None:
    asked = await store.ask_rating(
        conversation_id, reason="resolved" if ticket_id else "quiet", ticket_id=ticket_id
    )
    assert asked is not None
    await store.rate(asked.id, by="customer", rating=score)


async def seed(store: Store) -> Seeded:
    rated_five = await conversation(store, "ana", channel=101, last="assistant")
    await usage(store, rated_five, 1000, 400, 200)
    await usage(store, rated_five, 500, 0, 100)  # a vision request
    await rated(store, rated_five, 5)

    quiet = await conversation(store, "ben", channel=102, last="assistant")
    await usage(store, quiet, 2000, 1500, 300)

    ticket = await conversation(store, "cai", channel=103, last="assistant")
    await usage(store, ticket, 3000, 1000, 600)
    opened = await open_ticket(store, ticket, "Cai", "Cold food", user_id="user-cai")
    for status in (TicketStatus.CLAIMED, TicketStatus.RESOLVED):
        await store.set_ticket_status(
            opened.id,
            status,
            from_statuses={TicketStatus.OPEN, TicketStatus.CLAIMED},
            actor_id="staff",
            actor_name="Sam",
        )
    await rated(store, ticket, 2, ticket_id=opened.id)
    # Staff words are user messages too: not a turn of the customer's.
    await store.store_message(
        ticket, NewMessage(role="user", content="[staff · Sam] Refunded", author_kind="staff")
    )

    waiting = await conversation(store, "dee", channel=None, last="customer")
    rated_two = await conversation(store, "eve", channel=105, last="assistant")
    await rated(store, rated_two, 2)
    await store.ask_rating(waiting, reason="quiet")  # asked, never answered
    return Seeded(rated_five, quiet, ticket, waiting, rated_two)
