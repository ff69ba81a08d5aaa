"""Archiving idle conversations' threads (ARCHIVE_AFTER_DAYS): fewer active threads, which
Discord caps per server. The customer's next message in the thread unarchives it (Discord
does that for a message in an unlocked archived thread) and the conversation goes on."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.engine.engine import SupportEngine
from bot.frontends.discord.bot import DISCORD_KEY_PREFIX, SupportBot
from bot.frontends.discord.cogs.base import EngineCog
from bot.frontends.discord.sweeper import Sweeper

log = logging.getLogger(__name__)

# How often idle threads are looked for (idleness is read from the store: restart-safe).
SWEEP_SECONDS = 600.0


class Archiving(EngineCog):
    """Archives the threads of idle conversations, every few minutes."""

    def __init__(self, bot: SupportBot, engine: SupportEngine) -> None:
        self.archive = engine.operations.archive
        sweeper = Sweeper(bot, self.archive_idle, SWEEP_SECONDS, "could not archive idle threads")
        super().__init__(bot, engine, sweeper=sweeper)

    async def archive_idle(self) -> int:
        """Archive every idle conversation's thread; how many were archived."""
        archived = 0
        for idle in await self.archive.due(DISCORD_KEY_PREFIX):
            if idle.channel_id is None:
                continue
            try:
                thread = self.bot.get_channel(idle.channel_id) or await self.bot.fetch_channel(
                    idle.channel_id
                )
                if isinstance(thread, discord.Thread) and not thread.archived:
                    await thread.edit(archived=True)
                    archived += 1
            except discord.NotFound:
                log.info("the thread of conversation %d is gone", idle.conversation_id)
            except discord.HTTPException:
                log.exception("could not archive thread %d", idle.channel_id)
                continue
            await self.archive.archived(idle.conversation_id)
        return archived


async def setup(bot: commands.Bot) -> None:
    """Add the archiving cog, with the engine."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(Archiving(bot, bot.engine))
