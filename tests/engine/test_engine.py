"""Turns through the real openai SDK against the fake endpoint: history, tools, failures."""

from __future__ import annotations

import json

import pytest

from bot.engine.events import Incoming, ReplyText, ToolFinished, TurnEnded
from bot.engine.turn import INTERRUPTED_MARK
from bot.store import Attachment
from bot.tools.context import Customer
from fakes.constants import SAMPLE_RECEIPT
from fakes.openai_server import BrokenStream, Call, Fault, Reply, Structured, ToolCalls
from tests.conftest import CHAT_MODEL
from tests.tools.test_images import image_bytes

OMAR = Customer(id="1001", display_name="omar_k", mention="<@1001>")

RECEIPT = SAMPLE_RECEIPT


def script_receipt_photo(llm, tmp_path, data: bytes) -> str:
    """Save `data` as receipt.jpg and script a receipt turn on it (the tool call with the
    photo's file URL, the vision model's RECEIPT, the total); return the URL."""
    photo = tmp_path / "receipt.jpg"
    photo.write_bytes(data)
    url = photo.as_uri()
    llm.script(
        ToolCalls([Call("analyze_receipt_image", {"image_url": url})]),
        Structured(RECEIPT),
        Reply("Your total was 27.24 EUR."),
    )
    return url


async def run(harness, key: str, text: str, images=(), customer=OMAR):
    """One turn; returns the events."""
    engine = harness.engine
    incoming = Incoming(
        key, customer.id, customer.display_name, text, attachments=tuple(images), opens=True
    )
    events = [event async for event in engine.receive(incoming)]
    return await harness.store.get_conversation(key), events


def shown_text(events) -> str:
    return "".join(e.text for e in events if isinstance(e, ReplyText))


async def stored(harness, conversation):
    return [m.to_chat() for m in await harness.store.load_history(conversation.id)]


async def test_greeting_streams_and_stores_the_whole_history(harness, llm):
    """A plain answer streams in pieces; system, user and assistant messages are stored."""
    llm.script(Reply("Hello! How can I help you with your order today?", chunk_size=5))
    conversation, events = await run(harness, "console:greet", "Hi there")
    assert len([e for e in events if isinstance(e, ReplyText)]) > 3
    assert shown_text(events) == "Hello! How can I help you with your order today?"
    assert events[-1] == TurnEnded("Hello! How can I help you with your order today?", "")
    request = llm.requests[0]
    assert request["model"] == CHAT_MODEL
    assert request["stream"] is True
    assert request["stream_options"] == {"include_usage": True}
    assert {t["function"]["name"] for t in request["tools"]} == {
        "create_customer_ticket",
        "analyze_receipt_image",
        "request_human",
        "search_help_center",
    }
    history = await stored(harness, conversation)
    assert [m["role"] for m in history] == ["system", "user", "assistant"]
    assert history[0]["content"] == request["messages"][0]["content"]
    assert "Dashly" in history[0]["content"]
    assert history[2]["content"] == "Hello! How can I help you with your order today?"
    usage = await harness.store.usage_for_conversation(conversation.id)
    assert [(u.model, u.prompt_tokens, u.completion_tokens, u.rounds) for u in usage] == [
        (CHAT_MODEL, 10, 20, 1)
    ]


