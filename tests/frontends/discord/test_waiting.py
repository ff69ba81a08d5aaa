"""Nobody kept waiting in silence: an answer delayed by the customer's pace or by the cap on
model calls shows a sign within 5 s (typing, then a holding line), and the answer then
takes the holding line over, so each answer ends as exactly one message."""

from __future__ import annotations

import time

import pytest

from bot.engine.copy import HOLDING
from bot.engine.limiter import SlidingWindowLimiter
from fakes.discord_server import FakeDiscord, RecordedRequest
from fakes.openai_server import Reply
from tests.frontends.discord.helpers import (
    answered_thread,
    bot_messages,
    message_writes,
    open_thread,
    wait_for_reply,
)

# Signs of waiting are timed by the frontend, whatever the store: one store keeps the suite
# short (the store's part, a message stored due and answered, is tested on both elsewhere).
ONE_STORE = pytest.mark.parametrize("store_location", ["sqlite"], indirect=True)

# The promise: never more than this without a sign.
SIGN_WITHIN = 5.0


def signs_after(fake: FakeDiscord, thread_id: int, since: float) -> list[RecordedRequest]:
    """The bot's typing and message requests in the thread from `since` on, in order."""
    return [
        r
        for r in fake.requests
        if r.at >= since
        and r.method in ("POST", "PATCH")
        and (
            r.path == f"/channels/{thread_id}/typing"
            or r.path.startswith(f"/channels/{thread_id}/messages")
        )
    ]


@ONE_STORE
async def test_a_message_over_the_pace_shows_a_holding_line_the_answer_replaces(
    runner, discord_fake, llm
):
    """TURNS_PER_MINUTE is spent: the next answer waits for room. Meanwhile the customer sees
    typing at once and the holding line, and the answer is written into that line."""
    omar = discord_fake.add_user("omar")
    async with runner.running() as bot:
        # One turn per 8 s (the rule of TURNS_PER_MINUTE, at a pace a test can wait out).
        bot.engine.turn_pace = SlidingWindowLimiter(1, 8.0)
        thread_id = await answered_thread(discord_fake, llm, omar, "hi", "Hello Omar!")
        llm.script(Reply("Your order is on its way."))
        since = time.monotonic()
        await discord_fake.send_user_message(thread_id, omar, "where is my order?")
        await wait_for_reply(
            discord_fake, thread_id, ["Hello Omar!", "Your order is on its way."], timeout=20
        )
    signs = signs_after(discord_fake, thread_id, since)
    assert signs[0].at - since <= SIGN_WITHIN
    assert signs[0].path == f"/channels/{thread_id}/typing"
    # The answer before only loses its "Talk to a person" button: not part of this answer.
    earlier = {m["id"] for m in discord_fake.messages(thread_id) if m["content"] == "Hello Omar!"}
    writes = [
        w
        for w in message_writes(discord_fake, thread_id)
        if w.at >= since and w.path.rsplit("/", 1)[1] not in earlier
    ]
    assert [w.method for w in writes][:1] == ["POST"]
    assert writes[0].json["content"] == HOLDING
    assert writes[0].at - since <= SIGN_WITHIN
    # Every later write edits that one message: the answer replaced the holding line.
    (holding_id,) = {w.path.rsplit("/", 1)[1] for w in writes[1:]}
    assert all(w.method == "PATCH" for w in writes[1:])
    assert writes[-1].json["content"] == "Your order is on its way."
    assert discord_fake.get_message(thread_id, int(holding_id))["content"] == (
        "Your order is on its way."
    )
    assert HOLDING not in bot_messages(discord_fake, thread_id)


@ONE_STORE
async def test_a_turn_waiting_for_the_model_cap_is_held_and_then_answered(
    runner, discord_fake, llm
):
    """MAX_CONCURRENT_LLM_CALLS=1 and a slow first answer: the second customer's turn waits
    for the model, shows the holding line, and the answer replaces it."""
    runner.settings = runner.settings.model_copy(update={"max_concurrent_llm_calls": 1})
    slow = "Let me check that for you. " * 4
    llm.script(Reply(slow, chunk_size=6, delay=0.3), Reply("Hi Lena, how can I help?"))
    async with runner.running():
        first = await open_thread(discord_fake, discord_fake.add_user("omar"), "hi")
        await discord_fake.wait_for(lambda: bool(bot_messages(discord_fake, first)))
        since = time.monotonic()
        second = await open_thread(discord_fake, discord_fake.add_user("lena"), "hello")
        await wait_for_reply(discord_fake, second, ["Hi Lena, how can I help?"], timeout=20)
        await wait_for_reply(discord_fake, first, [slow], timeout=20)
    writes = message_writes(discord_fake, second)
    assert writes[0].method == "POST"
    assert writes[0].json["content"] == HOLDING
    assert writes[0].at - since <= SIGN_WITHIN
    assert all(w.method == "PATCH" for w in writes[1:])
    assert bot_messages(discord_fake, second) == ["Hi Lena, how can I help?"]
