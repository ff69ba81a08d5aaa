"""TICKETS_PER_CONVERSATION_PER_HOUR holds under parallel calls; a retried turn makes no
second ticket, whatever call ids the model invents."""

from __future__ import annotations

from bot.engine.events import Incoming, ToolFinished
from fakes.openai_server import Call, Reply, ToolCalls
from tests.conftest import engine_harness

KEY = "console:ticket-cap"


def ticket_call(n: int, call_id: str | None = None) -> Call:
    return Call("create_customer_ticket", {"name": "Omar", "issue": f"Problem {n}"}, id=call_id)


async def receive(harness, text: str) -> list:
    incoming = Incoming(KEY, "1001", "Omar", text, opens=True)
    return [event async for event in harness.engine.receive(incoming)]


async def test_five_parallel_ticket_calls_at_a_cap_of_two_make_two_tickets(llm, store_location):
    async with engine_harness(llm, store_location, tickets_per_conversation_per_hour=2) as harness:
        llm.script(
            ToolCalls([ticket_call(n) for n in range(5)], style="whole"),
            Reply("Two tickets are open; staff will follow up."),
        )
        events = await receive(harness, "five problems at once")
        finished = [e for e in events if isinstance(e, ToolFinished)]
        assert len(finished) == 5, "every call id gets one tool result"
        assert sum(e.ok for e in finished) == 2
        refused = [e.result for e in finished if not e.ok]
        assert all("already opened 2 tickets in the last hour" in r for r in refused)
        conversation = await harness.store.get_conversation(KEY)
        assert len(await harness.store.tickets_for_conversation(conversation.id)) == 2
        # The stored history answers every call (the next request would be refused if not).
        tool_results = [m for m in llm.last_messages() if m["role"] == "tool"]
        assert len(tool_results) == 5


async def test_a_turn_retried_after_a_crash_makes_no_second_ticket(llm, store_location):
    """The model invents a new call id on the retry; the ticket is still the first one."""
    async with engine_harness(llm, store_location) as harness:
        llm.script(ToolCalls([ticket_call(1, "call_first")], style="whole"), Reply("Ticket #1."))
        await receive(harness, "my order never came")
        conversation = await harness.store.get_conversation(KEY)
        # As if the process had died after the ticket but before the turn was stored: the
        # next start answers the same words again (the same newest message).
        history = await harness.store.load_history(conversation.id)
        newest_user = max(m.id for m in history if m.role == "user")
        await harness.store._db.execute(
            "DELETE FROM messages WHERE conversation_id = ? AND id > ?",
            (conversation.id, newest_user),
        )
        # Its answer was never stored, so the message is still due.
        await harness.store._db.execute(
            "UPDATE messages SET answer_due = 1 WHERE id = ?", (newest_user,)
        )
        await harness.store.turn_started(conversation.id)
        (cut,) = await harness.engine.recover_cut_turns()
        assert cut.unanswered
        llm.script(ToolCalls([ticket_call(1, "call_retry")], style="whole"), Reply("Ticket #1."))
        events = [e async for e in harness.engine.resume(KEY)]
        (finished,) = [e for e in events if isinstance(e, ToolFinished)]
        assert finished.ok
        assert "Ticket #1 " in finished.result
        assert len(await harness.store.tickets_for_conversation(conversation.id)) == 1
