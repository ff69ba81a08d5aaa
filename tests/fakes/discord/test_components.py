"""The fake Discord's buttons and interaction errors."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest

from fakes.discord_server import FakeDiscord, check_components, normalize_components
from tests.fakes.discord.helpers import ClaimView, CommandBot


async def test_persistent_view_click_survives_restart(discord_fake: FakeDiscord) -> None:
    """A persistent button edits its message (type 7), before and after a client restart."""
    staff = discord_fake.add_user("agent", roles=[discord_fake.staff_role_id])
    bot = CommandBot(discord_fake)
    async with discord_fake.run_client(bot):
        view = ClaimView()
        bot.add_view(view)
        channel = bot.get_channel(discord_fake.staff_channel_id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("ticket 1", view=view)
        stored = discord_fake.get_message(channel.id, sent.id)
        assert stored is not None
        assert stored["components"][0]["components"][0]["custom_id"] == "ticket:claim:1"

        interaction = await discord_fake.click_button(stored, "ticket:claim:1", staff)
        assert interaction.payload["message"]["id"] == str(sent.id)
        assert interaction.payload["data"]["component_type"] == 2
        await interaction.wait_for_message()
        assert interaction.response_type == 7
        assert interaction.content == "claimed by agent (1)"
        updates = [d for e, d in discord_fake.gateway_events_sent if e == "MESSAGE_UPDATE"]
        assert [d["id"] for d in updates] == [str(sent.id)]
    updated = discord_fake.get_message(channel.id, sent.id)
    assert updated is not None
    assert updated["content"] == "claimed by agent (1)"
    await discord_fake.wait_for(lambda: discord_fake.connected_sessions == 0)

    restarted = CommandBot(discord_fake)
    async with discord_fake.run_client(restarted):
        restarted.add_view(ClaimView(clicks=[0]))
        again = await discord_fake.click_button((channel.id, sent.id), "ticket:claim:1", staff)
        await again.wait_for_message()
    final = discord_fake.get_message(channel.id, sent.id)
    assert final is not None
    assert final["content"] == "claimed by agent (2)"
    assert [m["content"] for m in discord_fake.messages(channel.id)] == ["claimed by agent (2)"]
    with pytest.raises(ValueError, match="no button"):
        await discord_fake.click_button(final, "ticket:resolve:1", staff)
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


async def test_button_on_ephemeral_message(discord_fake: FakeDiscord) -> None:
    """Buttons on an ephemeral response can be clicked by their user and update in place."""
    staff = discord_fake.add_user("agent", roles=[discord_fake.staff_role_id])
    other = discord_fake.add_user("other-agent", roles=[discord_fake.staff_role_id])
    bot = CommandBot(discord_fake)
    pages: list[str] = []

    class NextPage(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tickets:(\w+):(\d+)"):
        """A dynamic 'next page' button like the bot's pagination."""

        def __init__(self, show: str, page: int) -> None:
            """Build the button for a page."""
            super().__init__(discord.ui.Button(label="Next", custom_id=f"tickets:{show}:{page}"))
            self.show, self.page = show, page

        @classmethod
        async def from_custom_id(
            cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
        ) -> NextPage:
            """Rebuild from the custom_id."""
            return cls(match[1], int(match[2]))

        async def callback(self, interaction: discord.Interaction) -> None:
            """Show the next page by editing the ephemeral message."""
            pages.append(f"{self.show} page {self.page}")
            view = discord.ui.View(timeout=None)
            view.add_item(NextPage(self.show, self.page + 1))
            await interaction.response.edit_message(content=pages[-1], view=view)

    bot.add_dynamic_items(NextPage)
    async with discord_fake.run_client(bot):
        await bot.tree.sync(guild=bot.guild_object)
        channel_id = discord_fake.staff_channel_id
        listing = await discord_fake.run_command(
            "tickets", staff, channel_id, {"show": "all"}, subcommand="list"
        )
        page1 = await listing.wait_for_message()
        assert listing.ephemeral
        assert page1["content"] == "all page 1"
        with pytest.raises(PermissionError):
            await discord_fake.click_button(page1, "tickets:all:2", other)
        click = await discord_fake.click_button(page1, "tickets:all:2", staff)
        await click.wait_for_message()
        assert click.ephemeral
        assert click.content == "all page 2"
        assert listing.content == "all page 2"  # the same ephemeral message changed
        assert click.components[0]["components"][0]["custom_id"] == "tickets:all:3"
    assert pages == ["all page 2"]
    assert discord_fake.messages(discord_fake.staff_channel_id) == []
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


