"""`/support stats [days]` for staff: the support lead's figures and a chart of the days."""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.desk.outcome_report import figures
from bot.desk.outcomes import OutcomeStats
from bot.frontends.discord.bot import SupportBot
from bot.frontends.discord.chart import CHART_FILE, chart_png
from bot.frontends.discord.cogs.base import StaffCommands

DEFAULT_DAYS = 7
MAX_DAYS = 90


def stats_embed(stats: OutcomeStats, days: int) -> discord.Embed:
    """Every figure as a field, the chart as the embed's image."""
    embed = discord.Embed(
        title=f"Support over the last {days} day{'s' if days != 1 else ''}",
        colour=discord.Colour.blurple(),
    )
    for name, value in figures(stats):
        embed.add_field(name=name, value=value, inline=len(value) < 30)
    embed.set_image(url=f"attachment://{CHART_FILE}")
    embed.set_footer(text="Conversations opened in the period; times in UTC")
    return embed


class SupportStats(StaffCommands, group_name="support", group_description="Support figures"):
    """Does the assistant resolve conversations, are customers happy, what does it cost."""

    @app_commands.command(name="stats", description="Outcomes, satisfaction, response times, cost")
    @app_commands.describe(days=f"The last N days (default {DEFAULT_DAYS})")
    async def stats(
        self,
        interaction: discord.Interaction[Any],
        days: app_commands.Range[int, 1, MAX_DAYS] = DEFAULT_DAYS,
    ) -> None:
        """Staff: the figures of the conversations opened in the last `days` days."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await self.engine.operations.stats(days)
        png = await chart_png(stats.days)
        await interaction.followup.send(
            embed=stats_embed(stats, days),
            file=discord.File(io.BytesIO(png), filename=CHART_FILE),
            ephemeral=True,
        )


async def setup(bot: commands.Bot) -> None:
    """Add /support stats, with the engine."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(SupportStats(bot, bot.engine))
