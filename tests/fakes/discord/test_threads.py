"""The fake Discord's private threads and permissions."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from fakes.discord_server import (
    BOT_ROLE_PERMISSIONS,
    P_CREATE_PRIVATE_THREADS,
    P_MANAGE_MESSAGES,
    P_MANAGE_THREADS,
    FakeDiscord,
)
from fakes.discord_server.constants import P_VIEW_CHANNEL
from tests.fakes.discord.helpers import RecordingClient, _gateway_events, _intents


async def test_private_thread_members_and_who_may_write(discord_fake: FakeDiscord) -> None:
    """A private thread: creator and added members recorded; only they and moderators write."""
    client = RecordingClient()
    customer = discord_fake.add_user("omar")
    stranger = discord_fake.add_user("nosy-member")
    moderator = discord_fake.add_user("agent", roles=[discord_fake.staff_role_id])
    desk_role = discord_fake.add_role("Support desk")  # no Manage Threads
    desk_agent = discord_fake.add_user("desk-agent", roles=[desk_role])
    async with discord_fake.run_client(client):
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(
            name="Support · Omar", type=discord.ChannelType.private_thread, invitable=False
        )
        assert thread.type is discord.ChannelType.private_thread
        stored = discord_fake.threads[thread.id]
        assert stored["type"] == 12
        assert stored["thread_metadata"]["invitable"] is False
        assert discord_fake.thread_members(thread.id) == {discord_fake.bot_user_id}
        await discord_fake.wait_for(lambda: [t.id for t in client.created_threads] == [thread.id])
        created = _gateway_events(discord_fake, "THREAD_CREATE")
        assert [(d["id"], d["newly_created"]) for d in created] == [(str(thread.id), True)]

        await thread.add_user(discord.Object(int(customer["id"])))
        await thread.add_user(discord.Object(int(customer["id"])))  # already one: still 204
        members = {discord_fake.bot_user_id, int(customer["id"])}
        assert discord_fake.thread_members(thread.id) == members
        assert discord_fake.threads[thread.id]["member_count"] == 2
        # Without the GUILD_MEMBERS intent only the bot's own membership reaches it.
        updates = _gateway_events(discord_fake, "THREAD_MEMBERS_UPDATE")
        added = [[m["user_id"] for m in d["added_members"]] for d in updates]
        assert added == [[str(discord_fake.bot_user_id)]]

        fetched = await thread.fetch_members()
        assert {m.id for m in fetched} == members
        assert (await thread.fetch_member(int(customer["id"]))).id == int(customer["id"])
        with pytest.raises(discord.NotFound) as missing:
            await thread.fetch_member(int(stranger["id"]))
        assert missing.value.code == 10007

        await discord_fake.send_user_message(thread.id, customer, "my address is ...")
        assert (await client.next_message()).author.id == int(customer["id"])
        for outsider in (stranger, desk_agent):
            with pytest.raises(PermissionError, match="private thread"):
                await discord_fake.send_user_message(thread.id, outsider, "tell me everything")
        await discord_fake.send_user_message(thread.id, moderator, "Agent here.")
        assert (await client.next_message()).author.id == int(moderator["id"])
        assert int(moderator["id"]) in discord_fake.thread_members(thread.id)  # posting joins

        await thread.add_user(discord.Object(int(desk_agent["id"])))
        await discord_fake.send_user_message(thread.id, desk_agent, "Desk here, once added.")
        assert (await client.next_message()).author.id == int(desk_agent["id"])

        await thread.remove_user(discord.Object(int(customer["id"])))
        assert int(customer["id"]) not in discord_fake.thread_members(thread.id)
        with pytest.raises(PermissionError):
            await discord_fake.send_user_message(thread.id, customer, "still there?")
    assert [m["content"] for m in discord_fake.messages(discord_fake.support_channel_id)] == []
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


async def test_private_thread_hidden_from_a_bot_that_cannot_see_it() -> None:
    """Without Manage Threads a bot that leaves a private thread gets none of its events."""
    permissions = BOT_ROLE_PERMISSIONS & ~P_MANAGE_THREADS
    async with FakeDiscord(bot_permissions=permissions) as fake:
        with fake.patch_discord_py():
            intents = _intents()
            intents.members = True
            client = RecordingClient(intents=intents)
            customer = fake.add_user("omar")
            async with fake.run_client(client):
                channel = client.get_channel(fake.support_channel_id)
                assert isinstance(channel, discord.TextChannel)
                thread = await channel.create_thread(name="Support · Omar")  # type 12 default
                assert fake.threads[thread.id]["type"] == 12
                await thread.add_user(discord.Object(int(customer["id"])))
                updates = _gateway_events(fake, "THREAD_MEMBERS_UPDATE")
                assert len(updates) == 2  # with GUILD_MEMBERS the customer's add reaches it too

                await thread.leave()
                assert fake.thread_members(thread.id) == {int(customer["id"])}
                await fake.send_user_message(thread.id, customer, "private words")
                with pytest.raises(discord.Forbidden) as info:
                    await thread.send("still here?")
                assert info.value.code == 50001
            seen = [e for e, d in fake.gateway_events_sent if e == "MESSAGE_CREATE"]
            assert seen == []
            assert client.inbox.empty()

            restarted = RecordingClient()
            async with fake.run_client(restarted):
                assert restarted.get_channel(thread.id) is None  # not in GUILD_CREATE
            assert fake.violations == []


async def test_private_thread_needs_create_private_threads(discord_fake: FakeDiscord) -> None:
    """Denied Create Private Threads in the channel, the bot gets 403 50013."""
    discord_fake.set_permission_overwrite(
        discord_fake.support_channel_id,
        discord_fake.bot_user_id,
        deny=P_CREATE_PRIVATE_THREADS,
    )
    client = RecordingClient()
    async with discord_fake.run_client(client):
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as info:
            await channel.create_thread(name="x", type=discord.ChannelType.private_thread)
        assert info.value.code == 50013
        public = await channel.create_thread(name="y", type=discord.ChannelType.public_thread)
        assert discord_fake.threads[public.id]["type"] == 11
    assert discord_fake.violations == []


@pytest.mark.parametrize("may_manage_messages", [True, False])
async def test_message_delete_needs_manage_messages(
    discord_fake: FakeDiscord, may_manage_messages: bool
) -> None:
    """The bot deletes a customer's message only with Manage Messages; its own always."""
    if not may_manage_messages:
        discord_fake.set_permission_overwrite(
            discord_fake.support_channel_id, discord_fake.bot_user_id, deny=P_MANAGE_MESSAGES
        )
    client = RecordingClient()
    customer = discord_fake.add_user("omar")
    channel_id = discord_fake.support_channel_id
    async with discord_fake.run_client(client):
        await discord_fake.send_user_message(channel_id, customer, "my card number is ...")
        received = await client.next_message()
        me = received.guild.me if received.guild else None
        assert me is not None
        assert received.channel.permissions_for(me).manage_messages is may_manage_messages
        if may_manage_messages:
            await received.delete()
            assert discord_fake.get_message(channel_id, received.id) is None
            deletes = _gateway_events(discord_fake, "MESSAGE_DELETE")
            assert deletes == [
                {
                    "id": str(received.id),
                    "channel_id": str(channel_id),
                    "guild_id": str(discord_fake.guild_id),
                }
            ]
        else:
            with pytest.raises(discord.Forbidden) as info:
                await received.delete()
            assert info.value.code == 50013
            assert info.value.text == "Missing Permissions"
            assert discord_fake.get_message(channel_id, received.id) is not None
            assert _gateway_events(discord_fake, "MESSAGE_DELETE") == []
        own = await received.channel.send("moved to a private thread")
        await own.delete()
        assert discord_fake.get_message(channel_id, own.id) is None
    assert discord_fake.violations == []