@pytest.mark.parametrize("style", ["fragments", "whole"])
async def test_login_problem_opens_a_ticket_for_omar(harness, llm, style):
    """Both wire styles: the ticket tool runs with the exact arguments and the turn goes on."""
    issue = "Cannot log in: the password is rejected even after a password reset."
    llm.script(
        ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": issue})], style=style),
        Reply("I've opened ticket #1 for you, Omar. Staff will follow up here."),
    )
    conversation, events = await run(harness, f"console:login-{style}", "I can't log in")
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert len(finished) == 1
    assert finished[0].ok
    assert finished[0].result.startswith("Ticket #1 created for Omar.")
    tickets = await harness.store.tickets_for_conversation(conversation.id)
    assert [(t.id, t.customer_name, t.issue, t.user_id) for t in tickets] == [
        (1, "Omar", issue, "1001")
    ]
    assert "Ticket #1" in (await harness.delivered())
    assert issue in (await harness.delivered())
    second = llm.requests[1]["messages"]
    assert second[-2]["tool_calls"][0]["function"] == {
        "name": "create_customer_ticket",
        "arguments": json.dumps({"name": "Omar", "issue": issue}),
    }
    assert second[-1]["role"] == "tool"
    assert second[-1]["tool_call_id"] == second[-2]["tool_calls"][0]["id"]
    history = await stored(harness, conversation)
    assert [m["role"] for m in history] == ["system", "user", "assistant", "tool", "assistant"]
    assert shown_text(events) == "I've opened ticket #1 for you, Omar. Staff will follow up here."


@pytest.mark.parametrize("style", ["fragments", "whole", "whole_same_index"])
async def test_parallel_calls_each_get_their_result(harness, llm, style, tmp_path):
    """Two calls in one response both run and both results follow the assistant message."""
    photo = tmp_path / "receipt.png"
    photo.write_bytes(image_bytes("PNG"))
    url = photo.as_uri()
    llm.script(
        ToolCalls(
            [
                Call("analyze_receipt_image", {"image_url": url}, id="call_r"),
                Call(
                    "create_customer_ticket",
                    {"name": "Ana", "issue": "Missing pizzas"},
                    id="call_t",
                ),
            ],
            style=style,
            text="Let me look at that.",
        ),
        Structured(RECEIPT),
        Reply("Done."),
    )
    attachment = Attachment(url, "receipt.png", "image/png", photo.stat().st_size)
    conversation, events = await run(harness, f"console:parallel-{style}", "", images=[attachment])
    assert shown_text(events) == "Let me look at that.\n\nDone."
    history = await stored(harness, conversation)
    assert [m["role"] for m in history[2:5]] == ["assistant", "tool", "tool"]
    assert [m["tool_call_id"] for m in history[3:5]] == ["call_r", "call_t"]
    assert history[2]["content"] == "Let me look at that."
    assert len(await harness.store.tickets_for_conversation(conversation.id)) == 1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (Call("create_customer_ticket", '{"name": "Omar", "issue": '), "not valid JSON"),
        (Call("create_customer_ticket", {"name": "Omar"}), "issue: Field required"),
        (Call("create_customer_ticket", {"name": "", "issue": "x"}), "name: String should have"),
        (
            Call("create_customer_ticket", {"name": "O" * 101, "issue": "x"}),
            "name: String should have at most 100 characters",
        ),
        (
            Call("create_customer_ticket", {"name": "Omar", "issue": "x" * 2001}),
            "issue: String should have at most 2000 characters",
        ),
        (Call("refund_everything", {}), "unknown tool 'refund_everything'"),
        (
            Call("analyze_receipt_image", {"image_url": "file:///etc/passwd"}),
            "not attached in this conversation",
        ),
    ],
)
async def test_bad_tool_calls_become_errors_for_the_model(harness, llm, call, error):
    """Invalid or unknown calls are answered with an error text; nothing is created."""
    llm.script(ToolCalls([call]), Reply("Sorry, let me try that again."))
    conversation, events = await run(harness, "console:bad", "help")
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert not finished.ok
    assert error in finished.result
    assert llm.requests[1]["messages"][-1]["content"] == finished.result
    assert await harness.store.tickets_for_conversation(conversation.id) == []
    assert shown_text(events) == "Sorry, let me try that again."


async def test_the_tool_loop_is_bounded(harness, llm):
    """A model that keeps calling tools is made to answer in words on the last round."""
    rounds = harness.engine.agent.max_rounds
    llm.script(
        *[ToolCalls([Call("refund_everything", {})]) for _ in range(rounds - 1)],
        Reply("I could not do that."),
    )
    _conversation, events = await run(harness, "console:loop", "go")
    assert len(llm.requests) == rounds
    assert llm.requests[-1]["tool_choice"] == "none"
    assert llm.requests[0]["tool_choice"] == "auto"
    assert isinstance(events[-1], TurnEnded)
    usage = await harness.store.usage_for_conversation(_conversation.id)
    assert [u.rounds for u in usage] == [rounds]


