"""SupportBot: the discord.py client, its cogs, and a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import discord
from discord.ext import commands
from openai import AsyncOpenAI

from bot.app import build_engine
from bot.config import Settings
from bot.frontends.discord.attachments import DiscordAttachments
from bot.frontends.discord.edit_budget import EditBudgets
from bot.frontends.discord.views import PageButton, TicketButton
from bot.store import Store
from bot.support.conversation import SupportEngine
from bot.support.limits import CustomerLimits, SlidingWindowLimiter

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.frontends.discord.cogs.support",
    "bot.frontends.discord.cogs.staff_desk",
    "bot.frontends.discord.cogs.customer_commands",
)
# Heroku-style platforms allow 30 s between SIGTERM and SIGKILL.
SHUTDOWN_GRACE_SECONDS = 20.0


DISCORD_KEY_PREFIX = "discord:"


def conversation_key(thread_id: int) -> str:
    """The store key of the conversation held in a Discord thread."""
    return f"{DISCORD_KEY_PREFIX}{thread_id}"


class SupportBot(commands.Bot):
    """The support bot: answers in threads opened from the support channel."""

    def __init__(
        self,
        *,
        make_engine: Callable[[discord.Client], SupportEngine],
        support_channel_id: int,
        staff_channel_id: int,
        staff_role_id: int | None = None,
        limits: CustomerLimits | None = None,
        shutdown_grace: float = SHUTDOWN_GRACE_SECONDS,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: enable it in the developer portal too
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        self.engine = make_engine(self)
        self.support_channel_id = support_channel_id
        self.staff_channel_id = staff_channel_id
        self.staff_role_id = staff_role_id
        self.limits = limits or CustomerLimits()
        self.message_rate = SlidingWindowLimiter(self.limits.messages_per_minute, 60.0)
        # Discord allows about 5 edits per 5 s per channel, however many replies share it.
        self.edit_budgets = EditBudgets()
        self.edit_budgets.attach(self.http)
        self._commands_synced = False
        self.shutdown_grace = shutdown_grace
        self.active_turns: set[asyncio.Task[object]] = set()

    async def setup_hook(self) -> None:
        """Load the cogs and the persistent ticket buttons (they work across restarts)."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(TicketButton, PageButton)

    async def on_ready(self) -> None:
        """Log where we listen; sync the slash commands to the support channel's guild once."""
        log.info(
            "logged in as %s; support channel %d, staff channel %d",
            self.user,
            self.support_channel_id,
            self.staff_channel_id,
        )
        if self._commands_synced:
            return
        channel = self.get_channel(self.support_channel_id)
        if not isinstance(channel, discord.abc.GuildChannel):
            log.error(
                "SUPPORT_CHANNEL_ID %d is not a channel of this bot's guilds",
                self.support_channel_id,
            )
            return
        self.tree.copy_global_to(guild=channel.guild)
        try:
            synced = await self.tree.sync(guild=channel.guild)
        except discord.HTTPException:
            log.exception("could not register the slash commands in %s", channel.guild)
            return
        self._commands_synced = True
        log.info("slash commands ready in %s: %s", channel.guild, ", ".join(c.name for c in synced))

    def track_turn(self, task: asyncio.Task[object]) -> None:
        """Remember an in-flight turn so shutdown can finish or interrupt it."""
        self.active_turns.add(task)
        task.add_done_callback(self.active_turns.discard)

    async def close(self) -> None:
        """Let in-flight replies finish within the grace period, interrupt the rest, then close."""
        turns = [t for t in self.active_turns if not t.done()]
        if turns:
            log.info(
                "waiting up to %.0fs for %d reply(s) to finish", self.shutdown_grace, len(turns)
            )
            _, pending = await asyncio.wait(turns, timeout=self.shutdown_grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        await super().close()


def build_support_bot(
    settings: Settings, *, store: Store, client: AsyncOpenAI, **options: Any
) -> SupportBot:
    """The bot wired from the settings (its tickets reach staff through the outbox)."""
    _, support_channel_id, staff_channel_id = settings.require_discord()
    return SupportBot(
        make_engine=lambda discord_client: build_engine(
            settings,
            store=store,
            client=client,
            attachments=DiscordAttachments(discord_client),
        ),
        support_channel_id=support_channel_id,
        staff_channel_id=staff_channel_id,
        staff_role_id=settings.staff_role_id,
        limits=CustomerLimits(
            messages_per_minute=settings.user_messages_per_minute,
            max_message_chars=settings.max_message_chars,
            max_images=settings.max_attachments_per_message,
        ),
        **options,
    )
