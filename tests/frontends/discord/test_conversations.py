"""Conversations end to end through the real discord.py and openai SDK: who gets a thread,
what it carries over, and turns that follow each other across restarts."""

from __future__ import annotations

from bot.engine.copy import MOVED_HERE
from bot.engine.turn import RESTART_WITHIN_CHARS
from bot.frontends.discord.streaming.renderer import CURSOR
from fakes.openai_server import Reply
from tests.frontends.discord.helpers import (
    NO_PINGS,
    answered_thread,
    bot_messages,
    carried_over,
    message_writes,
    open_thread,
    opened_thread,
    wait_for_reply,
)

GREETING = "Hello Omar! I'm the Dashly assistant. How can I help with your order today?"


async def test_greeting_opens_a_private_thread_and_streams_the_answer(runner, discord_fake, llm):
    """A message in the support channel gets a private thread with only the customer added
    (Discord's thread-members route); the message is carried over as the first turn, pinging
    nobody, and removed from the channel; the reply streams."""
    omar = discord_fake.add_user("omar")
    llm.script(Reply(GREETING, chunk_size=6, delay=0.02))
    async with runner.running():
        original, thread_id = await opened_thread(discord_fake, omar, "Hi!")
        await wait_for_reply(discord_fake, thread_id, [GREETING])
    thread = discord_fake.threads[thread_id]
    assert thread["parent_id"] == str(discord_fake.support_channel_id)
    assert thread["type"] == 12
    assert thread["name"] == "Support · omar"
    assert discord_fake.thread_members(thread_id) == {discord_fake.bot_user_id, int(omar["id"])}
    assert discord_fake.get_message(discord_fake.support_channel_id, int(original["id"])) is None
    (copy,) = carried_over(discord_fake, thread_id)
    assert copy["content"] == f"**omar** wrote:\n> Hi!\n{MOVED_HERE}"
    assert discord_fake.requests_matching(
        "PUT", f"/channels/{thread_id}/thread-members/{omar['id']}"
    )
    assert llm.requests[0]["messages"][1] == {"role": "user", "content": "Hi!"}
    writes = message_writes(discord_fake, thread_id)
    first = writes[0]
    assert first.method == "POST"
    assert first.json["content"].endswith(CURSOR)
    assert GREETING.startswith(first.json["content"].removesuffix(CURSOR))
    assert len(first.json["content"].removesuffix(CURSOR)) < len(GREETING)
    assert writes[-1].json["content"] == GREETING
    assert all(w.json["allowed_mentions"] == NO_PINGS for w in writes)
    (carried,) = [
        r.json
        for r in discord_fake.requests_matching("POST", f"/channels/{thread_id}/messages")
        if r.json["content"].startswith("**omar** wrote:")
    ]
    assert carried["allowed_mentions"] == NO_PINGS
    # The text followed at once: typing would have added nothing but a request before it.
    assert not discord_fake.requests_matching("POST", f"/channels/{thread_id}/typing")


async def test_public_threads_when_configured(runner, discord_fake, llm):
    """THREAD_VISIBILITY=public: a public thread from the customer's message, which stays."""
    runner.settings = runner.settings.model_copy(update={"thread_visibility": "public"})
    omar = discord_fake.add_user("omar")
    llm.script(Reply(GREETING))
    async with runner.running():
        message = await discord_fake.send_user_message(discord_fake.support_channel_id, omar, "Hi!")
        thread_id = int(message["id"])
        await wait_for_reply(discord_fake, thread_id, [GREETING])
    assert discord_fake.threads[thread_id]["type"] == 11
    assert discord_fake.get_message(discord_fake.support_channel_id, thread_id) is not None
    assert carried_over(discord_fake, thread_id) == []


