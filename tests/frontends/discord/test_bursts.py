"""Bursts: the first word as fast as Discord allows, through the fakes with Discord's limits
and the real discord.py: what a private conversation spends before its first text, first
texts before edits when the budget is short, Discord's cooldown on thread creation, and the
panel's immediate answer."""

from __future__ import annotations

import time

import pytest

from bot.frontends.discord.streaming.edit_budget import EditBudgets
from bot.frontends.discord.streaming.global_budget import GlobalBudget
from bot.frontends.discord.streaming.renderer import CURSOR
from fakes.discord_server import FakeDiscord, RecordedRequest
from fakes.openai_server import Reply
from tests.frontends.discord.helpers import (
    bot_messages,
    opened_thread,
    wait_for_reply,
)

THREADS = "/channels/{channel_id}/threads"
MESSAGES = "/channels/{channel_id}/messages"
EDIT = "/channels/{channel_id}/messages/{message_id}"
MEMBER = "/channels/{channel_id}/thread-members/{user_id}"
ANSWER = "Hello Omar! Your order left the restaurant five minutes ago and is on its way."


def of_thread(fake: FakeDiscord, thread_id: int, name: str) -> list[RecordedRequest]:
    """The requests spent on one conversation: its thread's creation and all in the thread."""
    return [
        r
        for r in fake.requests
        if (r.route == THREADS and isinstance(r.json, dict) and r.json.get("name") == name)
        or r.path == f"/channels/{thread_id}"
        or r.path.startswith(f"/channels/{thread_id}/")
    ]


def first_text(requests: list[RecordedRequest], answer: str) -> int:
    """The index of the first request that shows some of the answer."""
    return next(
        i
        for i, r in enumerate(requests)
        if r.route == MESSAGES
        and isinstance(r.json, dict)
        and (shown := str(r.json.get("content") or "").removesuffix(CURSOR))
        and answer.startswith(shown)
    )


async def test_a_private_conversation_spends_three_requests_before_its_first_text(
    runner, discord_fake, llm
):
    """The thread, then together the customer's admission to it and their words carried in
    (pinging nobody): the answer's first text is the fourth request, and the customer can
    read it. No typing before it; the public original goes after it."""
    omar = discord_fake.add_user("omar")
    llm.script(Reply(ANSWER, chunk_size=8, delay=0.02))
    async with runner.running():
        original, thread_id = await opened_thread(discord_fake, omar, "Where is my order?")
        await wait_for_reply(discord_fake, thread_id, [ANSWER])
        await discord_fake.wait_for(
            lambda: (
                discord_fake.get_message(discord_fake.support_channel_id, int(original["id"]))
                is None
            )
        )
    spent = of_thread(discord_fake, thread_id, "Support · omar")
    upto = first_text(spent, ANSWER)
    assert spent[0].method == "POST"
    assert spent[0].route == THREADS
    assert sorted((r.method, r.route) for r in spent[1:upto]) == [
        ("POST", MESSAGES),
        ("PUT", MEMBER),
    ]
    assert (spent[upto].method, spent[upto].route) == ("POST", MESSAGES)
    (carried,) = [r.json for r in spent[1:upto] if r.route == MESSAGES]
    assert carried["allowed_mentions"] == {"parse": []}
    assert int(omar["id"]) in discord_fake.thread_members(thread_id)
    removal = discord_fake.requests_matching(
        "DELETE", rf"/channels/{discord_fake.support_channel_id}/messages/{original['id']}"
    )
    assert len(removal) == 1
    assert removal[0].at > spent[upto].at


# The order of requests is the budget's, whatever the store: one store keeps the suite short.
@pytest.mark.parametrize("store_location", ["sqlite"], indirect=True)
async def test_first_words_go_before_edits_when_the_budget_is_short(runner, discord_fake, llm):
    """Two answers stream while the bot's request budget is short (one a second, less than
    their edits want); another customer writes: their thread, words and first text go ahead
    of the visible answers' next edits (at most the edits already granted slip in between)."""
    names = ["ana", "ben", "dee"]
    users = [discord_fake.add_user(name) for name in names]
    long_answer = " ".join(f"word{n}" for n in range(400))
    short_answer = "Hi Dee, your refund is on its way."

    def respond(body: dict) -> Reply:
        last = str(body["messages"][-1]["content"])
        if "dee" in last:
            return Reply(short_answer)
        return Reply(long_answer, chunk_size=10, delay=0.06)

    llm.set_responder(respond)
    budgets = EditBudgets(requests=GlobalBudget(2, 2.0))
    async with runner.running(edit_budgets=budgets):
        threads = []
        for user, name in zip(users[:-1], names, strict=False):
            _, thread_id = await opened_thread(discord_fake, user, f"{name}: where is my food?")
            threads.append(thread_id)
        # Both answers are visible and streaming.
        await discord_fake.wait_for(
            lambda: all(bot_messages(discord_fake, t) for t in threads), timeout=30
        )
        asked_at = time.monotonic()  # the fake stamps requests with the same clock
        _, dee_thread = await opened_thread(discord_fake, users[-1], "dee: refund please")
        await wait_for_reply(discord_fake, dee_thread, [short_answer], timeout=30)
    spent = of_thread(discord_fake, dee_thread, "Support · dee")
    shown_at = spent[first_text(spent, short_answer)].at
    edits_between = [
        r
        for r in discord_fake.requests
        if r.route == EDIT
        and r.method == "PATCH"
        and any(r.path.startswith(f"/channels/{t}/") for t in threads)
        and asked_at <= r.at <= shown_at
    ]
    assert len(edits_between) <= 2, len(edits_between)
    # The answers under way were still streaming then: edits of them came after.
    assert any(
        r.route == EDIT and r.at > shown_at and r.path.startswith(f"/channels/{threads[0]}/")
        for r in discord_fake.requests
    )
