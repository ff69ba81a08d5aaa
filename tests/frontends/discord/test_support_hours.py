"""Support hours through the real discord.py: a hand-off outside them tells the customer when
a person will see it, and the staff post says it came in out of hours."""

from __future__ import annotations

import datetime as dt

from bot.engine.copy import HANDED_OFF, OUT_OF_HOURS
from bot.frontends.discord.rating_views import PERSON_BUTTON
from tests.frontends.discord.helpers import answered_thread
from tests.frontends.discord.tickets import staff_post

HOURS = "Mon-Fri 09:00-18:00 Europe/London"
SATURDAY_NOON = dt.datetime(2026, 3, 28, 12, 0, tzinfo=dt.UTC)
MONDAY_TEN = dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC)  # 10:00 BST


async def _hand_off(runner, discord_fake, llm, at: dt.datetime) -> str:
    omar = discord_fake.add_user("omar")
    runner.settings = runner.settings.model_copy(update={"support_hours": HOURS})
    async with runner.running():
        runner.bot.engine.desk.clock = lambda: at
        thread_id = await answered_thread(discord_fake, llm, omar, "Hi", "Hello! How can I help?")
        answer = next(m for m in discord_fake.messages(thread_id) if m["components"])
        press = await discord_fake.click_button(answer, PERSON_BUTTON, omar)
        await discord_fake.wait_for(lambda: bool(press.content))
        await discord_fake.wait_for(
            lambda: bool(discord_fake.messages(discord_fake.staff_channel_id))
        )
        return press.content or ""


async def test_out_of_hours_says_when_a_person_will_see_it(runner, discord_fake, llm):
    """Saturday: staff are back Monday 09:00 London time (after the clocks went forward)."""
    said = await _hand_off(runner, discord_fake, llm, SATURDAY_NOON)
    assert said == (
        f"{HANDED_OFF.format(ticket=1)} " + OUT_OF_HOURS.format(when="Monday 09:00 (Europe/London)")
    )
    description = staff_post(discord_fake)["embeds"][0]["description"]
    assert description.endswith(f"🌙 Came in out of support hours ({HOURS}).")


async def test_within_hours_nothing_is_added(runner, discord_fake, llm):
    said = await _hand_off(runner, discord_fake, llm, MONDAY_TEN)
    assert said == HANDED_OFF.format(ticket=1)
    assert "out of support hours" not in staff_post(discord_fake)["embeds"][0]["description"]
