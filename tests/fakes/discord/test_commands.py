"""The fake Discord's slash commands: registration and responses."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from fakes.discord_server import FakeDiscord
from tests.fakes.discord.helpers import CommandBot, RecordingClient


async def test_app_command_sync_validates(discord_fake: FakeDiscord) -> None:
    """tree.sync() bulk-overwrites guild commands through a spec-validated route."""
    client = RecordingClient()
    tree = app_commands.CommandTree(client)

    @tree.command(name="order", description="Look up an order")
    @app_commands.describe(order_id="The order number")
    async def order(interaction: discord.Interaction, order_id: str) -> None:
        """Unused handler."""

    guild = discord.Object(id=discord_fake.guild_id)
    tree.copy_global_to(guild=guild)
    async with discord_fake.run_client(client):
        synced = await tree.sync(guild=guild)
    assert [c.name for c in synced] == ["order"]
    assert discord_fake.app_commands[discord_fake.guild_id][0]["name"] == "order"
    assert discord_fake.violations == []


async def test_app_command_registration_keeps_ids(discord_fake: FakeDiscord) -> None:
    """Guild and global bulk overwrites are stored, fetched back and keep ids by name."""
    bot = CommandBot(discord_fake)
    guild = bot.guild_object
    async with discord_fake.run_client(bot):
        synced = await bot.tree.sync(guild=guild)
        assert sorted(c.name for c in synced) == ["human", "ticket", "tickets"]
        stored = {c["name"]: c for c in discord_fake.app_commands[discord_fake.guild_id]}
        group = stored["tickets"]
        assert [o["name"] for o in group["options"]] == ["list", "stats"]
        assert group["options"][0]["type"] == 1
        assert group["default_member_permissions"] == str(1 << 34)
        assert group["guild_id"] == str(discord_fake.guild_id)
        assert group["application_id"] == str(discord_fake.application_id)

        again = await bot.tree.sync(guild=guild)
        assert {c.name: c.id for c in again} == {c.name: c.id for c in synced}
        fetched = await bot.tree.fetch_commands(guild=guild)
        assert {c.name: c.id for c in fetched} == {c.name: c.id for c in synced}
        assert all(c["version"] == stored[c["name"]]["version"] for c in stored.values())

        assert await bot.tree.sync() == []  # global commands were cleared in setup_hook
        assert discord_fake.app_commands[None] == []
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


async def test_slash_command_ephemeral_response(discord_fake: FakeDiscord) -> None:
    """/ticket answered ephemerally: recorded on the interaction, not in the channel."""
    bot = CommandBot(discord_fake)
    customer = discord_fake.add_user("customer")
    staff = discord_fake.add_user("agent", roles=[discord_fake.staff_role_id])
    async with discord_fake.run_client(bot):
        await bot.tree.sync(guild=bot.guild_object)
        channel_id = discord_fake.support_channel_id
        interaction = await discord_fake.run_command("ticket", customer, channel_id)
        response = await interaction.wait_for_response()
        assert response["type"] == 4
        assert interaction.ephemeral
        assert interaction.content == "hi"
        assert interaction.original is not None
        assert interaction.original["flags"] & 64
        assert interaction.original["interaction_metadata"]["user"]["id"] == customer["id"]

        staff_interaction = await discord_fake.run_command("ticket", staff, channel_id)
        await staff_interaction.wait_for_response()
        seen = bot.seen[0]
        assert seen.user.id == int(customer["id"])
        assert seen.channel is not None
        assert seen.channel.id == channel_id
        assert seen.command is not None
        assert seen.command.name == "ticket"
        assert [manage for manage, _ in bot.permissions] == [False, True]
        assert bot.permissions[0][1].manage_threads  # the bot role may manage threads

        with pytest.raises(LookupError, match="not registered"):
            await discord_fake.run_command("nope", customer, channel_id)
        with pytest.raises(ValueError, match="group"):
            await discord_fake.run_command("tickets", staff, channel_id)
        with pytest.raises(PermissionError):
            await discord_fake.run_command("tickets", customer, channel_id, subcommand="stats")
        with pytest.raises(ValueError, match="choices"):
            await discord_fake.run_command(
                "tickets", staff, channel_id, [{"name": "show", "value": "x"}], "list"
            )
    assert discord_fake.messages(discord_fake.support_channel_id) == []
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


async def test_deferred_response_followups_and_edit(discord_fake: FakeDiscord) -> None:
    """defer(thinking) + followups + edit_original_response, in a thread (type/parent_id)."""
    bot = CommandBot(discord_fake)
    customer = discord_fake.add_user("customer")
    async with discord_fake.run_client(bot):
        await bot.tree.sync(guild=bot.guild_object)
        channel = bot.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        starter = await channel.send("ticket starter")
        thread = await starter.create_thread(name="order 42")

        interaction = await discord_fake.run_command(
            "human", customer, thread.id, [{"name": "reason", "value": "refund"}]
        )
        assert interaction.payload["channel"]["type"] == 11
        assert interaction.payload["channel"]["parent_id"] == str(channel.id)
        assert interaction.payload["data"]["options"] == [
            {"name": "reason", "type": 3, "value": "refund"}
        ]
        assert (await interaction.wait_for_response()) == {"type": 5}
        await interaction.wait_for_followups(2)
        await discord_fake.wait_for(lambda: len(interaction.edits) == 1)
        seen = bot.seen[0]
        assert isinstance(seen.channel, discord.Thread)
        assert seen.namespace.reason == "refund"

    assert not interaction.ephemeral
    assert interaction.content == "staff notified (edited)"
    assert [m["content"] for m in interaction.followup_messages] == ["second"]
    assert [f["content"] for f in interaction.followups] == ["staff notified: refund", "second"]
    messages = discord_fake.messages(thread.id)
    assert [m["content"] for m in messages] == ["staff notified (edited)", "second"]
    assert messages[0]["type"] == 20
    assert messages[0]["flags"] == 0  # the "thinking" flag is gone
    assert messages[0]["webhook_id"] == str(discord_fake.application_id)
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []
