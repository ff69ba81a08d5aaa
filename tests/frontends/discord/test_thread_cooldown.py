"""Discord's cooldown on thread creation (a 429 of shared scope with a long retry-after) and
the panel's immediate answer, through the fakes with Discord's limits and the real
discord.py. The fake's cooldown lasts a few seconds where Discord's last minutes."""

from __future__ import annotations

import time

from bot.engine.copy import OPENED_FOR_YOU, OPENING_FOR_YOU, OPENING_NOW, PANEL_TEXT
from fakes.openai_server import Reply
from tests.frontends.discord.helpers import (
    bot_messages,
    carried_over,
    stored_user_messages,
    wait_for_reply,
)

THREADS = "/channels/{channel_id}/threads"
COOLDOWN = 4.0
FIRST = "Sorry about the wait! Your order is on its way and arrives in about ten minutes."
SECOND = "Yes, I can see the extra note about the doorbell: the courier has it."


def pings_nobody(body: dict) -> bool:
    """Whether a message's allowed mentions let it ping nobody (not even the author of the
    message it replies to)."""
    allowed = body["allowed_mentions"]
    return (
        allowed.get("parse") == [] and not allowed.get("users") and not allowed.get("replied_user")
    )


def creations(fake) -> list:
    """The bot's thread creations in the support channel."""
    return [r for r in fake.requests if r.route == THREADS and r.method == "POST"]


async def test_a_thread_creation_cooldown_costs_no_message_and_no_silence(
    runner, discord_fake, llm
):
    """Discord answers the thread's creation with a 429 of shared scope and a long
    retry-after: a reply to the customer's message says their conversation is being opened
    (pinging nobody), the creation is tried again once, when the cooldown ends; what the
    customer adds in the channel meanwhile is carried into the thread, and both messages
    are answered there. Nothing the model writes shows in the channel."""
    omar = discord_fake.add_user("omar")
    llm.script(Reply(FIRST), Reply(SECOND))
    support = discord_fake.support_channel_id
    async with runner.running():
        discord_fake.cool_down_thread_creation(COOLDOWN)
        ends_at = time.monotonic() + COOLDOWN
        first = await discord_fake.send_user_message(support, omar, "Where is my order?")
        await discord_fake.wait_for(
            lambda: any(
                m.get("message_reference", {}).get("message_id") == first["id"]
                for m in discord_fake.messages(support)
            ),
            timeout=COOLDOWN,
        )
        assert not discord_fake.threads  # told while the cooldown lasts
        second = await discord_fake.send_user_message(
            support, omar, "Also: the doorbell is broken, please knock."
        )
        await discord_fake.wait_for(lambda: bool(discord_fake.threads), timeout=COOLDOWN + 10)
        (thread_id,) = discord_fake.threads
        await wait_for_reply(discord_fake, thread_id, [FIRST, SECOND], timeout=20)
        stored = await stored_user_messages(runner, thread_id)
    tries = creations(discord_fake)
    assert [r.status for r in tries] == [429, 201]
    assert tries[1].at >= ends_at - 0.05  # not before the cooldown ended
    notice = next(
        r
        for r in discord_fake.requests
        if r.path == f"/channels/{support}/messages"
        and r.method == "POST"
        and str((r.json or {}).get("message_reference", {}).get("message_id")) == first["id"]
    )
    assert notice.json["content"] == OPENING_NOW
    assert pings_nobody(notice.json)
    assert notice.at < tries[1].at
    # Both messages are the conversation's, carried into the one thread, and answered.
    assert len(carried_over(discord_fake, thread_id)) == 2
    assert "Where is my order?" in stored[0]
    assert "doorbell" in stored[-1]
    assert int(omar["id"]) in discord_fake.thread_members(thread_id)
    # Nothing of the model's in the support channel, and no ping from the bot there.
    public = [
        m["content"]
        for m in discord_fake.messages(support)
        if m["author"]["id"] == str(discord_fake.bot_user_id)
    ]
    assert not any(FIRST[:20] in text or SECOND[:20] in text for text in public)
    sent_there = [
        r
        for r in discord_fake.requests
        if r.path == f"/channels/{support}/messages" and r.method == "POST"
    ]
    assert all(pings_nobody(r.json) for r in sent_there)
    assert second["id"] != first["id"]


async def panel_submitted(discord_fake, runner, customer):
    """Staff post the panel; the customer presses it and sends the form; the submission."""
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    await discord_fake.wait_for(lambda: bool(discord_fake.app_commands))
    posted = await discord_fake.run_command(
        "tickets", sam, discord_fake.staff_channel_id, subcommand="panel"
    )
    await posted.wait_for_response()
    support = discord_fake.support_channel_id
    await discord_fake.wait_for(lambda: bool(discord_fake.messages(support)))
    (panel,) = [m for m in discord_fake.messages(support) if m["content"] == PANEL_TEXT]
    click = await discord_fake.click_button(panel, "help:open", customer)
    await click.wait_for_response()
    return await discord_fake.submit_modal(click, {"problem": "My fries are cold", "order": ""})


async def test_the_panel_answers_at_once_with_the_new_thread(runner, discord_fake, llm):
    """The form is answered with an ephemeral message linking the new thread (no deferral:
    an interaction's answer costs nothing of the global limit)."""
    omar = discord_fake.add_user("omar")
    llm.script(Reply("Sorry about the fries!"))
    async with runner.running():
        before = set(discord_fake.threads)
        submit = await panel_submitted(discord_fake, runner, omar)
        response = await submit.wait_for_response()
        (thread_id,) = set(discord_fake.threads) - before
        await wait_for_reply(discord_fake, thread_id, ["Sorry about the fries!"])
    assert response["type"] == 4
    assert response["data"]["flags"] & 64  # ephemeral
    assert response["data"]["content"] == OPENED_FOR_YOU.format(thread=f"<#{thread_id}>")
    assert int(omar["id"]) in discord_fake.thread_members(thread_id)


async def test_the_panel_answers_at_once_while_discord_makes_the_thread_wait(
    runner, discord_fake, llm
):
    """Under a cooldown on thread creation the form is still answered at once (a word that
    the conversation is being opened), and the link follows in an edit once it opens."""
    omar = discord_fake.add_user("omar")
    llm.script(Reply("Sorry about the fries!"))
    async with runner.running():
        discord_fake.cool_down_thread_creation(COOLDOWN)
        submit = await panel_submitted(discord_fake, runner, omar)
        response = await submit.wait_for_response()
        assert not discord_fake.threads
        await discord_fake.wait_for(lambda: bool(submit.edits), timeout=COOLDOWN + 10)
        (thread_id,) = discord_fake.threads
        await wait_for_reply(discord_fake, thread_id, ["Sorry about the fries!"])
    assert response["type"] == 4
    assert response["data"]["content"] == OPENING_FOR_YOU
    assert submit.edits[-1]["content"] == OPENED_FOR_YOU.format(thread=f"<#{thread_id}>")
    assert [r.status for r in creations(discord_fake)] == [429, 201]
    assert bot_messages(discord_fake, thread_id) == ["Sorry about the fries!"]
