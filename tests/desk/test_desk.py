"""The ticket lifecycle: claim, resolve, reopen, hand-off and statistics."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiosqlite
import pytest

from bot.desk.desk import DeskError, Person
from bot.store import Store
from bot.store.migrations import load_migrations
from fakes.openai_server import Call, Reply, ToolCalls
from tests.engine.test_engine import OMAR, run

ANA = Person(id="2001", display_name="Ana (staff)")


async def _ticket(harness, key="console:desk"):
    conversation = await harness.store.get_or_create_conversation(key, customer_id=OMAR.id)
    ticket, _ = await harness.engine.services.desk.open_ticket(
        conversation, OMAR, name="Omar", issue="late", request_id=f"r-{key}", thread_url=None
    )
    return ticket


async def test_claim_resolve_reopen_records_who_and_when(harness):
    """Each change is stored with its actor; the post is updated after every change."""
    desk = harness.engine.services.desk
    ticket = await _ticket(harness)
    claimed = await desk.claim(ticket.id, ANA)
    assert (claimed.status, claimed.claimed_by, claimed.claimed_by_name) == (
        "claimed",
        "2001",
        "Ana (staff)",
    )
    assert claimed.claimed_at is not None
    resolved = await desk.resolve(ticket.id, ANA)
    reopened = await desk.reopen(ticket.id, ANA)
    assert (resolved.status, reopened.status) == ("resolved", "open")
    events = await harness.store.ticket_events(ticket.id)
    assert [(e.status, e.actor_id) for e in events] == [
        ("open", "1001"),
        ("claimed", "2001"),
        ("resolved", "2001"),
        ("open", "2001"),
    ]
    printed = await harness.delivered()
    assert printed.index("is now claimed") < printed.index("is now resolved")
    assert "is now open" in printed


async def test_actions_that_do_not_fit_the_status_are_refused(harness):
    """Claiming twice, resolving twice or reopening an open ticket says why it cannot."""
    desk = harness.engine.services.desk
    ticket = await _ticket(harness)
    with pytest.raises(DeskError, match="not resolved"):
        await desk.reopen(ticket.id, ANA)
    await desk.claim(ticket.id, ANA)
    with pytest.raises(DeskError, match="already claimed by Ana"):
        await desk.claim(ticket.id, ANA)
    await desk.resolve(ticket.id, ANA)
    with pytest.raises(DeskError, match="already resolved"):
        await desk.resolve(ticket.id, ANA)
    with pytest.raises(DeskError, match="no ticket #99"):
        await desk.claim(99, ANA)


async def test_stats_count_statuses_and_take_medians(harness, tmp_path):
    """Counts by status; medians of creation->claim and creation->resolution."""
    desk = harness.engine.services.desk
    tickets = [await _ticket(harness, f"console:s{i}") for i in range(4)]
    for ticket in tickets[:3]:
        await desk.claim(ticket.id, ANA)
    for ticket in tickets[:2]:
        await desk.resolve(ticket.id, ANA)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    minutes = {
        tickets[0].id: {"claimed": 2, "resolved": 30},
        tickets[1].id: {"claimed": 4, "resolved": 90},
        tickets[2].id: {"claimed": 10},
    }
    db = harness.store._db
    for ticket in tickets:
        await db.execute(
            "UPDATE ticket_events SET created_at = ? WHERE ticket_id = ? AND status = 'open'",
            (start.isoformat(), ticket.id),
        )
        for status, after in minutes.get(ticket.id, {}).items():
            stamp = (start + dt.timedelta(minutes=after)).isoformat()
            await db.execute(
                "UPDATE ticket_events SET created_at = ? WHERE ticket_id = ? AND status = ?",
                (stamp, ticket.id, status),
            )
    stats = await desk.stats()
    assert stats.counts == {"open": 1, "claimed": 1, "resolved": 2}
    assert stats.median_first_response == dt.timedelta(minutes=4)
    assert stats.median_resolution == dt.timedelta(minutes=60)


async def test_request_human_opens_one_ticket(harness, llm):
    """The hand-off tool opens a ticket in the customer's name, once per conversation."""
    llm.script(
        ToolCalls([Call("request_human", {"reason": "wants to complain in person"})]),
        Reply("A person will follow up here."),
        ToolCalls([Call("request_human", {})]),
        Reply("They are on it."),
    )
    conversation, _ = await run(harness, "console:human", "I want a human")
    await run(harness, "console:human", "Hello? A human please")
    (ticket,) = await harness.store.tickets_for_conversation(conversation.id)
    assert ticket.customer_name == "omar_k"
    assert ticket.user_id == "1001"
    assert ticket.issue == "The customer asked to talk to a person. wants to complain in person"
    results = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "tool"]
    assert results[0].startswith(f"Ticket #{ticket.id} is opened.")
    assert results[1].startswith(f"Ticket #{ticket.id} is already open.")


async def test_upgrading_a_database_backfills_ticket_history(tmp_path):
    """Tickets made before the staff desk existed get their 'open' event on upgrade."""
    path = tmp_path / "old.sqlite3"
    first = load_migrations()[0]
    async with aiosqlite.connect(path) as db:
        await db.executescript(first.sql)
        await db.execute("PRAGMA user_version = 1")
        await db.execute("INSERT INTO conversations (key) VALUES ('discord:1')")
        await db.execute(
            "INSERT INTO tickets (conversation_id, customer_name, issue, user_id,"
            " created_at) VALUES (1, 'Omar', 'late', '42', '2025-01-01T00:00:00.000Z')"
        )
        await db.commit()
    async with Store.open(path) as store:
        events = await store.ticket_events(1)
        ticket = await store.get_ticket(1)
    assert [(e.status, e.actor_id, e.created_at) for e in events] == [
        ("open", "42", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    ]
    assert ticket is not None
    assert ticket.claimed_by is None


async def test_two_claims_at_once_give_one_winner(harness):
    """Two staff pressing Claim together: one claims it, the other hears who did."""
    ticket = await _ticket(harness, "console:race-claim")
    ben = Person(id="2002", display_name="Ben (staff)")
    outcomes = await asyncio.gather(
        harness.engine.desk.claim(ticket.id, ANA),
        harness.engine.desk.claim(ticket.id, ben),
        return_exceptions=True,
    )
    won = [o for o in outcomes if not isinstance(o, Exception)]
    lost = [o for o in outcomes if isinstance(o, DeskError)]
    assert len(won) == 1
    assert len(lost) == 1
    assert str(lost[0]) == f"Ticket #{ticket.id} is already claimed by {won[0].claimed_by_name}."
    events = await harness.store.ticket_events(ticket.id)
    assert [e.status for e in events] == ["open", "claimed"]


async def test_a_hand_off_asked_twice_at_once_opens_one_ticket(harness):
    """/human and the model's request_human racing: one ticket, the other gets it too."""
    conversation = await harness.store.get_or_create_conversation(
        "console:race-human", customer_id=OMAR.id
    )
    outcomes = await asyncio.gather(
        *(
            harness.engine.desk.hand_off(
                conversation, OMAR, reason=reason, request_id=request, thread_url=None
            )
            for reason, request in (("command", "interaction:1"), ("tool", "tool:call_1:x"))
        )
    )
    assert len({ticket.id for ticket, _ in outcomes}) == 1
    assert sorted(created for _, created in outcomes) == [False, True]
    assert len(await harness.store.tickets_for_conversation(conversation.id)) == 1
