"""`/support stats [days]` through the real discord.py: the figures and the chart, for staff."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.frontends.discord.helpers import answered_thread
from tests.frontends.discord.ratings import custom_ids, move_clock, prompts, sweep


def _fields(message: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


async def test_support_stats_shows_the_figures_and_a_chart(runner, discord_fake, llm):
    """A conversation the customer rated 5: resolved by the assistant, satisfaction 5; the
    answer is ephemeral, with a PNG chart of the days as the embed's image."""
    omar = discord_fake.add_user("omar")
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running():
        thread_id = await answered_thread(discord_fake, llm, omar, "Hi", "Hello! How can I help?")
        move_clock(runner, dt.timedelta(minutes=31))
        assert await sweep(runner) == 1
        (prompt,) = prompts(discord_fake, thread_id)
        press = await discord_fake.click_button(prompt, custom_ids(prompt)[4], omar)
        await press.wait_for_response()

        with pytest.raises(PermissionError):  # customers do not even see the command
            await discord_fake.run_command(
                "support", omar, discord_fake.staff_channel_id, subcommand="stats"
            )
        asked = await discord_fake.run_command(
            "support", sam, discord_fake.staff_channel_id, {"days": 3}, subcommand="stats"
        )
        await asked.wait_for_response()
        await discord_fake.wait_for(lambda: bool((asked.message or {}).get("embeds")))
        shown = asked.message
    assert asked.ephemeral
    assert shown["embeds"][0]["title"] == "Support over the last 3 days"
    fields = _fields(shown)
    assert fields["Conversations"] == "1"
    assert fields["Resolved by the assistant"] == "1 (100%)"
    assert fields["Handed off to staff"] == "0 (0%)"
    assert fields["Satisfaction"] == "5.00 / 5 from 1 ratings (100% of 1 asked)"
    (chart,) = shown["attachments"]
    assert chart["filename"] == "support-stats.png"
    assert chart["content_type"] == "image/png"
    assert (chart["width"], chart["height"]) == (800, 360)
    assert shown["embeds"][0]["image"]["url"] == "attachment://support-stats.png"
