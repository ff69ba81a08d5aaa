"""What the real xAI and OpenAI do to a conversation, through the real SDK and the strict fake."""

from __future__ import annotations

import asyncio
import io
import os
import time

from PIL import Image

from bot.engine.copy import EMPTY_ANSWER, OUR_FAULT
from bot.engine.events import ReplyText, ToolFinished, TurnEnded
from bot.engine.turn import INTERRUPTED_MARK
from bot.store import Attachment
from bot.tools.context import Customer
from bot.tools.images import MAX_IMAGE_BYTES, to_data_url
from fakes.openai_server import Call, MalformedStream, Reply, ToolCalls
from tests.conftest import engine_harness
from tests.engine.test_engine import run, script_receipt_photo, shown_text, stored

OMAR = Customer(id="1001", display_name="omar_k")
LENA = Customer(id="2002", display_name="lena_p")


async def test_an_empty_answer_is_replaced_and_the_thread_lives_on(harness, llm):
    """A model that says nothing: the customer reads a short fallback, the stored assistant
    message has that text (never null content), and the next turn is accepted."""
    llm.script(Reply(""), Reply("Your courier is 5 minutes away."))
    conversation, events = await run(harness, "console:empty", "Where is my food?")
    assert shown_text(events) == EMPTY_ANSWER
    history = await stored(harness, conversation)
    assert history[-1] == {"role": "assistant", "content": EMPTY_ANSWER}
    _, events = await run(harness, "console:empty", "Hello??")
    assert shown_text(events) == "Your courier is 5 minutes away."
    assert llm.rejections == []
    assert llm.last_messages()[2] == {"role": "assistant", "content": EMPTY_ANSWER}


async def test_repeated_call_ids_make_a_ticket_per_conversation(harness, llm):
    """A server that numbers calls `call_1` in every response: two customers get two tickets,
    each told of their own, and a later, different request of one customer a third."""
    llm.id_style = "repeat"
    for name in ("Omar", "Lena"):
        llm.script(
            ToolCalls([Call("create_customer_ticket", {"name": name, "issue": f"{name}'s order"})]),
            Reply("Done."),
        )
    _, omar_events = await run(harness, "console:omar", "refund", customer=OMAR)
    lena, lena_events = await run(harness, "console:lena", "refund", customer=LENA)
    results = [e.result for e in omar_events + lena_events if isinstance(e, ToolFinished)]
    assert results[0].startswith("Ticket #1 created for Omar.")
    assert results[1].startswith("Ticket #2 created for Lena.")
    assert "Omar" not in results[1]
    tickets = await harness.store.tickets_for_conversation(lena.id)
    assert [(t.id, t.customer_name, t.user_id) for t in tickets] == [(2, "Lena", "2002")]
    # The same conversation, a new problem under the same repeated id: a new ticket.
    llm.script(
        ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": "late again"})]),
        Reply("Done."),
    )
    _, events = await run(harness, "console:omar", "it is late again", customer=OMAR)
    (finished,) = [e for e in events if isinstance(e, ToolFinished)]
    assert finished.result.startswith("Ticket #3 created for Omar.")
    assert llm.rejections == []


async def test_calls_without_ids_still_make_a_valid_history(harness, llm):
    """A server that sends no call ids: the bot names the calls itself; the next request,
    carrying calls and results, is accepted."""
    llm.id_style = "omit"
    llm.script(
        ToolCalls(
            [Call("create_customer_ticket", {"name": "Omar", "issue": "cold"}), Call("nope", {})],
            style="whole",
        ),
        Reply("Ticket #1 is open."),
        Reply("Anything else?"),
    )
    conversation, _ = await run(harness, "console:noid", "cold food")
    await run(harness, "console:noid", "thanks")
    assert llm.rejections == []
    history = await stored(harness, conversation)
    ids = [call["id"] for call in history[2]["tool_calls"]]
    assert len(set(ids)) == 2
    assert [m["tool_call_id"] for m in history[3:5]] == ids


async def test_a_cut_answer_ends_with_a_notice(harness, llm):
    """A stream that ends with finish_reason "length" or "content_filter" is not shown as
    complete: the turn ends with a notice saying why."""
    llm.script(
        Reply("Our refund policy has three parts. First,", finish_reason="length"),
        Reply("I can", finish_reason="content_filter"),
    )
    _, events = await run(harness, "console:cut", "refund policy?")
    assert events[-1].text == "Our refund policy has three parts. First,"
    assert "cut off because it got too long" in events[-1].notice
    _, events = await run(harness, "console:cut", "and?")
    assert "content filter" in events[-1].notice


