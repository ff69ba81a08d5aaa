"""A young reply starts over when the customer writes again, through the engine alone (the
real SDK, the strict fake model): one answer to everything, nothing of the young one stored,
at most two fresh starts an answer."""

from __future__ import annotations

from bot.engine.events import Incoming, ReplyText, TurnEnded, TurnStarted
from bot.engine.turn import RESTART_WITHIN_CHARS
from fakes.openai_server import Reply
from tests.engine.test_engine import stored
from tests.engine.test_engine_rules import KEY, message, receive, turn_ends


async def reply_events(harness, incoming: Incoming, *, on_text, after_chars: int = 1) -> list:
    """The events of `incoming`'s receive; `on_text()` is awaited once, as soon as the reply
    being shown has `after_chars` characters."""
    events, shown, fired = [], "", False
    async for event in harness.engine.receive(incoming):
        events.append(event)
        if isinstance(event, TurnStarted | TurnEnded):
            shown = ""
        if isinstance(event, ReplyText):
            shown += event.text
            if not fired and len(shown) >= after_chars:
                fired = True
                await on_text()
    return events


async def test_a_message_added_while_the_reply_is_young_starts_it_over(harness, llm):
    """The customer adds a detail once the reply has begun: the reply stops, nothing of it
    is stored, and one answer reads both messages and takes its place."""
    llm.script(
        Reply("Sorry to hear that. Could you tell me your order number?", chunk_size=4, delay=0.1),
        Reply("Thanks, order 1234: I'm looking into it."),
    )
    later = []

    async def add_detail() -> None:
        later.append(await receive(harness, message("it's order 1234")))

    events = await reply_events(harness, message("my order is late"), on_text=add_detail)
    assert later == [[]]
    ends = turn_ends(events)
    assert [e.replaced for e in ends] == [True, False]
    assert ends[0].text
    assert ends[0].text in "Sorry to hear that. Could you tell me your order number?"
    assert ends[1].text == "Thanks, order 1234: I'm looking into it."
    sent = [m["content"] for m in llm.requests[1]["messages"] if m["role"] == "user"]
    assert sent == ["my order is late", "it's order 1234"]
    conversation = await harness.store.get_conversation(KEY)
    assert [(m["role"], m["content"]) for m in await stored(harness, conversation)][1:] == [
        ("user", "my order is late"),
        ("user", "it's order 1234"),
        ("assistant", "Thanks, order 1234: I'm looking into it."),
    ]
    assert await harness.store.unfinished(key=KEY) == []


async def test_messages_after_the_reply_got_far_are_answered_together_by_the_next(harness, llm):
    """Five messages arriving once the reply has shown more than a glance: each is stored at
    once, their own `receive` returns at once, and one more turn answers all five."""
    long_text = "Here is everything about refunds. " * 20
    llm.script(
        Reply(long_text, chunk_size=40, delay=0.02),
        Reply("Thanks, I have all five details."),
    )
    later = []

    async def five_details() -> None:
        later.extend([await receive(harness, message(f"detail {n}")) for n in range(5)])

    events = await reply_events(
        harness,
        message("my order is wrong"),
        on_text=five_details,
        after_chars=RESTART_WITHIN_CHARS + 1,
    )
    assert later == [[]] * 5
    assert [(e.text, e.replaced) for e in turn_ends(events)] == [
        (long_text, False),
        ("Thanks, I have all five details.", False),
    ]
    assert len(llm.requests) == 2
    sent = [m["content"] for m in llm.requests[1]["messages"] if m["role"] == "user"]
    assert sent == ["my order is wrong", *[f"detail {n}" for n in range(5)]]


async def test_a_reply_starts_over_at_most_twice(harness, llm):
    """Someone who keeps adding messages still gets an answer: after two fresh starts the
    reply goes on, and what came meanwhile is answered by the next turn."""
    slow = Reply("Let me check that for you, one moment please.", chunk_size=4, delay=0.1)
    llm.script(slow, slow, slow, Reply("Everything together now."))
    added = 0

    async def add() -> None:
        nonlocal added
        added += 1
        if added <= 3:
            await receive(harness, message(f"and another thing {added}"))

    async def once_per_reply(incoming):
        events, shown = [], ""
        async for event in harness.engine.receive(incoming):
            events.append(event)
            if isinstance(event, TurnStarted):
                shown = ""
            if isinstance(event, ReplyText):
                if not shown:
                    await add()
                shown += event.text
        return events

    events = await once_per_reply(message("where is my food"))
    assert [e.replaced for e in turn_ends(events)] == [True, True, False, False]
    assert len(llm.requests) == 4
    sent = [m["content"] for m in llm.requests[3]["messages"] if m["role"] == "user"]
    assert sent == ["where is my food", *[f"and another thing {n}" for n in (1, 2, 3)]]
