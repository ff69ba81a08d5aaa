"""Slash commands for customers in their thread: /ticket and /human."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.frontends.discord.bot import SupportBot, conversation_key
from bot.frontends.discord.staff import NO_MENTIONS, STATUS_LABELS
from bot.support.context import Customer
from bot.support.desk import DeskError

NOT_A_THREAD = "Use this in your support thread (write in the support channel to open one)."


class CustomerCommands(commands.Cog):
    """What a customer can do in their support thread besides writing."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot

    async def _conversation(self, interaction: discord.Interaction[Any]) -> Any:
        if interaction.channel_id is None:
            return None
        store = self.bot.engine.services.store
        return await store.get_conversation(conversation_key(interaction.channel_id))

    @app_commands.command(name="ticket", description="The tickets of this conversation")
    async def ticket(self, interaction: discord.Interaction[Any]) -> None:
        """The conversation's tickets and their status, shown only to the one who asked."""
        conversation = await self._conversation(interaction)
        if conversation is None:
            await interaction.response.send_message(NOT_A_THREAD, ephemeral=True)
            return
        tickets = await self.bot.engine.services.store.tickets_for_conversation(conversation.id)
        if not tickets:
            text = "There is no ticket in this conversation yet. Use /human to reach a person."
        else:
            text = "\n".join(
                f"Ticket #{t.id}: {STATUS_LABELS.get(t.status, t.status)} — {t.issue[:120]}"
                for t in tickets
            )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="human", description="Talk to a person from the support team")
    @app_commands.describe(reason="What you need help with (optional)")
    async def human(self, interaction: discord.Interaction[Any], reason: str = "") -> None:
        """Hand the conversation to staff: a ticket is opened if there is none."""
        conversation = await self._conversation(interaction)
        if conversation is None:
            await interaction.response.send_message(NOT_A_THREAD, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        user = interaction.user
        customer = Customer(id=str(user.id), display_name=user.display_name, mention=user.mention)
        thread_url = (
            interaction.channel.jump_url
            if isinstance(interaction.channel, discord.Thread)
            else None
        )
        try:
            ticket, created = await self.bot.engine.services.desk.hand_off(
                conversation,
                customer,
                reason=reason[:500],
                request_id=f"interaction:{interaction.id}",
                thread_url=thread_url,
            )
        except DeskError as exc:
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        text = (
            f"A person from our support team will follow up here (ticket #{ticket.id})."
            if created
            else f"Ticket #{ticket.id} is already with our support team;"
            " a person will follow up here."
        )
        await self.bot.engine.record_notice(conversation, text)
        await interaction.followup.send(text, allowed_mentions=NO_MENTIONS)


async def setup(bot: commands.Bot) -> None:
    """Add the customer commands."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(CustomerCommands(bot))
