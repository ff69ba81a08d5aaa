"""Self-tests of the fake Discord, driven by the real discord.py client."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import Route, handle_message_parameters
from PIL import Image

from fakes.discord_server import (
    BOT_ROLE_PERMISSIONS,
    P_CREATE_PRIVATE_THREADS,
    P_MANAGE_MESSAGES,
    P_MANAGE_THREADS,
    FakeDiscord,
    check_components,
    check_modal,
    normalize_components,
)
from fakes.discord_spec import RequestValidator, check_message_limits, load_subset

MESSAGES_ROUTE = r"/channels/\d+/messages"


def _intents(message_content: bool = True) -> discord.Intents:
    """Return default intents, optionally with the privileged message content intent."""
    intents = discord.Intents.default()
    intents.message_content = message_content
    return intents


class RecordingClient(discord.Client):
    """A discord.Client that queues the messages it sees (ignoring its own, like a bot must)."""

    def __init__(self, *, intents: discord.Intents | None = None, **kwargs: Any) -> None:
        """Create the client with a tiny guild_ready_timeout to keep tests fast."""
        super().__init__(
            intents=intents or _intents(),
            guild_ready_timeout=0.05,
            **kwargs,
        )
        self.inbox: asyncio.Queue[discord.Message] = asyncio.Queue()
        self.own_messages: list[discord.Message] = []
        self.edits: list[tuple[discord.Message, discord.Message]] = []
        self.created_threads: list[discord.Thread] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s pause before a re-IDENTIFY (keeps reconnect tests fast)."""

    async def on_message(self, message: discord.Message) -> None:
        """Queue user messages; remember (and ignore) our own."""
        if self.user is not None and message.author.id == self.user.id:
            self.own_messages.append(message)
            return
        await self.inbox.put(message)

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        """Remember edits seen over the gateway."""
        self.edits.append((before, after))

    async def on_thread_create(self, thread: discord.Thread) -> None:
        """Remember threads created over the gateway."""
        self.created_threads.append(thread)

    async def next_message(self, timeout: float = 5.0) -> discord.Message:
        """Return the next queued user message."""
        return await asyncio.wait_for(self.inbox.get(), timeout)


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    """A running fake with discord.py patched to use it."""
    async with FakeDiscord() as fake:
        with fake.patch_discord_py():
            yield fake


def _png(width: int = 3, height: int = 2) -> bytes:
    """Return the bytes of a small PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (255, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


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


def test_validator_accepts_discord_py_payloads_and_flags_bad_ones() -> None:
    """The spec subset accepts what discord.py builds and rejects malformed bodies."""
    validator = RequestValidator()
    create = "/channels/{channel_id}/messages"
    embed = discord.Embed(title="t", description="d", url="https://example.com")
    embed.set_author(name="a").set_image(url="https://example.com/x.png")
    params = handle_message_parameters(
        content="hello",
        embed=embed,
        allowed_mentions=discord.AllowedMentions(users=[discord.Object(id=123)]),
        nonce=12345,
    )
    payload = params.payload
    assert payload is not None
    payload["message_reference"] = {"message_id": 1, "channel_id": 2, "fail_if_not_exists": True}
    payload["attachments"] = [{"id": 0, "filename": "a.txt"}]
    assert validator.validate("POST", create, payload) == []
    assert validator.validate("PATCH", create + "/{message_id}", {"content": None}) == []
    threads = "/channels/{channel_id}/messages/{message_id}/threads"
    ok_thread = {"name": "x", "auto_archive_duration": 1440, "rate_limit_per_user": None}
    assert validator.validate("POST", threads, ok_thread) == []

    bad = validator.validate("POST", create, {"content": 5})
    assert bad
    assert bad[0].path == ("content",)
    assert validator.validate("POST", threads, {"name": ""})
    assert validator.validate("POST", threads, {"name": "x", "auto_archive_duration": 61})
    assert validator.validate("POST", create, {"message_reference": {"message_id": "abc"}})
    assert validator.validate("POST", create, {"embeds": [{"color": "red"}]})

    too_long = check_message_limits({"content": "x" * 2001})
    assert [v.code for v in too_long] == ["BASE_TYPE_MAX_LENGTH"]
    assert check_message_limits({"content": "x" * 2000}) == []
    big = {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}
    assert [v.code for v in check_message_limits(big)] == ["MAX_EMBED_SIZE_EXCEEDED"]
    fields = {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}
    assert check_message_limits(fields)
    assert "POST /interactions/{interaction_id}/{interaction_token}/callback" in load_subset()


async def test_limits_are_enforced_and_recorded(discord_fake: FakeDiscord) -> None:
    """Over-long content/embeds give Discord's 400 50035 and are recorded as violations."""
    client = RecordingClient()
    async with discord_fake.run_client(client):
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as info:
            await channel.send("x" * 2001)
        assert info.value.status == 400
        assert info.value.code == 50035
        assert "2000" in str(info.value)
        assert len(discord_fake.violations) == 1
        assert "content" in discord_fake.violations[0]

        huge = discord.Embed(description="d" * 4096)
        huge.add_field(name="a", value="v" * 1024).add_field(name="b", value="v" * 1024)
        with pytest.raises(discord.HTTPException):
            await channel.send(embed=huge)
        assert "MAX_EMBED_SIZE_EXCEEDED" in discord_fake.violations[1]

        with pytest.raises(discord.HTTPException) as info:
            await channel.send()
        assert info.value.code == 50006
    assert discord_fake.messages(discord_fake.support_channel_id) == []

    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {discord_fake.token}"}
        url = f"{discord_fake.api_base}/channels/{discord_fake.support_channel_id}/messages"
        async with http.post(url, json={"content": 123}, headers=headers) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body["code"] == 50035
            assert "content" in body["errors"]
        async with http.get(f"{discord_fake.api_base}/nope", headers=headers) as resp:
            assert resp.status == 404
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
        async with http.get(f"{discord_fake.api_base}/users/@me") as resp:
            assert resp.status == 401
        async with http.get(f"{discord_fake.api_base}/users/@me", headers=headers) as resp:
            assert resp.status == 200
            for name in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
                assert f"X-RateLimit-{name}" in resp.headers
    assert "content: BASE_TYPE_BAD_TYPE" in discord_fake.violations[-1]
    assert any("/nope" in u for u in discord_fake.unexpected)


async def test_injected_429_and_errors(discord_fake: FakeDiscord) -> None:
    """discord.py waits out an injected 429 and retries; injected 403 raises Forbidden."""
    client = RecordingClient()
    async with discord_fake.run_client(client):
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        discord_fake.inject_429("POST", MESSAGES_ROUTE, retry_after=0.05)
        message = await channel.send("after a rate limit")
        assert message.content == "after a rate limit"
        statuses = [r.status for r in discord_fake.requests_matching("POST", MESSAGES_ROUTE)]
        assert statuses == [429, 200]

        discord_fake.inject_429("POST", MESSAGES_ROUTE, retry_after=0.05, global_=True)
        await channel.send("after a global rate limit")

        discord_fake.inject_error("POST", MESSAGES_ROUTE, 403)
        with pytest.raises(discord.Forbidden) as info:
            await channel.send("forbidden")
        assert info.value.code == 50013
    contents = [m["content"] for m in discord_fake.messages(discord_fake.support_channel_id)]
    assert contents == ["after a rate limit", "after a global rate limit"]
    assert discord_fake.violations == []


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


# ---------------------------------------------------------------------- interactions


class CommandBot(commands.Bot):
    """A commands.Bot with slash commands like the support bot's, for interaction tests."""

    def __init__(self, fake: FakeDiscord) -> None:
        """Register /ticket, /human and the /tickets group (list, stats) as guild commands."""
        super().__init__(command_prefix="!", intents=_intents(), guild_ready_timeout=0.05)
        self.fake = fake
        self.seen: list[discord.Interaction] = []
        self.permissions: list[tuple[bool, discord.Permissions]] = []
        guild = discord.Object(id=fake.guild_id)

        @self.tree.command(name="ticket", description="The tickets of this conversation")
        async def ticket(interaction: discord.Interaction) -> None:
            """Answer ephemerally and remember what the interaction looked like."""
            self.seen.append(interaction)
            self.permissions.append(
                (interaction.permissions.manage_threads, interaction.app_permissions)
            )
            await interaction.response.send_message("hi", ephemeral=True)

        @self.tree.command(name="human", description="Talk to a person")
        @app_commands.describe(reason="What you need help with")
        async def human(interaction: discord.Interaction, reason: str | None = None) -> None:
            """Defer (thinking), then follow up twice and edit the original response."""
            self.seen.append(interaction)
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(f"staff notified: {reason}")
            await interaction.followup.send("second")
            await interaction.edit_original_response(content="staff notified (edited)")

        tickets = app_commands.Group(
            name="tickets",
            description="Staff ticket desk",
            default_permissions=discord.Permissions(manage_threads=True),
        )

        @tickets.command(name="list", description="Tickets, newest first")
        @app_commands.choices(
            show=[
                app_commands.Choice(name="open and claimed", value="active"),
                app_commands.Choice(name="all", value="all"),
            ]
        )
        async def list_(interaction: discord.Interaction, show: str = "active") -> None:
            """Send an ephemeral page with a 'next' button."""
            self.seen.append(interaction)
            view = discord.ui.View(timeout=None)
            view.add_item(discord.ui.Button(label="Next", custom_id=f"tickets:{show}:2"))
            await interaction.response.send_message(f"{show} page 1", view=view, ephemeral=True)

        @tickets.command(name="stats", description="Ticket counts")
        async def stats(interaction: discord.Interaction) -> None:
            """Answer publicly."""
            self.seen.append(interaction)
            await interaction.response.send_message(embed=discord.Embed(title="Stats"))

        self.tree.add_command(tickets)
        self.guild_object = guild

    async def setup_hook(self) -> None:
        """Copy the global commands to the fake's guild (synced by the tests)."""
        self.tree.copy_global_to(guild=self.guild_object)
        self.tree.clear_commands(guild=None)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's pause before a re-IDENTIFY."""


