"""Messages sent while the bot was down (a deploy, a crash, a take-over): the next start reads
them from Discord and answers them as if they had just arrived, and nothing twice."""

from __future__ import annotations

import logging

import pytest

from bot.frontends.discord.catchup import HandledInOrder
from fakes.openai_server import Reply
from tests.frontends.discord.helpers import bot_messages, open_thread, wait_for_reply

CAUGHT_UP = "caught up after the stop"


def sent_users(llm) -> list[str]:
    """The customer's words in the last model request."""
    return [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "user"]


async def caught_up(fake, caplog: pytest.LogCaptureFixture, starts: int) -> None:
    """Wait until the start numbered `starts` has read what was sent while it was down."""
    await fake.wait_for(
        lambda: sum(CAUGHT_UP in r.getMessage() for r in caplog.records) >= starts, timeout=10
    )


async def test_thread_messages_sent_while_down_are_answered_once(runner, discord_fake, llm, caplog):
    """Written in the thread while the bot was down: the next start reads them and answers
    them in one turn; the start after that answers nothing again."""
    caplog.set_level(logging.INFO, logger="bot.frontends.discord.catchup")
    customer = discord_fake.add_user("dia")
    llm.script(Reply("Hello! How can I help?"))
    async with runner.running():
        thread_id = await open_thread(discord_fake, customer, "hi")
        await wait_for_reply(discord_fake, thread_id, ["Hello! How can I help?"])
    await discord_fake.send_user_message(thread_id, customer, "are you there?")
    await discord_fake.send_user_message(thread_id, customer, "my pizza is missing")
    llm.script(Reply("Yes! Sorry about the pizza."))
    async with runner.running():
        await wait_for_reply(
            discord_fake, thread_id, ["Hello! How can I help?", "Yes! Sorry about the pizza."]
        )
        await caught_up(discord_fake, caplog, 2)
    assert sent_users(llm) == ["hi", "are you there?", "my pizza is missing"]
    async with runner.running():
        await caught_up(discord_fake, caplog, 3)
    assert bot_messages(discord_fake, thread_id) == [
        "Hello! How can I help?",
        "Yes! Sorry about the pizza.",
    ]
    assert len(llm.requests) == 2


async def test_a_first_message_sent_while_down_opens_a_conversation(
    runner, discord_fake, llm, caplog
):
    """A new customer writes in the support channel while the bot is down: the next start
    opens their conversation and answers it; the start after that opens nothing again."""
    caplog.set_level(logging.INFO, logger="bot.frontends.discord.catchup")
    async with runner.running():
        await caught_up(discord_fake, caplog, 1)
    before = set(discord_fake.threads)
    customer = discord_fake.add_user("eve")
    await discord_fake.send_user_message(discord_fake.support_channel_id, customer, "help me")
    llm.script(Reply("Hi Eve! What happened?"))
    async with runner.running():
        await discord_fake.wait_for(lambda: bool(set(discord_fake.threads) - before))
        (thread_id,) = set(discord_fake.threads) - before
        await wait_for_reply(discord_fake, thread_id, ["Hi Eve! What happened?"])
        await caught_up(discord_fake, caplog, 2)
    async with runner.running():
        await caught_up(discord_fake, caplog, 3)
    assert set(discord_fake.threads) - before == {thread_id}
    assert sent_users(llm) == ["help me"]
    assert len(llm.requests) == 1


def test_the_support_channel_mark_never_passes_a_message_still_being_handled():
    """A message waiting for its thread (a cooldown of minutes) keeps the mark behind it,
    however many later ones are handled meanwhile; once it is, the mark moves past all."""
    handled = HandledInOrder()
    for message_id in (10, 11, 12):
        handled.begin(message_id)
    assert handled.end(12) is None  # 10 and 11 are still being handled
    assert handled.end(10) == 10
    handled.begin(13)
    assert handled.end(13) is None  # 11 still waits
    assert handled.end(11) == 13
