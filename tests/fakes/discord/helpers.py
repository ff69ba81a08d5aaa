"""Clients, bots and views driving the fake Discord in its self-tests."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from PIL import Image

from fakes.discord_server import FakeDiscord

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


def _png(width: int = 3, height: int = 2) -> bytes:
    """Return the bytes of a small PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (255, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


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


def _gateway_events(fake: FakeDiscord, name: str) -> list[dict[str, Any]]:
    """Return the data of every dispatched gateway event called ``name``, oldest first."""
    return [data for event, data in fake.gateway_events_sent if event == name]
