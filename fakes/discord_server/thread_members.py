"""Thread members: joining, leaving, adding, removing and listing them."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from aiohttp import web

from fakes.discord_server.constants import (
    CHANNEL_TYPE_PRIVATE_THREAD,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILDS,
    JSON,
    MAX_THREAD_MEMBER_COUNT,
    P_MANAGE_THREADS,
    P_SEND_MESSAGES_IN_THREADS,
    P_VIEW_CHANNEL,
)
from fakes.discord_server.models import ApiCall, ApiError, now_iso


class ThreadMembers:
    """Thread members: the routes and THREAD_MEMBERS_UPDATE."""

    def _require_thread(self, call: ApiCall, *, violation: str | None = None) -> int:
        """Return the id of the thread the call addresses: 404 Unknown Channel, or 400 50024
        for a channel that is not a thread (a contract violation when `violation` says why)."""
        channel_id, _ = self._require_channel(call)
        if channel_id not in self.threads:
            raise ApiError(
                400, 50024, "Cannot execute action on this channel type", violation=violation
            )
        return channel_id

    async def _thread_member(self, call: ApiCall) -> web.StreamResponse:
        """PUT/DELETE /channels/{channel_id}/thread-members/(@me|{user_id})."""
        channel_id = self._require_thread(call, violation="thread member on a non-thread")
        user_id = call.params.get("user_id")
        if user_id is not None and (not user_id.isdigit() or int(user_id) not in self.members):
            raise ApiError(404, 10013, "Unknown User")
        self._require_bot_access(channel_id)
        thread = self.threads[channel_id]
        if thread["thread_metadata"]["archived"]:
            raise ApiError(
                400, 50083, "Thread is archived", violation="member change in an archived thread"
            )
        target = self.bot_user_id if user_id is None else int(user_id)
        if call.method == "PUT":
            if target != self.bot_user_id:
                self._require_bot_permission(channel_id, P_SEND_MESSAGES_IN_THREADS)
            joined = target not in self._thread_members.get(channel_id, {})
            await self._join_thread(channel_id, target)
            if joined and target == self.bot_user_id:
                # Joining a thread also syncs it to the joiner, with its own thread member.
                await self._broadcast("THREAD_CREATE", self._thread_view(thread), INTENT_GUILDS)
            return self._no_content()
        if target != self.bot_user_id:
            is_creator = (
                thread["type"] == CHANNEL_TYPE_PRIVATE_THREAD
                and thread["owner_id"] == self.bot_user["id"]
            )
            if not is_creator:
                self._require_bot_permission(channel_id, P_MANAGE_THREADS)
        if self._thread_members.get(channel_id, {}).pop(target, None) is not None:
            await self._thread_members_update(channel_id, removed=[target])
        return self._no_content()

    async def _list_thread_members(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}/thread-members (needs the app's GUILD_MEMBERS intent)."""
        channel_id = self._require_thread(call)
        self._require_bot_access(channel_id)
        if "members" not in self.allowed_privileged_intents:
            raise ApiError(403, 50001, "Missing Access")
        query = call.recorded.query
        with_member = query.get("with_member") in ("true", "True", "1")
        members = sorted(
            self._thread_members.get(channel_id, {}).values(), key=lambda m: int(m["user_id"])
        )
        if with_member:  # paginated, as the docs say for with_member=true
            after = int(query.get("after") or 0)
            limit = int(query.get("limit") or 100)
            if not 1 <= limit <= 100:
                raise ApiError(400, 50035, "Invalid Form Body", violation=f"bad limit {limit}")
            members = [m for m in members if int(m["user_id"]) > after][:limit]
        return self._ok([self._thread_member_view(m, with_member) for m in members])

    async def _get_thread_member(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}/thread-members/{user_id} (404 10007 if not a member)."""
        channel_id = self._require_thread(call)
        self._require_bot_access(channel_id)
        raw = call.params["user_id"]
        member = self._thread_members.get(channel_id, {}).get(int(raw)) if raw.isdigit() else None
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        with_member = call.recorded.query.get("with_member") in ("true", "True", "1")
        return self._ok(self._thread_member_view(member, with_member))

    def _thread_member_view(self, member: JSON, with_member: bool) -> JSON:
        """A thread member object, with the guild member when asked."""
        view = copy.deepcopy(member)
        if with_member:
            view["member"] = copy.deepcopy(self.members[int(member["user_id"])])
        return view

    async def _add_mentioned(self, thread_id: int, mentions: Sequence[JSON]) -> None:
        """A bot message in a private thread that pings users adds them to it, as Discord
        does: each pinged member who can view the thread's channel and is not a member yet
        (THREAD_MEMBERS_UPDATE). A suppressed mention (`allowed_mentions`) pings nobody, so
        adds nobody; in a thread that is not invitable only a moderator's mention adds."""
        thread = self.threads[thread_id]
        if thread["type"] != CHANNEL_TYPE_PRIVATE_THREAD:
            return
        parent_id = int(thread["parent_id"])
        moderator = bool(self.permissions_for(self.bot_user_id, parent_id) & P_MANAGE_THREADS)
        if not moderator and not thread["thread_metadata"].get("invitable", True):
            return
        members = self._thread_members.get(thread_id, {})
        for user in mentions:
            user_id = int(user["id"])
            if user_id not in self.members or user_id in members:
                continue
            if self.permissions_for(user_id, parent_id) & P_VIEW_CHANNEL:
                await self._join_thread(thread_id, user_id)

    async def _join_thread(self, thread_id: int, user_id: int) -> None:
        """Make a user a member of a thread (no-op if already one)."""
        if user_id not in self._thread_members.setdefault(thread_id, {}):
            await self._thread_members_update(thread_id, added=[user_id])

    async def _thread_members_update(
        self, thread_id: int, *, added: Sequence[int] = (), removed: Sequence[int] = ()
    ) -> None:
        """Update ``member_count`` and dispatch THREAD_MEMBERS_UPDATE.

        Others' changes need the GUILD_MEMBERS intent; the bot's own always reach it.
        """
        thread = self.threads[thread_id]
        members = self._thread_members.setdefault(thread_id, {})
        for user_id in added:
            members.setdefault(
                user_id,
                {
                    "id": str(thread_id),
                    "user_id": str(user_id),
                    "join_timestamp": now_iso(),
                    "flags": 0,
                },
            )
        thread["member_count"] = min(len(members), MAX_THREAD_MEMBER_COUNT)
        data: JSON = {
            "id": str(thread_id),
            "guild_id": str(self.guild_id),
            "member_count": thread["member_count"],
        }
        if added:
            data["added_members"] = [
                {
                    **copy.deepcopy(members[u]),
                    "member": copy.deepcopy(self.members[u]),
                    "presence": None,
                }
                for u in added
            ]
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        own = self.bot_user_id in (*added, *removed)
        if own or self._bot_can_view(thread_id):
            await self._broadcast("THREAD_MEMBERS_UPDATE", data, 0 if own else INTENT_GUILD_MEMBERS)
