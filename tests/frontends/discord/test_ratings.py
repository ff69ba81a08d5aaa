"""Satisfaction ratings through the real discord.py: asked after a Resolve and after the
quiet period, once per episode; the customer's press (changeable, with a comment); a
stranger's press; the buttons after a restart."""

from __future__ import annotations

import datetime as dt

from bot.engine.copy import NOT_YOUR_RATING, RATING_COMMENT_THANKS
from fakes.openai_server import Reply
from tests.frontends.discord.helpers import answered_thread, wait_for_reply
from tests.frontends.discord.ratings import (
    button_labels,
    custom_ids,
    move_clock,
    prompts,
    stored_ratings,
    sweep,
)
from tests.frontends.discord.tickets import click, open_ticket

QUIET = dt.timedelta(minutes=30)
MINUTE = dt.timedelta(minutes=1)


async def test_quiet_period_asks_once_with_five_buttons(runner, discord_fake, llm):
    """Not before CSAT_AFTER_MINUTES of quiet after the answer; then one prompt with five
    buttons 1 to 5; later sweeps ask no more; the customer's next message starts a new
    episode that is asked again after its own quiet period."""
    omar = discord_fake.add_user("omar")
    async with runner.running():
        thread_id = await answered_thread(
            discord_fake, llm, omar, "Where is my order?", "On its way!"
        )
        move_clock(runner, QUIET - MINUTE)
        assert await sweep(runner) == 0
        move_clock(runner, QUIET + MINUTE)
        assert await sweep(runner) == 1
        assert await sweep(runner) == 0
        (prompt,) = prompts(discord_fake, thread_id)
        assert button_labels(prompt) == ["1", "2", "3", "4", "5"]
        (asked,) = await stored_ratings(runner, thread_id)
        assert (asked.reason, asked.rating, asked.prompt_message_id) == (
            "quiet",
            None,
            int(prompt["id"]),
        )

        llm.script(Reply("It is two minutes away."))
        await discord_fake.send_user_message(thread_id, omar, "Still waiting")
        await discord_fake.wait_for(
            lambda: "It is two minutes away." in _contents(discord_fake, thread_id)
        )
        move_clock(runner, QUIET + MINUTE)
        assert await sweep(runner) == 1
    assert len(prompts(discord_fake, thread_id)) == 2


async def test_resolve_asks_at_once_and_the_quiet_period_not_again(runner, discord_fake, llm):
    """Staff resolve the ticket: the customer is asked at once; the quiet period after the
    resolved notice asks nothing more in that episode."""
    omar = discord_fake.add_user("omar")
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running():
        thread_id = await open_ticket(discord_fake, llm, omar)
        move_clock(runner, QUIET + MINUTE)
        assert await sweep(runner) == 0  # the ticket is open: staff are on it
        await click(discord_fake, "resolve", sam)
        await discord_fake.wait_for(lambda: len(prompts(discord_fake, thread_id)) == 1)
        assert await sweep(runner) == 0
        (asked,) = await stored_ratings(runner, thread_id)
        assert (asked.reason, asked.ticket_id) == ("resolved", 1)
    assert len(prompts(discord_fake, thread_id)) == 1


async def test_customer_rates_comments_and_changes_the_rating(runner, discord_fake, llm):
    """A press stores the rating and opens the comment form; a comment is stored with it; a
    later press changes it; each goes out as ticket.rated for a resolved ticket."""
    omar = discord_fake.add_user("omar")
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running():
        thread_id = await open_ticket(discord_fake, llm, omar)
        await click(discord_fake, "resolve", sam)
        await discord_fake.wait_for(lambda: len(prompts(discord_fake, thread_id)) == 1)
        (prompt,) = prompts(discord_fake, thread_id)
        rating_id = int(custom_ids(prompt)[0].split(":")[1])

        press = await discord_fake.click_button(prompt, f"rate:{rating_id}:4", omar)
        assert (await press.wait_for_response())["type"] == 9  # the comment form
        (rated,) = await stored_ratings(runner, thread_id)
        assert (rated.rating, rated.rated_by, rated.comment) == (4, omar["id"], None)

        submit = await discord_fake.submit_modal(press, {"comment": "Sam was quick, thanks"})
        await submit.wait_for_response()
        assert submit.ephemeral
        assert submit.content == RATING_COMMENT_THANKS
        (rated,) = await stored_ratings(runner, thread_id)
        assert (rated.rating, rated.comment) == (4, "Sam was quick, thanks")

        again = await discord_fake.click_button(prompt, f"rate:{rating_id}:2", omar)
        await again.wait_for_response()
        (rated,) = await stored_ratings(runner, thread_id)
        assert (rated.rating, rated.comment) == (2, "Sam was quick, thanks")
        store = runner.bot.engine.services.store
        types = [event[2] for event in await store.outbox_events(1)]
        assert types.count("ticket.rated") == 3


async def test_someone_elses_press_is_refused(runner, discord_fake, llm):
    """Only the customer's press counts: anyone else (staff too) gets an ephemeral refusal."""
    omar = discord_fake.add_user("omar")
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running():
        thread_id = await answered_thread(discord_fake, llm, omar, "Hi", "Hello! How can I help?")
        move_clock(runner, QUIET + MINUTE)
        assert await sweep(runner) == 1
        (prompt,) = prompts(discord_fake, thread_id)
        press = await discord_fake.click_button(prompt, custom_ids(prompt)[4], sam)
        await press.wait_for_response()
        assert press.ephemeral
        assert press.content == NOT_YOUR_RATING
        (asked,) = await stored_ratings(runner, thread_id)
        assert asked.rating is None


async def test_the_buttons_work_after_a_restart(runner, discord_fake, llm):
    """A prompt posted before a restart takes the customer's press after it."""
    omar = discord_fake.add_user("omar")
    async with runner.running():
        thread_id = await answered_thread(discord_fake, llm, omar, "Hi", "Hello! How can I help?")
        move_clock(runner, QUIET + MINUTE)
        assert await sweep(runner) == 1
    (prompt,) = prompts(discord_fake, thread_id)
    async with runner.running():
        press = await discord_fake.click_button(prompt, custom_ids(prompt)[4], omar)
        assert (await press.wait_for_response())["type"] == 9
        (rated,) = await stored_ratings(runner, thread_id)
        assert rated.rating == 5
        move_clock(runner, QUIET + MINUTE)
        assert await sweep(runner) == 0
    await wait_for_reply(discord_fake, thread_id, ["Hello! How can I help?", prompt["content"]])


def _contents(fake, thread_id: int) -> list[str]:
    return [m["content"] for m in fake.messages(thread_id)]
