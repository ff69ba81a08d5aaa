"""A customer's data on request: export round-trips, forget is complete and precise, retention."""

from __future__ import annotations

import datetime as dt
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
    await store.set_ticket_status(
        ticket.id, TicketStatus.CLAIMED, from_statuses=OPEN, actor_id=AGENT, actor_name="agent"
    )
    await store.record_usage(cid, Usage("grok-4.3", 120, 30, 150, 2, 100))
    await store.record_help_gap(cid, f"{name}'s question nobody answered")
    return Stored(cid, ticket.id, receipt.id, url)


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


async def test_forget_removes_one_customer_and_nothing_of_another(store_location):
    """Omar's conversation goes whole; Ana's export is the same before and after."""
    async with Store.open(store_location) as store:
        omar = await store_conversation(store, OMAR, "Omar", 500)
        ana = await store_conversation(store, ANA, "Ana", 600)
        ana_before = await store.export_customer(ANA)

        report = await store.forget_customer(OMAR)

        assert (report.conversations, report.messages, report.attachments) == (1, 5, 1)
        assert (report.receipts, report.tickets) == (1, 1)
        assert (report.tickets_anonymised, report.messages_redacted) == (0, 0)
        assert await store.get_conversation("discord:500") is None
        assert await store.load_history(omar.conversation_id) == []
        assert await store.get_ticket(omar.ticket_id) is None
        assert await store.ticket_events(omar.ticket_id) == []
        assert await store.find_attachment(omar.conversation_id, omar.image_url) is None
        assert await store.latest_receipt(omar.conversation_id) is None
        assert await store.usage_for_conversation(omar.conversation_id) == []
        gaps = [g.query for g in await store.recent_help_gaps(10)]
        assert gaps == ["Ana's question nobody answered"]
        omar_after = await store.export_customer(OMAR)
        assert omar_after["conversations"] == []
        assert OMAR not in repr({k: v for k, v in omar_after.items() if k != "customer_id"})

        ana_after = await store.export_customer(ANA)
        assert await store.get_ticket(ana.ticket_id) is not None
        assert (await store.forget_customer(OMAR)).anything is False
    ana_before.pop("exported_at")
    ana_after.pop("exported_at")
    assert ana_after == ana_before


async def test_forget_anonymises_a_customer_in_other_conversations(store_location):
    """In Ana's thread Omar's message keeps its place with its text gone (the history stays a
    valid request), its image and the receipt read from it go, the ticket he opened there
    keeps its status but loses his name and words; Ana's own words stay."""
    async with Store.open(store_location) as store:
        await store_conversation(store, OMAR, "Omar", 500)
        ana = await store_conversation(store, ANA, "Ana", 600)
        cid = ana.conversation_id
        intruder_url = "https://cdn.example/attachments/600/omar.png?ex=2"
        await store.add_attachments(
            cid, [Attachment(intruder_url, "omar.png", "image/png", 99)], discord_message_id=777
        )
        await store.append_messages(
            cid,
            [
                NewMessage(
                    "user", "Omar here, my card is 4111", author_id=OMAR, discord_message_id=777
                ),
                NewMessage("assistant", "I can only help Ana here."),
            ],
        )
        intruder_receipt = await store.add_receipt(
            cid, tool_call_id=None, image_url=intruder_url, data=RECEIPT
        )
        his_ticket, _ = await store.create_ticket(
            cid,
            request_key="human:1",
            customer_name="Omar O.",
            issue="Omar wants a refund",
            user_id=OMAR,
            user_display="omar",
            thread_url=None,
            receipt_id=intruder_receipt.id,
            event="ticket.created",
        )
        await store.set_ticket_status(
            his_ticket.id,
            TicketStatus.RESOLVED,
            from_statuses=OPEN,
            actor_id=AGENT,
            actor_name="agent",
            event="ticket.resolved",
        )
        assert len(await store.outbox_events(his_ticket.id)) == 2
        counts_before = await store.ticket_counts()
        history_before = await store.load_history(cid)
        ana_before = await store.export_customer(ANA)

        report = await store.forget_customer(OMAR)

        assert (report.conversations, report.tickets_anonymised, report.messages_redacted) == (
            1,
            1,
            1,
        )
        history = await store.load_history(cid)
        assert [m.id for m in history] == [m.id for m in history_before]
        redacted = [m for m in history if m.content == "[deleted]"]
        assert len(redacted) == 1
        assert "4111" not in repr(history)
        assert await store.find_attachment(cid, intruder_url) is None
        assert await store.find_attachment(cid, ana.image_url) is not None
        assert (await store.latest_receipt(cid)).id == ana.receipt_id
        ticket = await store.get_ticket(his_ticket.id)
        assert ticket is not None
        assert (ticket.customer_name, ticket.issue, ticket.user_display) == ("[deleted]",) * 3
        assert (ticket.user_id, ticket.receipt_id, ticket.status) == (None, None, "resolved")
        events = await store.ticket_events(his_ticket.id)
        assert [(e.status, e.actor_id, e.actor_name) for e in events] == [
            ("open", None, "[deleted]"),
            ("resolved", AGENT, "agent"),
        ]
        assert await store.ticket_counts() == {"claimed": 1, "resolved": 1}
        assert counts_before == {"claimed": 2, "resolved": 1}
        assert (await store.export_customer(OMAR))["tickets_in_other_conversations"] == []
        # The ticket events queued for other systems carried his data: they are gone too.
        assert await store.outbox_events(his_ticket.id) == []

        ana_after = await store.export_customer(ANA)
    [before], [after] = ana_before["conversations"], ana_after["conversations"]
    ana_words = [m for m in before["messages"] if m["author_id"] == ANA]
    assert [m for m in after["messages"] if m["author_id"] == ANA] == ana_words
    assert after["tickets"][0] == before["tickets"][0]


