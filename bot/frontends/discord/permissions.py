"""Who counts as staff: holders of STAFF_ROLE_ID, or else members who may manage threads."""

from __future__ import annotations

import discord


def is_staff(
    user: discord.abc.User, permissions: discord.Permissions, staff_role_id: int | None
) -> bool:
    """Whether this member may work tickets, given their permissions in the channel."""
    if not isinstance(user, discord.Member):
        return False
    if staff_role_id is not None:
        return any(role.id == staff_role_id for role in user.roles)
    return permissions.manage_threads
