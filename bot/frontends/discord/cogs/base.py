"""What the cogs share: the bot and the engine injected, the buttons a cog answers and the
sweep it runs while it is loaded, and the staff check of the staff's cogs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.engine.engine import SupportEngine
from bot.frontends.discord.bot import SupportBot
from bot.frontends.discord.permissions import staff_or_refused
from bot.frontends.discord.sweeper import Sweeper
from bot.frontends.discord.views import PressHandler


class EngineCog(commands.Cog):
    """A cog of the support bot, given the bot and the engine. While it is loaded it answers
    `buttons` (on messages posted before a restart too) and runs `sweeper`, if any."""

    def __init__(
        self,
        bot: SupportBot,
        engine: SupportEngine,
        *,
        buttons: Iterable[PressHandler] = (),
        sweeper: Sweeper | None = None,
    ) -> None:
        self.bot = bot
        self.engine = engine
        self._buttons = tuple(buttons)
        self._sweeper = sweeper

    async def cog_load(self) -> None:
        """Answer the buttons; start the sweep (it waits until the bot is ready)."""
        self.bot.add_dynamic_items(*self._buttons)
        if self._sweeper is not None:
            self._sweeper.start()

    async def cog_unload(self) -> None:
        """Stop answering the buttons and sweeping."""
        self.bot.remove_dynamic_items(*self._buttons)
        if self._sweeper is not None:
            await self._sweeper.stop()


class StaffCog(EngineCog):
    """A cog for staff only: its commands, and the buttons given `interaction_check` as their
    check."""

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Staff may go on; others get a short refusal."""
        self.bot.track_work()
        return await staff_or_refused(interaction, self.bot.staff_role_id)


# Customers do not even see these commands: members who may manage threads do, and a
# server's admins can grant them to the staff role in Server Settings > Integrations.
@app_commands.default_permissions(manage_threads=True)
@app_commands.guild_only()
class StaffCommands(StaffCog, commands.GroupCog):
    """A slash-command group for staff (name it with `group_name` on the subclass)."""
