"""Archiving through the real discord.py: a conversation idle for ARCHIVE_AFTER_DAYS has its
thread archived; the customer's next message reopens it and is answered with the whole
history; it is archived again only after another idle period."""

from __future__ import annotations

import datetime as dt

from fakes.openai_server import Reply
from tests.frontends.discord.helpers import answered_thread, wait_for_reply


def _move_clock(runner, by: dt.timedelta) -> None:
    runner.bot.engine.operations.archive.clock = lambda: dt.datetime.now(dt.UTC) + by


async def _archive_idle(runner) -> int:
    # discord.py loads each extension as a module of its own: the cog is found by name.
    cog = runner.bot.get_cog("Archiving")
    assert cog is not None
    return await cog.archive_idle()


async def test_idle_threads_are_archived_and_reopen_with_the_whole_history(
    runner, discord_fake, llm
):
    omar = discord_fake.add_user("omar")
    async with runner.running():
        thread_id = await answered_thread(
            discord_fake, llm, omar, "My order 77 is late", "Sorry! It is on its way."
        )
        archived = lambda: discord_fake.threads[thread_id]["thread_metadata"]["archived"]  # noqa: E731
        _move_clock(runner, dt.timedelta(days=6, hours=23))
        assert await _archive_idle(runner) == 0
        assert not archived()
        _move_clock(runner, dt.timedelta(days=7, minutes=1))
        assert await _archive_idle(runner) == 1
        assert archived()
        assert await _archive_idle(runner) == 0  # once

        llm.script(Reply("Order 77 arrived at 18:04, according to the driver."))
        await discord_fake.send_user_message(thread_id, omar, "Did it arrive in the end?")
        await wait_for_reply(
            discord_fake,
            thread_id,
            ["Sorry! It is on its way.", "Order 77 arrived at 18:04, according to the driver."],
        )
        assert not archived()
        sent = [m["content"] for m in llm.requests[-1]["messages"][1:]]
        assert sent == [
            "My order 77 is late",
            "Sorry! It is on its way.",
            "Did it arrive in the end?",
        ]
        _move_clock(runner, dt.timedelta(days=6, hours=23))
        assert await _archive_idle(runner) == 0  # active again: a new idle period starts
        _move_clock(runner, dt.timedelta(days=7, minutes=1))
        assert await _archive_idle(runner) == 1
        assert archived()


async def test_archiving_can_be_turned_off(runner, discord_fake, llm):
    omar = discord_fake.add_user("omar")
    runner.settings = runner.settings.model_copy(update={"archive_after_days": 0})
    async with runner.running():
        await answered_thread(discord_fake, llm, omar, "Hi", "Hello!")
        _move_clock(runner, dt.timedelta(days=365))
        assert await _archive_idle(runner) == 0
