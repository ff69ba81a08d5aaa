"""Permissions: what a member (or the bot) may do in a channel or thread."""

from __future__ import annotations

from fakes.discord_server.constants import (
    ALL_PERMISSIONS,
    CHANNEL_TYPE_PRIVATE_THREAD,
    JSON,
    P_ADMINISTRATOR,
    P_MANAGE_THREADS,
    P_VIEW_CHANNEL,
)
from fakes.discord_server.models import ApiError


class Permissions:
    """Discord's permission computation for members and the bot."""

    def permissions_for(self, user_id: int, channel_id: int | None = None) -> int:
        """Return a member's permission bitfield, in a channel/thread if given (with overwrites).

        The guild owner and administrators get every permission; threads use their parent's
        overwrites.
        """
        user_id = int(user_id)
        member = self.members.get(user_id)
        if member is None:
            raise KeyError(f"user {user_id} is not a member of the guild")
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        role_ids = {int(r) for r in member["roles"]}
        perms = int(self.roles[self.everyone_role_id]["permissions"])
        for role_id in role_ids:
            if role_id in self.roles:
                perms |= int(self.roles[role_id]["permissions"])
        if perms & P_ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel_id is None:
            return perms
        channel = self._channel_or_thread(int(channel_id))
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        if int(channel_id) in self.threads:
            channel = self.channels[int(channel["parent_id"])]
        overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites") or []}

        def apply(overwrite: JSON | None, value: int) -> int:
            if overwrite is None:
                return value
            return (value & ~int(overwrite.get("deny") or 0)) | int(overwrite.get("allow") or 0)

        perms = apply(overwrites.get(str(self.everyone_role_id)), perms)
        allow = deny = 0
        for role_id in role_ids:
            overwrite = overwrites.get(str(role_id))
            if overwrite is not None and int(overwrite.get("type", 0)) == 0:
                allow |= int(overwrite.get("allow") or 0)
                deny |= int(overwrite.get("deny") or 0)
        perms = (perms & ~deny) | allow
        member_overwrite = overwrites.get(str(user_id))
        if member_overwrite is not None and int(member_overwrite.get("type", 1)) == 1:
            perms = apply(member_overwrite, perms)
        return perms

    def can_view(self, user_id: int, channel_id: int) -> bool:
        """Return whether a member can see a channel or thread, as Discord decides it.

        A private thread is visible to its members and to members with Manage Threads (who
        must still see its parent channel).
        """
        channel_id = int(channel_id)
        perms = self.permissions_for(user_id, channel_id)
        if not perms & P_VIEW_CHANNEL:
            return False
        thread = self.threads.get(channel_id)
        if thread is None or thread["type"] != CHANNEL_TYPE_PRIVATE_THREAD:
            return True
        return int(user_id) in self._thread_members.get(channel_id, {}) or bool(
            perms & P_MANAGE_THREADS
        )

    def _require_bot_permission(self, channel_id: int, permission: int) -> None:
        """Raise Discord's 403 50013 Missing Permissions unless the bot has the permission."""
        if not self.permissions_for(self.bot_user_id, channel_id) & permission:
            raise ApiError(403, 50013, "Missing Permissions")

    def _require_bot_access(self, channel_id: int) -> None:
        """Raise Discord's 403 50001 Missing Access if the bot cannot see the channel/thread."""
        if not self._bot_can_view(channel_id):
            raise ApiError(403, 50001, "Missing Access")

    def _bot_can_view(self, channel_id: int) -> bool:
        """Return whether the bot can see a channel or thread (and so gets its events)."""
        if self._channel_or_thread(channel_id) is None:
            return True
        return self.can_view(self.bot_user_id, channel_id)
