"""`python -m bot` as a real process against the fakes: answers, then stops on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

import pytest

from fakes.openai_server import Reply
from fakes.postgres import fresh_schema
from tests.commands.helpers import llm_env
from tests.conftest import API_KEY
from tests.frontends.discord.helpers import (
    bot_messages,
    discord_settings,
    open_thread,
    wait_for_reply,
)


def bot_env(discord_fake, llm, tmp_path, **extra):
    """The environment of a bot process pointed at both fakes."""
    return llm_env(llm, tmp_path, **discord_settings(discord_fake), **extra)


@contextlib.asynccontextmanager
async def bot_process(env, cwd, log_path):
    """`python -m bot` logging to a file (nobody reads a pipe, and a full one blocks the bot);
    killed at the end if it is still running."""
    with log_path.open("a") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=cwd, stderr=log_file
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stop(process) -> int:
    """SIGTERM, then wait for the exit code."""
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), timeout=20)


async def test_the_bot_process_answers_and_shuts_down_cleanly(discord_fake, llm, tmp_path):
    """Configured only by environment, the process answers in a thread and exits 0 on SIGTERM."""
    env = bot_env(discord_fake, llm, tmp_path, log_level="DEBUG")
    log_path = tmp_path / "bot.log"
    async with bot_process(env, tmp_path, log_path) as process:
        await discord_fake.wait_until_identified(timeout=20)
        llm.script(Reply("Hello from a real process!"))
        thread_id = await open_thread(discord_fake, discord_fake.add_user("ivy"), "Hi")
        await wait_for_reply(discord_fake, thread_id, ["Hello from a real process!"])
        code = await stop(process)
    log = log_path.read_text()
    assert code == 0, log
    assert "shutting down" in log
    assert "stopped" in log
    assert discord_fake.token not in log
    assert API_KEY not in log
    assert (tmp_path / "bot.sqlite3").exists()


async def test_sigterm_lets_a_reply_in_flight_finish(discord_fake, llm, tmp_path):
    """A SIGTERM mid-reply waits for the reply to complete before the process exits."""
    env = bot_env(discord_fake, llm, tmp_path)
    text = "Let me explain the refund policy step by step. " * 6
    llm.script(Reply(text, chunk_size=12, delay=0.05))
    async with bot_process(env, tmp_path, tmp_path / "bot.log") as process:
        await discord_fake.wait_until_identified(timeout=20)
        thread_id = await open_thread(discord_fake, discord_fake.add_user("ian"), "refunds?")
        await discord_fake.wait_for(lambda: len(llm.requests) == 1)
        code = await stop(process)
    assert code == 0, (tmp_path / "bot.log").read_text()
    await wait_for_reply(discord_fake, thread_id, [text], timeout=1)


async def test_a_reply_cut_by_a_crash_is_answered_on_the_next_start(discord_fake, llm, tmp_path):
    """SIGKILL mid-reply; the next start says so in the thread and answers the message the
    crash left without an answer; nobody is asked to send it again."""
    from bot.engine.copy import RESUMING

    env = bot_env(discord_fake, llm, tmp_path)
    llm.script(Reply("A long answer that will never finish. " * 40, chunk_size=8, delay=0.05))
    log_path = tmp_path / "bot.log"
    async with bot_process(env, tmp_path, log_path) as first:
        await discord_fake.wait_until_identified(timeout=20)
        customer = discord_fake.add_user("kai")
        thread_id = await open_thread(discord_fake, customer, "tell me everything")
        await discord_fake.wait_for(lambda: bool(bot_messages(discord_fake, thread_id)))
        first.kill()
        await first.wait()
    llm.script(Reply("Sorry about that! Here is the short version."))
    async with bot_process(env, tmp_path, log_path) as second:
        await discord_fake.wait_for(
            lambda: (
                bot_messages(discord_fake, thread_id)[-2:]
                == [RESUMING, "Sorry about that! Here is the short version."]
            ),
            timeout=20,
        )
        assert await stop(second) == 0
    sent = [(m["role"], m["content"]) for m in llm.requests[-1]["messages"][1:]]
    assert sent == [("user", "tell me everything")]


async def test_a_standby_takes_over_when_the_active_process_is_killed(
    discord_fake, llm, tmp_path, postgres
):
    """Three processes on one PostgreSQL: one answers, two stand by. SIGTERM ends a standby
    cleanly; SIGKILL of the active one mid-reply lets the other take over, mark the cut reply
    and answer the message it left without an answer, with the whole history."""
    from bot.engine.copy import RESUMING

    if postgres.url is None:
        pytest.skip(postgres.reason)
    async with fresh_schema(postgres.url) as url:
        env = bot_env(discord_fake, llm, tmp_path, database_url=url)
        logs = {name: tmp_path / f"{name}.log" for name in ("active", "standby", "leaving")}
        async with (
            bot_process(env, tmp_path, logs["active"]) as active,
            bot_process(env, tmp_path, logs["standby"]) as standby,
            bot_process(env, tmp_path, logs["leaving"]) as leaving,
        ):
            await discord_fake.wait_until_identified(timeout=20)
            await discord_fake.wait_for(
                lambda: sum("standing by" in path.read_text() for path in logs.values()) == 2,
                timeout=20,
            )
            # Which process won the race to the lock is up to the scheduler: name them now.
            first, second, third = sorted(
                ((active, "active"), (standby, "standby"), (leaving, "leaving")),
                key=lambda p: "standing by" in logs[p[1]].read_text(),
            )
            assert await stop(third[0]) == 0
            assert "stopped" in logs[third[1]].read_text()

            customer = discord_fake.add_user("lea")
            llm.script(Reply("Your order is on its way."))
            thread_id = await open_thread(discord_fake, customer, "where is my order?")
            await wait_for_reply(discord_fake, thread_id, ["Your order is on its way."])
            cut = "A long answer that will never finish. " * 40
            llm.script(Reply(cut, chunk_size=8, delay=0.05))
            await discord_fake.send_user_message(thread_id, customer, "and the refund?")
            await discord_fake.wait_for(lambda: len(llm.requests) == 2)
            first[0].kill()
            await first[0].wait()

            llm.script(Reply("The refund is on its way too."))
            await discord_fake.wait_until_identified(timeout=20, count=2)
            await discord_fake.wait_for(
                lambda: (
                    bot_messages(discord_fake, thread_id)[-1] == "The refund is on its way too."
                ),
                timeout=20,
            )
            assert await stop(second[0]) == 0
        assert "taking over" in logs[second[1]].read_text()
    assert RESUMING in bot_messages(discord_fake, thread_id)
    sent = [(m["role"], m["content"]) for m in llm.requests[-1]["messages"][1:]]
    assert sent == [
        ("user", "where is my order?"),
        ("assistant", "Your order is on its way."),
        ("user", "and the refund?"),
    ]