class ClaimButton(discord.ui.Button["ClaimView"]):
    """A persistent claim button that edits its message."""

    async def callback(self, interaction: discord.Interaction) -> None:
        """Edit the message the button is on (UPDATE_MESSAGE) and keep the button."""
        view = self.view
        assert view is not None
        view.clicks.append(interaction.user.id)
        new_view = ClaimView(view.clicks)
        await interaction.response.edit_message(
            content=f"claimed by {interaction.user.name} ({len(view.clicks)})", view=new_view
        )


class ClaimView(discord.ui.View):
    """A persistent view (timeout=None) with one custom_id button."""

    def __init__(self, clicks: list[int] | None = None) -> None:
        """Create the view sharing a click log."""
        super().__init__(timeout=None)
        self.clicks: list[int] = clicks if clicks is not None else []
        self.add_item(ClaimButton(label="Claim", custom_id="ticket:claim:1"))


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


def _gateway_events(fake: FakeDiscord, name: str) -> list[dict[str, Any]]:
    """Return the data of every dispatched gateway event called ``name``, oldest first."""
    return [data for event, data in fake.gateway_events_sent if event == name]


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


class HelpModal(discord.ui.Modal, title="Get help"):
    """The panel's modal: a problem, an optional order number, optional receipt photos."""

    problem: discord.ui.Label[HelpModal] = discord.ui.Label(
        text="What is the problem?",
        component=discord.ui.TextInput(
            custom_id="problem", style=discord.TextStyle.paragraph, max_length=1000
        ),
    )
    order: discord.ui.Label[HelpModal] = discord.ui.Label(
        text="Order number",
        description="If you have one",
        component=discord.ui.TextInput(custom_id="order", required=False, max_length=20),
    )
    photos: discord.ui.Label[HelpModal] = discord.ui.Label(
        text="Receipt photos",
        component=discord.ui.FileUpload(custom_id="photos", required=False, max_values=4),
    )

    def __init__(self, submissions: list[tuple[str, str, list[tuple[str, bytes]]]]) -> None:
        """Create the modal, recording what is submitted."""
        super().__init__(custom_id="help:modal", timeout=None)
        self.submissions = submissions

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Read the fields and download each uploaded file, then answer ephemerally."""
        problem = self.problem.component
        order = self.order.component
        photos = self.photos.component
        assert isinstance(problem, discord.ui.TextInput)
        assert isinstance(order, discord.ui.TextInput)
        assert isinstance(photos, discord.ui.FileUpload)
        files = [(a.filename, await a.read()) for a in photos.values]
        self.submissions.append((problem.value, order.value, files))
        await interaction.response.send_message("Thanks, opening your thread.", ephemeral=True)


class HelpPanel(discord.ui.View):
    """A persistent 'Get help' button that opens :class:`HelpModal`."""

    def __init__(self, submissions: list[tuple[str, str, list[tuple[str, bytes]]]]) -> None:
        """Create the panel sharing a submission log."""
        super().__init__(timeout=None)
        self.submissions = submissions

    @discord.ui.button(label="Get help", custom_id="help:open")
    async def open_modal(
        self, interaction: discord.Interaction, button: discord.ui.Button[HelpPanel]
    ) -> None:
        """Answer the click with the modal (callback type 9)."""
        await interaction.response.send_modal(HelpModal(self.submissions))


async def test_modal_with_file_upload(discord_fake: FakeDiscord) -> None:
    """Button -> modal (Labels, Text Inputs, File Upload) -> MODAL_SUBMIT parsed by discord.py."""
    bot = CommandBot(discord_fake)
    customer = discord_fake.add_user("omar")
    other = discord_fake.add_user("someone-else")
    submissions: list[tuple[str, str, list[tuple[str, bytes]]]] = []
    png = _png(4, 4)
    async with discord_fake.run_client(bot):
        panel = HelpPanel(submissions)
        bot.add_view(panel)
        channel = bot.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Need help? Press the button.", view=panel)

        click = await discord_fake.click_button((channel.id, sent.id), "help:open", customer)
        assert (await click.wait_for_response())["type"] == 9
        assert click.modal is not None
        assert click.modal["custom_id"] == "help:modal"
        labels = click.modal["components"]
        assert [(c["type"], c["component"]["type"]) for c in labels] == [(18, 4), (18, 4), (18, 19)]
        assert all(isinstance(c["id"], int) for c in labels)

        with pytest.raises(ValueError, match="required"):
            await discord_fake.submit_modal(click, {"order": "42"})
        with pytest.raises(ValueError, match="no text input"):
            await discord_fake.submit_modal(click, {"problem": "x", "photos": "y"})
        five = [("r.png", "image/png", png)] * 5
        with pytest.raises(ValueError, match="takes 1-4 files"):
            await discord_fake.submit_modal(click, {"problem": "x"}, {"photos": five})

        files = {"photos": [("receipt.png", "image/png", png), ("bag.jpg", "image/jpeg", b"j")]}
        submit = await discord_fake.submit_modal(
            click, {"problem": "Two pizzas missing", "order": "A-1042"}, files
        )
        response = await submit.wait_for_message()
        assert response["content"] == "Thanks, opening your thread."
        assert submit.ephemeral
        with pytest.raises(ValueError, match="already submitted"):
            await discord_fake.submit_modal(click, {"problem": "again"})

        data = submit.payload["data"]
        assert submit.payload["type"] == 5
        assert submit.payload["member"]["user"]["id"] == customer["id"]
        assert submit.payload["message"]["id"] == str(sent.id)
        upload = data["components"][2]["component"]
        assert upload["type"] == 19
        resolved = data["resolved"]["attachments"]
        assert list(resolved) == upload["values"]
        assert all(
            a["ephemeral"] and "/ephemeral-attachments/" in a["url"] for a in resolved.values()
        )

        later = await discord_fake.click_button((channel.id, sent.id), "help:open", other)
        await later.wait_for_response()
        await (await discord_fake.submit_modal(later, {"problem": "Cold food"})).wait_for_message()
    assert submissions == [
        ("Two pizzas missing", "A-1042", [("receipt.png", png), ("bag.jpg", b"j")]),
        ("Cold food", "", []),
    ]
    assert [d[1] for d in discord_fake.attachment_downloads] == ["receipt.png", "bag.jpg"]
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


def test_modal_checks() -> None:
    """File Uploads only in Labels, at most 5 components, a required upload wants a file."""
    text = {"type": 4, "custom_id": "problem", "style": 2}
    upload = {"type": 19, "custom_id": "photos", "max_values": 4, "required": False}
    label = {"type": 18, "label": "Problem", "component": text}
    good = {"custom_id": "m", "title": "Help", "components": [label]}
    good["components"].append({"type": 18, "label": "Photos", "component": upload})
    assert check_modal(good) == []
    assert (
        RequestValidator().validate(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            {"type": 9, "data": good},
        )
        == []
    )
    in_row = {**good, "components": [{"type": 1, "components": [upload]}]}
    assert [v.code for v in check_modal(in_row)] == ["COMPONENT_INVALID_PLACEMENT"]
    unlabelled = {**good, "components": [{"type": 1, "components": [text]}]}
    assert [v.path[-1] for v in check_modal(unlabelled)] == ["label"]
    required_none = {**upload, "required": True, "min_values": 0}
    bad_min = {**good, "components": [{"type": 18, "label": "P", "component": required_none}]}
    assert [v.path[-1] for v in check_modal(bad_min)] == ["min_values"]
    six = {
        **good,
        "components": [{**label, "component": {**text, "custom_id": str(i)}} for i in range(6)],
    }
    assert [v.code for v in check_modal(six)] == ["BASE_TYPE_MAX_LENGTH"]
    twice = {**good, "components": [label, label]}
    assert [v.code for v in check_modal(twice)] == ["COMPONENT_CUSTOM_ID_DUPLICATED"]
