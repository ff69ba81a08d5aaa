"""Who counts as staff: holders of STAFF_ROLE_ID, or else members who may manage threads."""

from __future__ import annotations

from typing import Any

import discord

from bot.engine.copy import STAFF_ONLY


def is_staff(
    user: discord.abc.User, permissions: discord.Permissions, staff_role_id: int | None
) -> bool:
    """Whether this member may work tickets, given their permissions in the channel."""
    if not isinstance(user, discord.Member):
        return False
    if staff_role_id is not None:
        return any(role.id == staff_role_id for role in user.roles)
    return permissions.manage_threads


async def staff_or_refused(
    interaction: discord.Interaction[Any], staff_role_id: int | None
) -> bool:
    """Whether the one who used a staff command or button is staff; anyone else gets a short
    refusal (only they see it)."""
    if is_staff(interaction.user, interaction.permissions, staff_role_id):
        return True
    await interaction.response.send_message(STAFF_ONLY, ephemeral=True)
    return False
