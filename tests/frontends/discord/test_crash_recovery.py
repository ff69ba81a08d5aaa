"""Nothing lost across a crash: `python -m bot` killed (SIGKILL) at each point a message may
wait, and started again. Real processes against the fakes (`test_catch_up.py`: messages sent
while the bot was down)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.engine.copy import RESUMING
from fakes.openai_server import Call, Reply, ToolCalls
from fakes.process import bot_process
from tests.commands.helpers import llm_env
from tests.frontends.discord.helpers import (
    bot_messages,
    discord_settings,
    open_thread,
    wait_for_reply,
)

SLOW = "A long answer that will never finish. " * 40


def bot_env(discord_fake, llm, tmp_path, **extra):
    return llm_env(llm, tmp_path, **discord_settings(discord_fake), **extra)


def stored_user_messages(tmp_path: Path) -> int:
    """How many customer messages the bot's SQLite file holds (read beside the process)."""
    with sqlite3.connect(f"file:{tmp_path / 'bot.sqlite3'}?mode=ro", uri=True) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM messages WHERE role = 'user'").fetchone()
    return int(count)


async def kill(process) -> None:
    process.kill()
    await process.wait()


def sent_users(llm) -> list[str]:
    """The customer's words in the last model request."""
    return [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "user"]


async def caught_up(log: Path) -> None:
    """Wait until a start has read what was sent while it was down."""
    for _ in range(2000):
        if log.exists() and "caught up after the stop" in log.read_text():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(log.read_text())


async def test_sigkill_mid_reply_after_a_tool_round_is_answered_once(discord_fake, llm, tmp_path):
    """Killed while the reply streams after a tool round was stored: the next start says so
    and answers (going on from the stored tool result), once."""
    env = bot_env(discord_fake, llm, tmp_path)
    llm.script(
        ToolCalls([Call("search_help_center", {"query": "refund"})], style="whole"),
        Reply(SLOW, chunk_size=8, delay=0.05),
    )
    async with bot_process(env, tmp_path, tmp_path / "first.log") as first:
        await discord_fake.wait_until_identified(timeout=20)
        thread_id = await open_thread(discord_fake, discord_fake.add_user("ana"), "refund?")
        await discord_fake.wait_for(lambda: bool(bot_messages(discord_fake, thread_id)), 20)
        await kill(first)
    llm.script(Reply("Refunds take 3 to 5 business days."))
    async with bot_process(env, tmp_path, tmp_path / "second.log"):
        await discord_fake.wait_for(
            lambda: (
                bot_messages(discord_fake, thread_id)[-1:] == ["Refunds take 3 to 5 business days."]
            ),
            timeout=20,
        )
        await caught_up(tmp_path / "second.log")
    shown = bot_messages(discord_fake, thread_id)
    assert shown[-2:] == [RESUMING, "Refunds take 3 to 5 business days."]
    assert shown.count("Refunds take 3 to 5 business days.") == 1
    assert len(llm.requests) == 3
    assert [m["role"] for m in llm.requests[-1]["messages"]][-3:] == ["user", "assistant", "tool"]


async def test_sigkill_while_a_message_waits_behind_a_turn(discord_fake, llm, tmp_path):
    """A second message arrives while the first one's turn is under way (stored before the
    turn's tool round); the process is killed mid-reply: the next start answers both."""
    env = bot_env(discord_fake, llm, tmp_path)
    second_stored = asyncio.Event()

    async def held_tool_call():
        await second_stored.wait()
        return ToolCalls([Call("search_help_center", {"query": "late order"})], style="whole")

    async def slow_reply():
        return Reply(SLOW, chunk_size=8, delay=0.05)

    answers = [held_tool_call, slow_reply]

    async def respond(body):
        return await answers.pop(0)() if answers else Reply("Both are answered now.")

    llm.set_responder(respond)
    async with bot_process(env, tmp_path, tmp_path / "first.log") as first:
        await discord_fake.wait_until_identified(timeout=20)
        customer = discord_fake.add_user("ben")
        thread_id = await open_thread(discord_fake, customer, "my order is late")
        await discord_fake.wait_for(lambda: len(llm.requests) == 1, 20)
        await discord_fake.send_user_message(thread_id, customer, "and the fries are cold")
        await discord_fake.wait_for(lambda: stored_user_messages(tmp_path) == 2, 20)
        second_stored.set()
        await discord_fake.wait_for(lambda: bool(bot_messages(discord_fake, thread_id)), 20)
        await kill(first)
    async with bot_process(env, tmp_path, tmp_path / "second.log"):
        await discord_fake.wait_for(
            lambda: bot_messages(discord_fake, thread_id)[-1:] == ["Both are answered now."],
            timeout=20,
        )
        await caught_up(tmp_path / "second.log")
    assert bot_messages(discord_fake, thread_id)[-2:] == [RESUMING, "Both are answered now."]
    assert sent_users(llm) == ["my order is late", "and the fries are cold"]
    assert len(llm.requests) == 3


async def test_sigkill_while_waiting_for_turn_pace_room(discord_fake, llm, tmp_path):
    """Over TURNS_PER_MINUTE a message waits for room; killed then, the next start answers."""
    env = bot_env(discord_fake, llm, tmp_path, turns_per_minute=1)
    llm.script(Reply("Hello! How can I help?"))
    async with bot_process(env, tmp_path, tmp_path / "first.log") as first:
        await discord_fake.wait_until_identified(timeout=20)
        customer = discord_fake.add_user("cem")
        thread_id = await open_thread(discord_fake, customer, "hi")
        await wait_for_reply(discord_fake, thread_id, ["Hello! How can I help?"])
        await discord_fake.send_user_message(thread_id, customer, "where is my order?")
        await discord_fake.wait_for(lambda: stored_user_messages(tmp_path) == 2, 20)
        await kill(first)
    assert len(llm.requests) == 1
    llm.script(Reply("It is on its way."))
    async with bot_process(env, tmp_path, tmp_path / "second.log"):
        await discord_fake.wait_for(
            lambda: bot_messages(discord_fake, thread_id)[-1:] == ["It is on its way."],
            timeout=20,
        )
        await caught_up(tmp_path / "second.log")
    assert bot_messages(discord_fake, thread_id) == [
        "Hello! How can I help?",
        RESUMING,
        "It is on its way.",
    ]
    assert sent_users(llm) == ["hi", "where is my order?"]
