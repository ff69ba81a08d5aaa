"""Setting up the guild: users, channels, roles and overwrites."""

from __future__ import annotations

import copy

from fakes.discord_server.constants import (
    CHANNEL_TYPE_TEXT,
    EVERYONE_PERMISSIONS,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILDS,
    JSON,
)
from fakes.discord_server.models import now_iso


class GuildSetup:
    """Users, channels, roles and permission overwrites of the one guild."""

    def _user_payload(self, user_id: int, name: str, *, bot: bool) -> JSON:
        """Build a Discord user object."""
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name,
            "avatar": None,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
            "public_flags": 0,
            "flags": 0,
            "bot": bot,
        }

    def _member_payload(self, user: JSON, roles: list[int]) -> JSON:
        """Build a guild member object (with ``user``)."""
        return {
            "user": user,
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in roles],
            "joined_at": now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def _add_role(
        self,
        role_id: int,
        name: str,
        permissions: int,
        *,
        position: int,
        hoist: bool = False,
        mentionable: bool = False,
        managed: bool = False,
        tags: JSON | None = None,
    ) -> None:
        """Register a guild role."""
        role: JSON = {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": managed,
            "mentionable": mentionable,
            "flags": 0,
        }
        if tags is not None:
            role["tags"] = tags
        self.roles[role_id] = role

    def add_user(self, name: str, bot: bool = False, roles: list[int] | None = None) -> JSON:
        """Add a guild member and return its user object (dispatches GUILD_MEMBER_ADD)."""
        user_id = self._snowflakes.next()
        user = self._user_payload(user_id, name, bot=bot)
        self.users[user_id] = user
        member = self._member_payload(user, list(roles or []))
        self.members[user_id] = member
        if self._sessions:
            data = {**copy.deepcopy(member), "guild_id": str(self.guild_id)}
            self._queue_event("GUILD_MEMBER_ADD", data, INTENT_GUILD_MEMBERS)
        return copy.deepcopy(user)

    def add_channel(
        self,
        name: str,
        *,
        topic: str | None = None,
        permission_overwrites: list[JSON] | None = None,
    ) -> int:
        """Add a guild text channel and return its id (dispatches CHANNEL_CREATE)."""
        channel_id = self._snowflakes.next()
        self.channels[channel_id] = {
            "id": str(channel_id),
            "type": CHANNEL_TYPE_TEXT,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": list(permission_overwrites or []),
            "parent_id": None,
            "topic": topic,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
            "default_thread_rate_limit_per_user": 0,
            "flags": 0,
        }
        self._messages[channel_id] = {}
        if self._sessions:
            data = copy.deepcopy(self.channels[channel_id])
            self._queue_event("CHANNEL_CREATE", data, INTENT_GUILDS)
        return channel_id

    def add_role(self, name: str, permissions: int = EVERYONE_PERMISSIONS) -> int:
        """Add a guild role (e.g. a support desk role without Manage Threads); return its id.

        Dispatches GUILD_ROLE_CREATE when clients are connected.
        """
        role_id = self._snowflakes.next()
        self._add_role(role_id, name, permissions, position=len(self.roles))
        if self._sessions:
            data = {"guild_id": str(self.guild_id), "role": copy.deepcopy(self.roles[role_id])}
            self._queue_event("GUILD_ROLE_CREATE", data, INTENT_GUILDS)
        return role_id

    def set_bot_permissions(self, permissions: int) -> None:
        """Give the bot's managed role these permissions (dispatches GUILD_ROLE_UPDATE)."""
        self.roles[self.bot_role_id]["permissions"] = str(permissions)
        if self._sessions:
            data = {
                "guild_id": str(self.guild_id),
                "role": copy.deepcopy(self.roles[self.bot_role_id]),
            }
            self._queue_event("GUILD_ROLE_UPDATE", data, INTENT_GUILDS)

    def set_permission_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a channel's overwrite for a member or role (dispatches CHANNEL_UPDATE).

        ``fake.set_permission_overwrite(fake.support_channel_id, fake.bot_user_id,
        deny=P_MANAGE_MESSAGES)`` takes Manage Messages from the bot in the support channel only.
        """
        channel = self.channels[int(channel_id)]
        target_id = int(target_id)
        kind = 0 if target_id in self.roles else 1
        overwrites = [o for o in channel["permission_overwrites"] if o["id"] != str(target_id)]
        overwrites.append(
            {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}
        )
        channel["permission_overwrites"] = overwrites
        if self._sessions:
            self._queue_event("CHANNEL_UPDATE", copy.deepcopy(channel), INTENT_GUILDS)