async def test_a_repeated_tool_call_id_makes_one_ticket(harness, llm):
    """The same call id arriving twice (a retried response) never opens a second ticket."""
    call = Call("create_customer_ticket", {"name": "Omar", "issue": "refund"}, id="call_same")
    llm.script(ToolCalls([call]), ToolCalls([call]), Reply("Ticket #1 it is."))
    conversation, events = await run(harness, "console:twice", "refund please")
    results = [e.result for e in events if isinstance(e, ToolFinished)]
    assert results[0] == results[1]
    assert len(await harness.store.tickets_for_conversation(conversation.id)) == 1
    assert (await harness.delivered()).count("=== Ticket #1") == 1


async def test_an_api_failure_keeps_the_message_and_the_next_turn_works(harness, llm):
    """A failure that persists (the SDK's retries, then the engine's one more try) ends with
    a notice; the user's message is stored and sent with the next turn."""
    llm.script(Fault(500, times=8), Reply("Back now. How can I help?"))
    _conversation, events = await run(harness, "console:fail", "Where is my order?")
    ended = [e for e in events if isinstance(e, TurnEnded)]
    assert ended == [
        TurnEnded("", "⚠️ The assistant had an error (HTTP 500). Trying again…", retrying=True),
        TurnEnded(
            "",
            "⚠️ The assistant had an error (HTTP 500). Your message is saved; please try again"
            " in a moment.",
        ),
    ]
    _conversation, events = await run(harness, "console:fail", "Hello?")
    sent = [m["content"] for m in llm.last_messages() if m["role"] == "user"]
    assert sent == ["Where is my order?", "Hello?"]
    assert shown_text(events) == "Back now. How can I help?"


async def test_a_passing_failure_is_tried_again_at_once(harness, llm):
    """A stream cut short is not the customer's problem: the engine tries once more, and the
    answer follows without the customer writing again."""
    llm.script(BrokenStream("Your order is"), Reply("Your order is on its way."))
    _conversation, events = await run(harness, "console:retry", "Where is my order?")
    ended = [e for e in events if isinstance(e, TurnEnded)]
    assert [e.retrying for e in ended] == [True, False]
    assert ended[0].notice.endswith("Trying again…")
    assert ended[-1] == TurnEnded("Your order is on its way.")
    sent = [m["content"] for m in llm.last_messages() if m["role"] == "user"]
    assert sent == ["Where is my order?"]


async def test_a_broken_stream_keeps_the_shown_text_marked_interrupted(harness, llm):
    """Text already streamed is stored as an interrupted assistant message; the engine's
    second try, and every later request, carries it."""
    llm.script(
        BrokenStream("Your order is on its way and should"),
        Reply("Sorry, as I said: it arrives at 7."),
        Reply("Yes, sorry about that."),
    )
    _conversation, events = await run(harness, "console:broken", "Where is it?")
    first, second = [e for e in events if isinstance(e, TurnEnded)]
    assert first.text == "Your order is on its way and should"
    assert "cut off" in first.notice
    assert second == TurnEnded("Sorry, as I said: it arrives at 7.")
    conversation, _ = await run(harness, "console:broken", "You were cut off")
    history = await stored(harness, conversation)
    roles = ["system", "user", "assistant", "assistant", "user", "assistant"]
    assert [m["role"] for m in history] == roles
    assert history[2]["content"].startswith("Your order is on its way and should")
    assert history[2]["content"].endswith(INTERRUPTED_MARK)
    assert llm.requests[1]["messages"][2]["content"] == history[2]["content"]
    assert llm.requests[-1]["messages"][2]["content"] == history[2]["content"]
