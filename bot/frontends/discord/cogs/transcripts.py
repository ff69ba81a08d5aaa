"""The Transcript button of a resolved ticket's staff post: the conversation as a Markdown
file, shown only to the staff member who asked."""

from __future__ import annotations

import io
import re
from typing import Any

import discord
from discord.ext import commands

from bot.desk.transcripts import transcript
from bot.engine.engine import SupportEngine
from bot.frontends.discord.bot import SupportBot
from bot.frontends.discord.cogs.base import StaffCog
from bot.frontends.discord.views import TRANSCRIPT_BUTTON, pressable


class Transcripts(StaffCog):
    """Hands staff a ticket's conversation as a file."""

    def __init__(self, bot: SupportBot, engine: SupportEngine) -> None:
        button = pressable(TRANSCRIPT_BUTTON, self.on_transcript, self.interaction_check)
        super().__init__(bot, engine, buttons=[button])

    async def on_transcript(
        self, interaction: discord.Interaction[Any], pressed: re.Match[str]
    ) -> None:
        """The file, attached to an ephemeral answer."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await transcript(self.engine.desk.store, int(pressed["ticket_id"]))
        if found is None:
            await interaction.followup.send("That ticket is gone.", ephemeral=True)
            return
        await interaction.followup.send(
            file=discord.File(io.BytesIO(found.text.encode()), filename=found.filename),
            ephemeral=True,
        )


async def setup(bot: commands.Bot) -> None:
    """Add the Transcript button's handler, with the engine."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(Transcripts(bot, bot.engine))
