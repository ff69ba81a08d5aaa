"""REST routes of users, the application, the gateway URL and the guild."""

from __future__ import annotations

import copy

from aiohttp import web

from fakes.discord_server.constants import _APP_FLAG_FOR_INTENT, INTENT_GUILD_PRESENCES, JSON
from fakes.discord_server.models import ApiCall, ApiError, _Session


class GuildRoutes:
    """REST routes of users, the application, the gateway and the guild."""

    async def _get_me(self, call: ApiCall) -> web.StreamResponse:
        """GET /users/@me."""
        return self._ok(self.bot_user)

    async def _get_user(self, call: ApiCall) -> web.StreamResponse:
        """GET /users/{user_id}."""
        user_id = call.params["user_id"]
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return self._ok(user)

    async def _get_application(self, call: ApiCall) -> web.StreamResponse:
        """GET /oauth2/applications/@me."""
        return self._ok(self._application_payload(full=True))

    def _application_flags(self) -> int:
        """Return application flags granting the allowed privileged intents."""
        flags = 0
        for name in self.allowed_privileged_intents:
            flags |= _APP_FLAG_FOR_INTENT[name]
        return flags

    def _application_payload(self, *, full: bool) -> JSON:
        """Return the application object (partial for READY)."""
        if not full:
            return {"id": str(self.application_id), "flags": self._application_flags()}
        owner = self.users[self.owner_id]
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": owner,
            "team": None,
            "flags": self._application_flags(),
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "tags": [],
            "bot": self.bot_user,
            "approximate_guild_count": 1,
        }

    async def _get_gateway(self, call: ApiCall) -> web.StreamResponse:
        """GET /gateway."""
        return self._ok({"url": self.gateway_url})

    async def _get_gateway_bot(self, call: ApiCall) -> web.StreamResponse:
        """GET /gateway/bot."""
        return self._ok(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    def _guild_base(self) -> JSON:
        """Return the guild object fields shared by REST and GUILD_CREATE."""
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [copy.deepcopy(r) for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
        }

    def _guild_create_payload(self, session: _Session) -> JSON:
        """Build the GUILD_CREATE dispatch data as seen by ``session``."""
        small = len(self.members) < 250
        if session.intents & INTENT_GUILD_PRESENCES and small:
            members = list(self.members.values())
        else:
            members = [self.members[self.bot_user_id]]
        active = [
            self._thread_view(t, for_gateway_create=True) for t in self._active_threads_for_bot()
        ]
        return {
            **self._guild_base(),
            "joined_at": self.guild_joined_at,
            "large": not small,
            "unavailable": False,
            "member_count": len(self.members),
            "members": copy.deepcopy(members),
            "channels": [
                {k: v for k, v in copy.deepcopy(c).items() if k != "guild_id"}
                for c in self.channels.values()
            ],
            "threads": copy.deepcopy(active),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "lazy": True,
        }

    async def _get_guild(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}."""
        self._require_guild(call)
        data = self._guild_base()
        if call.recorded.query.get("with_counts") in ("true", "True", "1"):
            data["approximate_member_count"] = len(self.members)
            data["approximate_presence_count"] = 0
        return self._ok(data)

    async def _get_guild_channels(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}/channels."""
        self._require_guild(call)
        return self._ok(list(self.channels.values()))

    async def _get_guild_roles(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}/roles."""
        self._require_guild(call)
        return self._ok(list(self.roles.values()))

    async def _get_active_threads(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}/threads/active."""
        self._require_guild(call)
        active = self._active_threads_for_bot()
        own = [
            copy.deepcopy(self._thread_members[int(t["id"])][self.bot_user_id])
            for t in active
            if self.bot_user_id in self._thread_members.get(int(t["id"]), {})
        ]
        return self._ok({"threads": active, "members": own})

    def _active_threads_for_bot(self) -> list[JSON]:
        """The unarchived threads the bot can see (private ones: member or Manage Threads)."""
        return [
            t
            for t in self.threads.values()
            if not t["thread_metadata"]["archived"] and self._bot_can_view(int(t["id"]))
        ]

    async def _get_member(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}/members/{user_id}."""
        self._require_guild(call)
        user_id = call.params["user_id"]
        member = self.members.get(int(user_id)) if user_id.isdigit() else None
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return self._ok(member)
