"""A customer's data on request: the export round-trips what was stored, and only theirs."""

from __future__ import annotations

from bot.store import Store
from tests.store.helpers import AGENT, ANA, CALL, OMAR, RECEIPT, store_conversation


async def test_export_round_trips_what_was_stored(store_location):
    """Every message but the system prompt, the attachment, receipt, ticket with its history,
    usage and unanswered question come back; another customer's data does not."""
    async with Store.open(store_location) as store:
        omar = await store_conversation(store, OMAR, "Omar", 500)
        await store_conversation(store, ANA, "Ana", 600)
        data = await store.export_customer(OMAR)

    assert data["customer_id"] == OMAR
    [conversation] = data["conversations"]
    assert conversation["id"] == omar.conversation_id
    assert (conversation["key"], conversation["channel_id"]) == ("discord:500", 500)
    assert (conversation["customer_id"], conversation["customer_name"]) == (OMAR, "Omar")
    messages = conversation["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", f"I'm Omar, two pizzas were missing. Attached image: {omar.image_url}"),
        ("assistant", None),
        ("tool", '{"total_cents": 2724}'),
        ("assistant", "I read your receipt; opening a ticket."),
    ]
    assert messages[0]["author_id"] == OMAR
    assert messages[0]["author_kind"] == "customer"
    assert messages[0]["discord_message_id"] == 501
    assert messages[1]["tool_calls"] == [CALL]
    assert messages[2]["tool_call_id"] == "call_1"
    [attachment] = conversation["attachments"]
    assert attachment["url"] == omar.image_url
    assert (attachment["filename"], attachment["content_type"], attachment["size"]) == (
        "receipt.png",
        "image/png",
        1234,
    )
    [receipt] = conversation["receipts"]
    assert (receipt["id"], receipt["image_url"], receipt["data"]) == (
        omar.receipt_id,
        omar.image_url,
        RECEIPT,
    )
    [ticket] = conversation["tickets"]
    assert ticket["id"] == omar.ticket_id
    assert (ticket["customer_name"], ticket["issue"], ticket["user_id"]) == (
        "Omar",
        "Two pizzas missing",
        OMAR,
    )
    assert (ticket["status"], ticket["claimed_by_name"], ticket["receipt_id"]) == (
        "claimed",
        "agent",
        omar.receipt_id,
    )
    assert [(e["status"], e["actor_id"]) for e in ticket["events"]] == [
        ("open", OMAR),
        ("claimed", AGENT),
    ]
    assert [g["query"] for g in conversation["unanswered_questions"]] == [
        "Omar's question nobody answered"
    ]
    assert [u["total_tokens"] for u in conversation["usage"]] == [150]
    assert data["tickets_in_other_conversations"] == []
    assert data["messages_in_other_conversations"] == []
    assert "Ana" not in repr(data)
