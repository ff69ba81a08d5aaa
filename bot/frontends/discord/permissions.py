"""Permissions: who counts as staff (STAFF_ROLE_ID, or else members who may manage threads),
and which permission of the bot's a refused write lacks."""

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


def missing_permission(channel: discord.abc.Messageable, exc: discord.Forbidden) -> str:
    """The permission a refused message write most likely lacks, by Discord's name for it."""
    in_thread = isinstance(channel, discord.Thread)
    send = "Send Messages in Threads" if in_thread else "Send Messages"
    if exc.code == 50001:  # Missing Access
        return "View Channel"
    needed = [("view_channel", "View Channel")]
    needed.append(("send_messages_in_threads", send) if in_thread else ("send_messages", send))
    if isinstance(channel, discord.Thread) and channel.locked:
        needed.append(("manage_threads", "Manage Threads"))
    permissions = own_permissions(channel)
    if permissions is not None:
        for attribute, name in needed:
            if not getattr(permissions, attribute):
                return name
    # The cache may be stale or the refusal come from elsewhere: name the usual suspect.
    return send


def own_permissions(channel: discord.abc.Messageable) -> discord.Permissions | None:
    """The bot's permissions in a guild channel or thread, as far as the cache knows."""
    if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return None
    me = channel.guild.me
    if me is None:
        return None
    try:
        return channel.permissions_for(me)
    except discord.ClientException:  # a thread whose parent is not cached
        return None
