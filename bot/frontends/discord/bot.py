"""SupportBot: the discord.py client, its cogs, and a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.engine.copy import SOMETHING_WENT_WRONG
from bot.engine.engine import SupportEngine
from bot.frontends.discord.cooldowns import ThreadCooldowns
from bot.frontends.discord.streaming.edit_budget import EditBudgets

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.frontends.discord.cogs.support",
    "bot.frontends.discord.cogs.staff_desk",
    "bot.frontends.discord.cogs.customer_commands",
    "bot.frontends.discord.cogs.actions",
    "bot.frontends.discord.cogs.outcomes",
    "bot.frontends.discord.cogs.support_stats",
    "bot.frontends.discord.cogs.archiving",
    "bot.frontends.discord.cogs.transcripts",
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
        private_threads: bool = True,
        threads_per_minute: int,
        shutdown_grace: float = SHUTDOWN_GRACE_SECONDS,
        edit_budgets: EditBudgets | None = None,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: enable it in the developer portal too
        # Discord allows about 5 edits per 5 s per channel, however many replies share it,
        # and 50 requests per second in all: every REST request passes the global budget.
        # Discord's cooldowns on thread creation are seen on the same seam.
        edit_budgets = edit_budgets if edit_budgets is not None else EditBudgets()
        thread_cooldowns = ThreadCooldowns()
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            http_trace=thread_cooldowns.observe(edit_budgets.requests.trace_config()),
            **options,
        )
        self.edit_budgets = edit_budgets
        self.thread_cooldowns = thread_cooldowns
        self.engine = make_engine(self)
        self.support_channel_id = support_channel_id
        self.staff_channel_id = staff_channel_id
        self.staff_role_id = staff_role_id
        self.private_threads = private_threads
        self.threads_per_minute = threads_per_minute
        self._commands_synced = False
        self.shutdown_grace = shutdown_grace
        # Message handlers, commands and button presses under way: shutdown waits for them.
        self.work: set[asyncio.Task[object]] = set()

    async def setup_hook(self) -> None:
        """Load the cogs (each answers its own buttons, across restarts too)."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.tree.error(self._on_app_command_error)
        await self.engine.prepare()

    async def _on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """The one handler of command errors: a refused check has already answered."""
        if isinstance(error, app_commands.CheckFailure):
            return
        log.error("command %s failed", interaction.command, exc_info=error)
        if interaction.response.is_done():
            await interaction.followup.send(SOMETHING_WENT_WRONG, ephemeral=True)
        else:
            await interaction.response.send_message(SOMETHING_WENT_WRONG, ephemeral=True)

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

    def track_work(self) -> None:
        """Remember the running task (a message, a command, a button) so shutdown waits for
        it, or interrupts it cleanly."""
        task = asyncio.current_task()
        if task is not None and task not in self.work:
            self.work.add(task)
            task.add_done_callback(self.work.discard)

    async def close(self) -> None:
        """Stop starting turns at once; let the work under way finish within the grace
        period, interrupt the rest (their replies say so); then close the connection."""
        self.engine.stop_accepting()
        current = asyncio.current_task()
        work = [t for t in self.work if not t.done() and t is not current]
        if work:
            log.info("waiting up to %.0fs for %d task(s) to finish", self.shutdown_grace, len(work))
            _, pending = await asyncio.wait(work, timeout=self.shutdown_grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        await super().close()
