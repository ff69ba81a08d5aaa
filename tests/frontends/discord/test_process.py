"""`python -m bot` as a real process against the fakes: answers, then stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

from tests.conftest import API_KEY, CHAT_MODEL, VISION_MODEL
from tests.fakes.openai_server import Reply
from tests.frontends.discord.helpers import open_thread, wait_for_reply
from tests.process import clean_env


def bot_env(discord_fake, llm, tmp_path, **extra):
    """The environment of a bot process pointed at both fakes."""
    return clean_env(
        discord_token=discord_fake.token,
        support_channel_id=discord_fake.support_channel_id,
        staff_channel_id=discord_fake.staff_channel_id,
        xai_api_key=API_KEY,
        xai_base_url=llm.base_url,
        chat_model=CHAT_MODEL,
        vision_model=VISION_MODEL,
        database_path=tmp_path / "bot.sqlite3",
        discord_api_base=discord_fake.api_base,
        discord_gateway_url=discord_fake.gateway_url,
        **extra,
    )


async def test_the_bot_process_answers_and_shuts_down_cleanly(discord_fake, llm, tmp_path):
    """Configured only by environment, the process answers in a thread and exits 0 on SIGTERM."""
    env = bot_env(discord_fake, llm, tmp_path, log_level="DEBUG")
    log_path = tmp_path / "bot.log"
    # A file, not a pipe: nobody reads a pipe while the test runs, and a full one blocks the bot.
    with log_path.open("w") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=tmp_path, stderr=log_file
        )
    try:
        await discord_fake.wait_until_identified(timeout=20)
        llm.script(Reply("Hello from a real process!"))
        thread_id = await open_thread(discord_fake, discord_fake.add_user("ivy"), "Hi")
        await wait_for_reply(discord_fake, thread_id, ["Hello from a real process!"])
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = log_path.read_text()
    assert process.returncode == 0, log
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
    with (tmp_path / "bot.log").open("w") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=tmp_path, stderr=log_file
        )
    try:
        await discord_fake.wait_until_identified(timeout=20)
        thread_id = await open_thread(discord_fake, discord_fake.add_user("ian"), "refunds?")
        await discord_fake.wait_for(lambda: len(llm.requests) == 1)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, (tmp_path / "bot.log").read_text()
    await wait_for_reply(discord_fake, thread_id, [text], timeout=1)