async def test_an_unexpected_error_mid_turn_keeps_the_text_and_tells_the_customer(
    harness, llm, caplog
):
    """An error that is not the endpoint's (here the SDK's parser choking on a broken event):
    the text shown is stored, marked interrupted; the turn ends with a notice; the next turn
    carries a valid history."""
    llm.script(MalformedStream("Let me check your order"), Reply("Found it."))
    conversation, events = await run(harness, "console:bug", "where is it?")
    assert shown_text(events) == "Let me check your order"
    assert isinstance(events[-1], TurnEnded)
    assert OUR_FAULT in events[-1].notice
    assert "turn failed" in caplog.text
    await run(harness, "console:bug", "hello?")
    history = await stored(harness, conversation)
    assert history[2]["content"] == f"Let me check your order\n{INTERRUPTED_MARK}"
    assert llm.rejections == []
    assert not await harness.store.turn_in_flight(conversation.id)


async def test_requests_carry_the_conversation_header_and_a_stable_prefix(llm, tmp_path):
    """Every chat request names its conversation in `x-grok-conv-id`; once the history
    outgrows the budget its start moves in one large step and then stays, so most requests
    begin with the previous one's messages; cached prompt tokens are stored per turn."""
    # Many turns in a minute: the turn pace is not what this test is about.
    settings = {"context_token_budget": 4000, "turns_per_minute": 100}
    async with engine_harness(llm, tmp_path / "db.sqlite3", **settings) as h:
        turns = 14
        for n in range(turns):
            llm.script(Reply(f"answer {n} " + "x" * 600))
            conversation, _ = await run(h, "console:cache", f"question {n} " + "y" * 600)
        assert {headers["x-grok-conv-id"] for headers in llm.request_headers} == {"console:cache"}
        extends = sum(
            1
            for before, after in zip(llm.requests, llm.requests[1:], strict=False)
            if after["messages"][: len(before["messages"])] == before["messages"]
        )
        # About 300 tokens a turn, 3000 left by the system prompt: one or two cuts in all.
        assert extends >= turns - 1 - 2
        assert extends < turns - 1  # the budget did cut
        usage = await h.store.usage_for_conversation(conversation.id)
        assert usage[0].cached_tokens == 0
        # The system prompt at least is always the same prefix.
        assert all(u.cached_tokens > 0 for u in usage[1:])


async def test_reasoning_effort_is_sent_unless_empty(llm, tmp_path):
    """REASONING_EFFORT goes out as `reasoning_effort`; empty leaves it out."""
    llm.script(Reply("a"), Reply("b"))
    async with engine_harness(llm, tmp_path / "a.sqlite3") as h:
        await run(h, "console:effort", "hi")
    async with engine_harness(llm, tmp_path / "b.sqlite3", reasoning_effort="") as h:
        await run(h, "console:effort", "hi")
    assert llm.requests[0]["reasoning_effort"] == "none"
    assert "reasoning_effort" not in llm.requests[1]


def big_photo() -> bytes:
    """A photo of noise just under 20 MiB: slow to decode, as a phone's full-size shot is."""
    width, height = 4200, 3200
    pixels = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    pixels.save(out, format="JPEG", quality=92)
    data = out.getvalue()
    assert data[:2] == b"\xff\xd8"
    assert len(data) <= MAX_IMAGE_BYTES
    return data


async def test_a_huge_photo_is_read_off_the_event_loop(harness, llm, tmp_path):
    """While a 20 MiB photo is decoded and scaled for the vision model, the event loop keeps
    running: streaming replies and Discord's heartbeat would stall otherwise."""
    data = big_photo()
    started = time.perf_counter()
    to_data_url(data)
    decode_seconds = time.perf_counter() - started
    url = script_receipt_photo(llm, tmp_path, data)
    lags: list[float] = []

    async def probe() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    probing = asyncio.create_task(probe())
    try:
        attachment = Attachment(url, "receipt.jpg", "image/jpeg", len(data))
        _, events = await run(harness, "console:big", "", images=[attachment], customer=OMAR)
    finally:
        probing.cancel()
    assert shown_text(events) == "Your total was 27.24 EUR."
    image_url = llm.requests[1]["messages"][1]["content"][1]["image_url"]["url"]
    scaled = Image.open(io.BytesIO(__import__("base64").b64decode(image_url.split(",")[1])))
    assert max(scaled.size) == 2048
    # Decoding on the loop would have stalled it for the whole decode.
    assert max(lags) < decode_seconds / 2, (max(lags), decode_seconds)
    assert [e for e in events if isinstance(e, ReplyText)]