async def test_interaction_errors_over_raw_http(discord_fake: FakeDiscord) -> None:
    """Unknown interactions give 10062, a second callback 40060, an early followup 10015."""
    bot = CommandBot(discord_fake)
    bot.tree.remove_command("ticket")

    @bot.tree.command(name="ticket", description="Never answered by the bot")
    async def silent(interaction: discord.Interaction) -> None:
        """Do not respond (the test answers over raw HTTP)."""

    customer = discord_fake.add_user("customer")
    async with discord_fake.run_client(bot):
        await bot.tree.sync(guild=bot.guild_object)
        interaction = await discord_fake.run_command(
            "ticket", customer, discord_fake.support_channel_id
        )
        base = discord_fake.api_base
        callback = f"{base}/interactions/{interaction.id}/{interaction.token}/callback"
        webhook = f"{base}/webhooks/{discord_fake.application_id}/{interaction.token}"
        body = {"type": 4, "data": {"content": "raw", "flags": 64}}
        async with aiohttp.ClientSession() as http:
            async with http.post(webhook, json={"content": "too early"}) as resp:
                assert resp.status == 404
                assert (await resp.json())["code"] == 10015
            async with http.post(callback, json=body) as resp:
                assert resp.status == 204
            async with http.post(callback + "?with_response=true", json=body) as resp:
                assert resp.status == 400
                assert await resp.json() == {
                    "message": "Interaction has already been acknowledged.",
                    "code": 40060,
                }
            unknown = f"{base}/interactions/{interaction.id}/not-the-token/callback"
            async with http.post(unknown, json=body) as resp:
                assert resp.status == 404
                assert (await resp.json())["code"] == 10062
            async with http.post(webhook + "?wait=true", json={"content": "x" * 2001}) as resp:
                assert resp.status == 400
                assert (await resp.json())["code"] == 50035
            async with http.get(webhook + "/messages/@original") as resp:
                assert resp.status == 200
                assert (await resp.json())["content"] == "raw"
    assert interaction.ephemeral
    assert interaction.content == "raw"
    assert len(discord_fake.violations) == 4
    assert "40060" in discord_fake.violations[1]
    assert "content: BASE_TYPE_MAX_LENGTH" in discord_fake.violations[3]
    assert discord_fake.unexpected == []


def test_component_checks() -> None:
    """Rows, row width, custom_id/url, label length and duplicate ids are checked."""
    button = {"type": 2, "style": 1, "label": "ok", "custom_id": "a"}
    row = {"type": 1, "components": [button]}
    assert check_components({"components": [row]}) == []
    assert check_components({"components": [row] * 6})  # 6 rows (and duplicate ids)
    wide = {"type": 1, "components": [{**button, "custom_id": str(i)} for i in range(6)]}
    assert [v.code for v in check_components({"components": [wide]})] == [
        "COMPONENT_LAYOUT_WIDTH_EXCEEDED"
    ]
    bad = [
        {"type": 2, "style": 1, "label": "no id"},
        {"type": 2, "style": 1, "custom_id": "x" * 101},
        {"type": 2, "style": 1, "custom_id": "b", "label": "l" * 81},
        {"type": 2, "style": 5, "label": "link"},
    ]
    problems = check_components({"components": [{"type": 1, "components": bad}]})
    assert {v.path[-1] for v in problems} == {"custom_id", "label", "url"}
    assert check_components({"components": [button]})  # top level must be a row
    assert check_components({"components": [button], "flags": 1 << 15}) == []
    normalized = normalize_components([row])
    assert normalized[0]["id"] == 1
    assert normalized[0]["components"][0]["id"] == 2
