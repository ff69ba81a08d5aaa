"""The Confirm and Cancel buttons of actions (the company's API): answered after restarts too."""

from __future__ import annotations

from discord.ext import commands

from bot.frontends.discord.bot import SupportBot
from bot.frontends.discord.confirm import DiscordConfirmer, action_buttons
from bot.tools.actions import Decisions


class ActionsCog(commands.Cog):
    """Registers the handler of every confirmation button, whichever process posted it."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        confirmer = bot.engine.services.confirmer
        # The waiting tools of this process are woken through the confirmer that asked.
        decisions = confirmer.decisions if isinstance(confirmer, DiscordConfirmer) else Decisions()
        self._buttons = action_buttons(bot.engine.services.store, decisions)

    async def cog_load(self) -> None:
        """Answer Confirm and Cancel presses."""
        self.bot.add_dynamic_items(self._buttons)

    async def cog_unload(self) -> None:
        """Stop answering them."""
        self.bot.remove_dynamic_items(self._buttons)


async def setup(bot: commands.Bot) -> None:
    """Add the confirmation buttons' cog."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(ActionsCog(bot))
