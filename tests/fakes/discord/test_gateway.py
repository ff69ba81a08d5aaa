"""The fake Discord's gateway: identify, resume, intents, member chunks."""

from __future__ import annotations

import asyncio

import discord
import pytest

from fakes.discord_server import FakeDiscord
from tests.fakes.discord.helpers import RecordingClient, _intents


async def test_restart_sees_existing_threads(discord_fake: FakeDiscord) -> None:
    """A second client after a restart learns threads created earlier from GUILD_CREATE."""
    first = RecordingClient()
    async with discord_fake.run_client(first):
        channel = first.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        starter = await channel.send("ticket #1")
        thread = await starter.create_thread(name="ticket-1")
        await thread.send("hello in thread")
    await discord_fake.wait_for(lambda: discord_fake.connected_sessions == 0)

    second = RecordingClient()
    async with discord_fake.run_client(second):
        assert discord_fake.identify_count == 2
        restored = second.get_channel(thread.id)
        assert isinstance(restored, discord.Thread)
        assert restored.name == "ticket-1"
        assert restored.parent_id == discord_fake.support_channel_id
        customer = discord_fake.add_user("customer")
        await discord_fake.send_user_message(thread.id, customer, "any news?")
        received = await second.next_message()
        assert received.channel.id == thread.id
        await received.channel.send("yes!")
    assert [m["content"] for m in discord_fake.messages(thread.id)] == [
        "hello in thread",
        "any news?",
        "yes!",
    ]
    assert discord_fake.violations == []


async def test_gateway_drop_resumes_and_replays(discord_fake: FakeDiscord) -> None:
    """After Discord drops the socket, discord.py RESUMEs and gets the missed events."""
    client = RecordingClient()
    async with discord_fake.run_client(client):
        customer = discord_fake.add_user("customer")
        await discord_fake.disconnect_clients()
        await discord_fake.send_user_message(
            discord_fake.support_channel_id, customer, "sent while offline"
        )
        received = await client.next_message()
        assert received.content == "sent while offline"
        assert discord_fake.resume_count == 1

        await discord_fake.disconnect_clients(invalidate_sessions=True)
        await discord_fake.wait_until_identified(count=2)
        await discord_fake.send_user_message(discord_fake.support_channel_id, customer, "again")
        assert (await client.next_message()).content == "again"
    assert discord_fake.unexpected == []


async def test_missing_message_content_intent_redacts(discord_fake: FakeDiscord) -> None:
    """Without MESSAGE_CONTENT the bot sees empty content unless it is mentioned."""
    client = RecordingClient(intents=_intents(message_content=False))
    async with discord_fake.run_client(client):
        customer = discord_fake.add_user("customer")
        channel_id = discord_fake.support_channel_id
        await discord_fake.send_user_message(channel_id, customer, "secret text")
        assert (await client.next_message()).content == ""
        mention = f"<@{discord_fake.bot_user_id}> help"
        await discord_fake.send_user_message(channel_id, customer, mention)
        received = await client.next_message()
        assert received.content == mention
        assert client.user in received.mentions


async def test_disallowed_intent_and_bad_token() -> None:
    """Privileged intents not enabled for the app close with 4014; a bad token fails login."""
    async with FakeDiscord(allowed_privileged_intents=()) as fake:
        with fake.patch_discord_py():
            client = RecordingClient()
            with pytest.raises(discord.PrivilegedIntentsRequired):
                await asyncio.wait_for(client.start(fake.token), 5)
            await client.close()

            other = RecordingClient()
            with pytest.raises(discord.LoginFailure):
                await asyncio.wait_for(other.start("wrong-token"), 5)
            await other.close()


async def test_members_intent_chunks_and_member_join(discord_fake: FakeDiscord) -> None:
    """With the members intent discord.py chunks the guild (op 8) and sees new members."""
    intents = _intents()
    intents.members = True
    client = RecordingClient(intents=intents)
    joined: list[discord.Member] = []

    async def on_member_join(member: discord.Member) -> None:
        """Remember joins."""
        joined.append(member)

    client.event(on_member_join)
    async with discord_fake.run_client(client):
        guild = client.get_guild(discord_fake.guild_id)
        assert guild is not None
        assert guild.chunked
        assert guild.get_member(discord_fake.owner_id) is not None
        assert any(p.get("op") == 8 for p in discord_fake.gateway_received)
        newcomer = discord_fake.add_user("newcomer", roles=[discord_fake.staff_role_id])
        await discord_fake.send_user_message(discord_fake.staff_channel_id, newcomer, "hi team")
        received = await client.next_message()
        assert [m.id for m in joined] == [int(newcomer["id"])]
        assert isinstance(received.author, discord.Member)
        assert [r.name for r in received.author.roles] == ["@everyone", "Staff"]
