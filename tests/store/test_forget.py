"""Forgetting a customer is complete and precise: their conversations go, their traces in
others' are anonymised, and nothing of anyone else changes."""

from __future__ import annotations

from bot.store import Attachment, NewMessage, Store, TicketStatus
from tests.store.helpers import AGENT, ANA, OMAR, RECEIPT, move_ticket, store_conversation


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
        await move_ticket(store, his_ticket.id, TicketStatus.RESOLVED, event="ticket.resolved")
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
