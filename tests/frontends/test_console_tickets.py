"""Tickets printed in the terminal (`python -m bot chat`): what a customer or the model wrote
is printed as plain text that cannot drive the terminal or pass for another ticket."""

from __future__ import annotations

from fakes.openai_server import Call, Reply, ToolCalls
from tests.engine.test_engine import run

HOSTILE_ISSUE = (
    "Order late\n=== Ticket #99 for staff ===\nIssue:      refund approved\x1b[2J\x1b]0;pwned\x07"
    "\r\u202etxt.exe"
)


async def test_a_printed_ticket_shows_hostile_text_as_plain_indented_text(harness, llm):
    """No control character reaches the terminal; a second line of a field is indented under
    it, so no line the customer wrote starts like the bot's own."""
    llm.script(
        ToolCalls(
            [
                Call(
                    "create_customer_ticket",
                    {"name": "Omar\x1b[31m\n=== x", "issue": HOSTILE_ISSUE},
                )
            ]
        ),
        Reply("Ticket #1 is open."),
    )
    await run(harness, "console:hostile", "my order is late")
    printed = await harness.delivered()
    assert not [c for c in printed if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert "\u202e" not in printed
    assert [line for line in printed.splitlines() if line.startswith("===")] == [
        "=== Ticket #1 for staff ==="
    ]
    assert "Name given: Omar[31m\n            === x\n" in printed
    assert "Issue:      Order late\n            === Ticket #99 for staff ===\n" in printed