async def test_forget_anonymises_a_staff_member_who_claimed(store_location):
    """Forgetting someone who worked tickets removes their name from claims and histories."""
    async with Store.open(store_location) as store:
        omar = await store_conversation(store, OMAR, "Omar", 500)
        report = await store.forget_customer(AGENT)
        ticket = await store.get_ticket(omar.ticket_id)
        events = await store.ticket_events(omar.ticket_id)
    assert report.conversations == 0
    assert ticket is not None
    assert (ticket.claimed_by, ticket.claimed_by_name, ticket.status) == (
        None,
        "[deleted]",
        "claimed",
    )
    assert [(e.actor_id, e.actor_name) for e in events] == [(OMAR, "omar"), (None, "[deleted]")]


async def test_purge_idle_deletes_only_conversations_idle_for_longer(store_location):
    """Idle past the limit: purged, unless a ticket is still open or claimed; 0 days: off."""
    async with Store.open(store_location) as store:
        quiet = await store.get_or_create_conversation("discord:1", customer_id=OMAR)
        await store.append_messages(quiet.id, [NewMessage("user", "hello", author_id=OMAR)])
        waiting = await store_conversation(store, ANA, "Ana", 600)  # its ticket is claimed
        now = dt.datetime.now(dt.UTC)

        assert await store.purge_idle(0, now=now + dt.timedelta(days=400)) == 0
        assert await store.purge_idle(30, now=now + dt.timedelta(days=29)) == 0
        assert await store.get_conversation("discord:1") is not None

        assert await store.purge_idle(30, now=now + dt.timedelta(days=31)) == 1
        assert await store.get_conversation("discord:1") is None
        assert await store.load_history(quiet.id) == []
        assert await store.get_conversation("discord:600") is not None

        await store.set_ticket_status(
            waiting.ticket_id,
            TicketStatus.RESOLVED,
            from_statuses=OPEN,
            actor_id=AGENT,
            actor_name="a",
        )
        assert await store.purge_idle(30, now=now + dt.timedelta(days=31)) == 1
        assert await store.get_conversation("discord:600") is None
        assert await store.get_ticket(waiting.ticket_id) is None


async def test_purge_idle_drops_old_ticket_events_once_delivered(store_location):
    """Ticket events hold a snapshot of the ticket: past the retention they go, unless a
    delivery of theirs is still pending."""
    async with Store.open(store_location) as store:
        waiting = await store_conversation(store, ANA, "Ana", 601)  # kept: its ticket is claimed
        await store.register_destinations(["webhook:https://crm.example/hook"])
        await store.set_ticket_status(  # back to open: the conversation is kept
            waiting.ticket_id,
            TicketStatus.OPEN,
            from_statuses=OPEN,
            actor_id=AGENT,
            actor_name="a",
            event="ticket.reopened",
        )
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
        (pending,) = await store.outbox_events(waiting.ticket_id)
        await store.purge_idle(30, now=later - dt.timedelta(days=400))  # nothing old yet
        assert await store.outbox_events(waiting.ticket_id) == [pending]
        await store.purge_idle(30, now=later)
        # Pending at the webhook: kept. Once delivered, it goes.
        assert await store.outbox_events(waiting.ticket_id) == [pending]
        await store.mark_delivered(pending[0], "webhook:https://crm.example/hook", 1)
        await store.purge_idle(30, now=later)
        assert await store.outbox_events(waiting.ticket_id) == []