async def test_a_ping_in_a_private_thread_adds_who_can_see_its_channel(
    discord_fake: FakeDiscord,
) -> None:
    """As at Discord, a message in a private thread that really pings a member who can view
    the thread's channel adds them (THREAD_MEMBERS_UPDATE); a suppressed mention adds
    nobody, and nor does a ping of someone who cannot see the channel."""
    intents = _intents()
    intents.members = True
    client = RecordingClient(intents=intents)
    omar = discord_fake.add_user("omar")
    quiet = discord_fake.add_user("quiet")
    outsider = discord_fake.add_user("outsider")
    discord_fake.set_permission_overwrite(
        discord_fake.support_channel_id, int(outsider["id"]), deny=P_VIEW_CHANNEL
    )
    async with discord_fake.run_client(client):
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(
            name="Support · Omar", type=discord.ChannelType.private_thread, invitable=False
        )
        await thread.send(
            f"<@{quiet['id']}> hello", allowed_mentions=discord.AllowedMentions.none()
        )
        assert discord_fake.thread_members(thread.id) == {discord_fake.bot_user_id}
        await thread.send(
            f"<@{outsider['id']}> hello",
            allowed_mentions=discord.AllowedMentions(users=[discord.Object(int(outsider["id"]))]),
        )
        assert discord_fake.thread_members(thread.id) == {discord_fake.bot_user_id}
        only_omar = discord.AllowedMentions(users=[discord.Object(int(omar["id"]))])
        await thread.send(f"<@{omar['id']}> and <@{quiet['id']}>", allowed_mentions=only_omar)
        assert discord_fake.thread_members(thread.id) == {
            discord_fake.bot_user_id,
            int(omar["id"]),
        }
        updates = _gateway_events(discord_fake, "THREAD_MEMBERS_UPDATE")
        added = [m["user_id"] for d in updates for m in d.get("added_members", [])]
        assert added[-1] == omar["id"]
        await discord_fake.send_user_message(thread.id, omar, "thanks, I can see it")


async def test_a_cooldown_on_thread_creation_answers_like_discord(
    discord_fake: FakeDiscord,
) -> None:
    """Thread creation under the cooldown: 429, scope shared, Retry-After in whole seconds
    and the body's exact retry_after, Discord's message; after it, creation works again."""
    client = RecordingClient()
    async with discord_fake.run_client(client):
        discord_fake.cool_down_thread_creation(3.0)
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        url = f"{discord_fake.api_base}/channels/{channel.id}/threads"
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url,
                json={"name": "Support · Omar", "type": 12},
                headers={"Authorization": f"Bot {discord_fake.token}"},
            ) as response,
        ):
            body = await response.json()
            assert response.status == 429
            assert response.headers["X-RateLimit-Scope"] == "shared"
            assert response.headers["Retry-After"] == "3"
            assert "X-RateLimit-Global" not in response.headers
        assert 2.5 < body["retry_after"] <= 3.0
        assert body["global"] is False
        assert body["message"] == "The resource is being rate limited."
        assert not discord_fake.threads
        discord_fake.cool_down_thread_creation(0)
        thread = await channel.create_thread(
            name="Support · Omar", type=discord.ChannelType.private_thread
        )
        assert thread.id in discord_fake.threads
