"""The fake Discord's messages, threads and attachments, as discord.py uses them."""

from __future__ import annotations

import io

import discord
from discord.http import Route

from fakes.discord_server import FakeDiscord
from tests.fakes.discord.helpers import MESSAGES_ROUTE, RecordingClient, _intents, _png


async def test_patch_restores_discord_py_globals() -> None:
    """patch_discord_py sets and restores Route.BASE and DEFAULT_GATEWAY."""

    def current() -> tuple[str, str]:
        """Return the REST base and default gateway discord.py currently uses."""
        return Route.BASE, str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)

    before = current()
    async with FakeDiscord() as fake:
        with fake.patch_discord_py():
            assert current() == (fake.api_base, fake.gateway_url)
    assert current() == before


async def test_conversation_reply_edit_thread(discord_fake: FakeDiscord) -> None:
    """A user message reaches on_message; reply, edit, thread and thread message all work."""
    client = RecordingClient()
    async with discord_fake.run_client(client):
        await discord_fake.wait_until_identified()
        identify = discord_fake.identify_payloads[0]
        assert identify["intents"] == _intents().value
        assert discord_fake.gateway_connections[0]["v"] == "10"
        assert client.get_channel(discord_fake.support_channel_id) is not None

        customer = discord_fake.add_user("hungry-customer")
        sent = await discord_fake.send_user_message(
            discord_fake.support_channel_id, customer, "Where is my order #123?"
        )
        received = await client.next_message()
        assert received.content == "Where is my order #123?"
        assert received.id == int(sent["id"])
        assert received.channel.id == discord_fake.support_channel_id
        assert received.author.id == int(customer["id"])
        assert isinstance(received.author, discord.Member)
        assert received.guild is not None
        assert received.guild.id == discord_fake.guild_id

        reply = await received.reply("Let me check that for you…")
        assert reply.reference is not None
        assert reply.reference.message_id == received.id
        edited = await reply.edit(content="Your order arrives in 10 minutes.")
        assert edited.edited_at is not None

        thread = await received.create_thread(name="Order #123")
        assert thread.id == received.id
        assert thread.parent_id == discord_fake.support_channel_id
        in_thread = await thread.send("Details will follow here.")
        assert in_thread.channel.id == thread.id
        await thread.typing()  # a single POST /typing

        await discord_fake.wait_for(lambda: len(client.own_messages) == 2)
        assert client.get_channel(thread.id) is not None

        archived = await thread.edit(archived=True)
        assert archived.archived
        assert discord_fake.threads[thread.id]["thread_metadata"]["archived"] is True
        await archived.send("Reopening.")  # sending unarchives an unlocked thread
        assert discord_fake.threads[thread.id]["thread_metadata"]["archived"] is False
        await discord_fake.wait_for(lambda: not thread.archived)
        assert [t.id for t in client.created_threads] == [thread.id]
        assert any(after.content.startswith("Your order") for _, after in client.edits)

    support = discord_fake.messages(discord_fake.support_channel_id)
    assert [m["content"] for m in support] == [
        "Where is my order #123?",
        "Your order arrives in 10 minutes.",
    ]
    assert support[1]["type"] == 19
    assert support[1]["edited_timestamp"] is not None
    assert support[0]["thread"]["id"] == str(thread.id)
    assert [m["content"] for m in discord_fake.messages(thread.id)] == [
        "Details will follow here.",
        "Reopening.",
    ]
    stored_thread = discord_fake.threads[thread.id]
    assert stored_thread["parent_id"] == str(discord_fake.support_channel_id)
    assert stored_thread["name"] == "Order #123"
    assert stored_thread["message_count"] == 2
    assert len(discord_fake.edits(discord_fake.support_channel_id)) == 1
    assert len(discord_fake.requests_matching("POST", rf"/channels/{thread.id}/typing")) == 1
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


async def test_rich_payloads_pass_spec_validation(discord_fake: FakeDiscord) -> None:
    """Embeds, views, allowed_mentions and replies built by discord.py validate cleanly."""
    client = RecordingClient(allowed_mentions=discord.AllowedMentions(everyone=False))
    customer = discord_fake.add_user("customer")
    async with discord_fake.run_client(client):
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        await discord_fake.send_user_message(channel.id, customer, "hi")
        incoming = await client.next_message()

        embed = discord.Embed(title="Order", description="Status", colour=0x00FF00)
        embed.add_field(name="ETA", value="10 min").set_footer(text="Support")
        embed.timestamp = discord.utils.utcnow()
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="Resolved", custom_id="resolve"))
        view.add_item(discord.ui.Button(label="Docs", url="https://example.com/help"))
        member = channel.guild.get_member(discord_fake.bot_user_id)
        assert member is not None
        message = await channel.send(
            f"<@{customer['id']}> see below",
            embed=embed,
            view=view,
            reference=incoming,
            mention_author=False,
            allowed_mentions=discord.AllowedMentions(users=[incoming.author], roles=False),
        )
        await message.edit(content="updated", embed=None, view=None)
        await message.add_reaction("✅")
        await message.remove_reaction("✅", member)
        fetched = await channel.fetch_message(message.id)
        assert fetched.content == "updated"
        history = [m.content async for m in channel.history(limit=10)]
        assert history == ["updated", "hi"]
        await discord_fake.send_user_message(channel.id, customer, "thanks", reply_to=message.id)
        thanks = await client.next_message()
        assert thanks.reference is not None
        assert thanks.reference.message_id == message.id
        assert thanks.type is discord.MessageType.reply
        await thanks.delete()
        await message.delete()
        await discord_fake.wait_for(lambda: len(discord_fake.messages(channel.id)) == 1)
        view.stop()

    stored = discord_fake.requests_matching("POST", MESSAGES_ROUTE)[0].json
    assert stored["allowed_mentions"]["users"] == [int(customer["id"])]  # ints from discord.py
    assert isinstance(stored["message_reference"]["message_id"], int)
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


async def test_attachments_roundtrip(discord_fake: FakeDiscord) -> None:
    """User attachments are downloadable; bot uploads arrive as multipart and are stored."""
    client = RecordingClient()
    png = _png()
    async with discord_fake.run_client(client):
        customer = discord_fake.add_user("customer")
        attachment = discord_fake.add_attachment("receipt.png", png, "image/png")
        assert (attachment["width"], attachment["height"]) == (3, 2)
        await discord_fake.send_user_message(
            discord_fake.support_channel_id, customer, "see receipt", attachments=[attachment]
        )
        received = await client.next_message()
        assert received.attachments[0].filename == "receipt.png"
        assert received.attachments[0].content_type == "image/png"
        assert await received.attachments[0].read() == png
        assert discord_fake.attachment_downloads == [(int(attachment["id"]), "receipt.png")]

        upload = discord.File(io.BytesIO(b"order log"), filename="log.txt")
        sent = await received.channel.send("log attached", file=upload)
        assert sent.attachments[0].filename == "log.txt"
        assert await sent.attachments[0].read() == b"order log"
    request = discord_fake.requests_matching("POST", MESSAGES_ROUTE)[-1]
    assert request.files == [("log.txt", b"order log")]
    assert request.json["content"] == "log attached"
    stored = discord_fake.messages(discord_fake.support_channel_id)[-1]
    assert stored["attachments"][0]["content_type"] == "text/plain"
    assert discord_fake.violations == []
