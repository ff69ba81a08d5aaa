"""Handing a conversation to staff from an interaction: what /human and the "Talk to a
person" button both do (a second request opens no second ticket)."""

from __future__ import annotations

from typing import Any

import discord

from bot.desk.desk import DeskError, Person
from bot.engine.engine import SupportEngine
from bot.frontends.discord.bot import conversation_key
from bot.frontends.discord.staff import NO_MENTIONS


async def hand_off(
    engine: SupportEngine, interaction: discord.Interaction[Any], reason: str
) -> None:
    """Think, hand the interaction's conversation over, and say the engine's answer (a desk
    error only to the one who asked)."""
    await interaction.response.defer(thinking=True)
    user = interaction.user
    link = interaction.channel.jump_url if isinstance(interaction.channel, discord.Thread) else None
    try:
        text = await engine.hand_off(
            conversation_key(interaction.channel_id or 0),
            Person(str(user.id), user.display_name),
            reason=reason,
            request_id=f"interaction:{interaction.id}",
            link=link,
        )
    except DeskError as exc:
        await interaction.followup.send(str(exc), ephemeral=True)
        return
    await interaction.followup.send(text, allowed_mentions=NO_MENTIONS)