async def test_bots_other_channels_and_foreign_threads_are_ignored(runner, discord_fake, llm):
    """Only people in the support channel and in the bot's threads get an answer."""
    other_bot = discord_fake.add_user("webhook-bot", bot=True)
    person = discord_fake.add_user("pat")
    llm.script(Reply("Hi Pat!"))
    async with runner.running():
        await discord_fake.send_user_message(discord_fake.support_channel_id, other_bot, "beep")
        await discord_fake.send_user_message(discord_fake.other_channel_id, person, "hello?")
        await discord_fake.send_user_message(
            discord_fake.support_channel_id, discord_fake.bot_user, "my own message"
        )
        thread_id = await open_thread(discord_fake, person, "Hi")
        await wait_for_reply(discord_fake, thread_id, ["Hi Pat!"])
    assert len(llm.requests) == 1
    assert list(discord_fake.threads) == [thread_id]
    assert bot_messages(discord_fake, discord_fake.other_channel_id) == []


async def test_a_message_added_to_a_young_reply_is_answered_in_its_place(runner, discord_fake, llm):
    """A second message once the reply has begun: one answer to both is written over the
    reply already shown, in the same Discord message; nothing of the first one is stored."""
    customer = discord_fake.add_user("max")
    llm.script(
        Reply("First answer, slowly written.", chunk_size=3, delay=0.1),
        Reply("One answer for both."),
    )
    async with runner.running():
        thread_id = await open_thread(discord_fake, customer, "one")
        await discord_fake.wait_for(lambda: bot_messages(discord_fake, thread_id))
        await discord_fake.send_user_message(thread_id, customer, "two")
        await wait_for_reply(discord_fake, thread_id, ["One answer for both."])
    writes = message_writes(discord_fake, thread_id)
    assert [w.method for w in writes if w.method == "POST"] == ["POST"]
    shown_first = writes[0].json["content"].removesuffix(CURSOR)
    assert "First answer, slowly written.".startswith(shown_first)
    second = [(m["role"], m["content"]) for m in llm.requests[1]["messages"][1:]]
    assert second == [("user", "one"), ("user", "two")]


async def test_a_message_during_a_reply_well_under_way_waits_its_turn(runner, discord_fake, llm):
    """A second message once the reply has shown more than a glance: the reply finishes, and
    the next one answers the second message, its request including the first answer."""
    customer = discord_fake.add_user("max")
    first = ("First answer, a long one. " * 20).strip()
    llm.script(Reply(first, chunk_size=40, delay=0.1), Reply("Second answer."))
    async with runner.running():
        thread_id = await open_thread(discord_fake, customer, "one")
        await discord_fake.wait_for(
            lambda: len("".join(bot_messages(discord_fake, thread_id))) > RESTART_WITHIN_CHARS + 10
        )
        await discord_fake.send_user_message(thread_id, customer, "two")
        await wait_for_reply(discord_fake, thread_id, [first, "Second answer."])
    second = [(m["role"], m["content"]) for m in llm.requests[1]["messages"][1:]]
    assert second == [("user", "one"), ("assistant", first), ("user", "two")]


async def test_restart_in_the_middle_keeps_the_whole_history(runner, discord_fake, llm):
    """After a restart the next turn in the thread carries everything said before."""
    omar = discord_fake.add_user("omar")
    async with runner.running():
        thread_id = await answered_thread(
            discord_fake, llm, omar, "My order is late", "Which order is it about?"
        )
    llm.script(Reply("Thanks, I see order 1234 is 40 minutes late."))
    async with runner.running():
        await discord_fake.send_user_message(thread_id, omar, "Order 1234")
        await wait_for_reply(
            discord_fake,
            thread_id,
            ["Which order is it about?", "Thanks, I see order 1234 is 40 minutes late."],
        )
    sent = [(m["role"], m["content"]) for m in llm.requests[1]["messages"][1:]]
    assert sent == [
        ("user", "My order is late"),
        ("assistant", "Which order is it about?"),
        ("user", "Order 1234"),
    ]
    assert discord_fake.identify_count == 2
