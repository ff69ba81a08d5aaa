"""Slash commands for customers in their thread: /ticket and /human."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.engine.copy import NO_TICKET_YET, NOT_A_THREAD, NOT_YOUR_COMMAND, TICKET_LINE
from bot.engine.engine import SupportEngine
from bot.frontends.discord.bot import SupportBot, conversation_key
from bot.frontends.discord.handoff import hand_off
from bot.frontends.discord.permissions import is_staff
from bot.frontends.discord.staff import STATUS_LABELS, staff_safe


class CustomerCommands(commands.Cog):
    """What a customer can do in their support thread besides writing."""

    def __init__(self, bot: SupportBot, engine: SupportEngine) -> None:
        self.bot = bot
        self.engine = engine

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """In a support thread, and only its customer (staff may always look)."""
        self.bot.track_work()
        key = conversation_key(interaction.channel_id or 0)
        customer_id = await self.engine.customer_id(key)
        if customer_id is None:
            await interaction.response.send_message(NOT_A_THREAD, ephemeral=True)
            return False
        staff = is_staff(interaction.user, interaction.permissions, self.bot.staff_role_id)
        if customer_id != str(interaction.user.id) and not staff:
            await interaction.response.send_message(NOT_YOUR_COMMAND, ephemeral=True)
            return False
        return True

    @app_commands.command(name="ticket", description="The tickets of this conversation")
    async def ticket(self, interaction: discord.Interaction[Any]) -> None:
        """The conversation's tickets and their status, shown only to the one who asked."""
        tickets = await self.engine.tickets(conversation_key(interaction.channel_id or 0))
        if not tickets:
            text = NO_TICKET_YET
        else:
            text = "\n".join(
                TICKET_LINE.format(
                    ticket=t.id,
                    status=STATUS_LABELS.get(t.status, t.status),
                    issue=staff_safe(t.issue[:120]),
                )
                for t in tickets
            )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="human", description="Talk to a person from the support team")
    @app_commands.describe(reason="What you need help with (optional)")
    async def human(self, interaction: discord.Interaction[Any], reason: str = "") -> None:
        """Hand the conversation to staff: a ticket is opened if there is none."""
        await hand_off(self.engine, interaction, reason[:500])


async def setup(bot: commands.Bot) -> None:
    """Add the customer commands, with the engine."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(CustomerCommands(bot, bot.engine))
