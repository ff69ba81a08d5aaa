"""Threads: the creation routes, and the rules of writing to threads."""

from __future__ import annotations

import copy

from aiohttp import web

from fakes.discord_server.constants import (
    CHANNEL_TYPE_PRIVATE_THREAD,
    CHANNEL_TYPE_PUBLIC_THREAD,
    INTENT_GUILDS,
    JSON,
    MESSAGE_FLAG_HAS_THREAD,
    P_CREATE_PRIVATE_THREADS,
    P_CREATE_PUBLIC_THREADS,
)
from fakes.discord_server.models import ApiCall, ApiError, now_iso


class Threads:
    """Creating threads (from a message or standalone), writing to them."""

    def _refuse_thread_in_thread(self, channel_id: int) -> None:
        """Threads are made in channels: inside a thread Discord answers 50024."""
        if channel_id in self.threads:
            raise ApiError(
                400,
                50024,
                "Cannot execute action on this channel type",
                violation="thread inside a thread",
            )

    async def _create_thread_from_message(self, call: ApiCall) -> web.StreamResponse:
        """POST /channels/{channel_id}/messages/{message_id}/threads (public, id == message id)."""
        channel_id, message = self._require_message(call)
        self._refuse_thread_in_thread(channel_id)
        if "thread" in message:
            raise ApiError(
                400,
                160004,
                "A thread has already been created for this message",
                violation="second thread for the same message (160004)",
            )
        body: JSON = call.body or {}
        thread = self._new_thread(
            int(message["id"]),
            channel_id,
            body["name"],
            CHANNEL_TYPE_PUBLIC_THREAD,
            body.get("auto_archive_duration"),
            body.get("rate_limit_per_user"),
        )
        message["thread"] = copy.deepcopy(thread)
        message["flags"] = message["flags"] | MESSAGE_FLAG_HAS_THREAD
        await self._announce_new_thread(thread)
        await self._dispatch_message_event("MESSAGE_UPDATE", message)
        return self._ok(self._thread_view(thread), status=201)

    async def _create_thread(self, call: ApiCall) -> web.StreamResponse:
        """POST /channels/{channel_id}/threads (thread without a starter message)."""
        channel_id, _ = self._require_channel(call)
        self._refuse_thread_in_thread(channel_id)
        body: JSON = call.body or {}
        # Without a type Discord still makes a private thread (the documented v10 default).
        thread_type = int(body.get("type") or CHANNEL_TYPE_PRIVATE_THREAD)
        if thread_type not in (CHANNEL_TYPE_PUBLIC_THREAD, CHANNEL_TYPE_PRIVATE_THREAD):
            raise ApiError(
                400,
                50024,
                "Cannot execute action on this channel type",
                violation=f"thread type {thread_type} in a text channel",
            )
        needed = (
            P_CREATE_PRIVATE_THREADS
            if thread_type == CHANNEL_TYPE_PRIVATE_THREAD
            else P_CREATE_PUBLIC_THREADS
        )
        self._require_bot_permission(channel_id, needed)
        thread = self._new_thread(
            self._snowflakes.next(),
            channel_id,
            body["name"],
            thread_type,
            body.get("auto_archive_duration"),
            body.get("rate_limit_per_user"),
        )
        if thread_type == CHANNEL_TYPE_PRIVATE_THREAD:
            thread["thread_metadata"]["invitable"] = body.get("invitable", True) is not False
        await self._announce_new_thread(thread)
        return self._ok(self._thread_view(thread), status=201)

    async def _announce_new_thread(self, thread: JSON) -> None:
        """THREAD_CREATE (newly_created) to the bot, then its own THREAD_MEMBERS_UPDATE.

        The creator is the thread's first member; Discord always tells the current user when
        it is added to a thread. A private thread reaches only those who can see it: in this
        fake the bot, its creator.
        """
        thread_id = int(thread["id"])
        if self._bot_can_view(thread_id):
            payload = {**copy.deepcopy(thread), "newly_created": True}
            await self._broadcast("THREAD_CREATE", payload, INTENT_GUILDS)
        await self._thread_members_update(thread_id, added=[self.bot_user_id])

    def _thread_view(self, thread: JSON, *, for_gateway_create: bool = False) -> JSON:
        """A thread as returned to the bot: with ``member`` when the bot is a member of it."""
        view = copy.deepcopy(thread)
        own = self._thread_members.get(int(thread["id"]), {}).get(self.bot_user_id)
        if own is not None:
            member = copy.deepcopy(own)
            if for_gateway_create:  # GUILD_CREATE leaves out the ids
                member.pop("id")
                member.pop("user_id")
            view["member"] = member
        return view

    def _check_thread_writable(self, channel_id: int, channel: JSON) -> None:
        """Raise like Discord when writing to a locked, archived thread."""
        if channel_id not in self.threads:
            return
        meta = channel["thread_metadata"]
        if meta["archived"] and meta.get("locked"):
            raise ApiError(
                400,
                50083,
                "Thread is archived",
                violation="message to a locked archived thread (50083)",
            )

    async def _touch_thread(self, channel_id: int, *, by_user: bool) -> None:
        """Unarchive an archived (unlocked) thread on a new message, like Discord does."""
        thread = self.threads.get(channel_id)
        if thread is None:
            return
        meta = thread["thread_metadata"]
        if meta["archived"] and not meta.get("locked"):
            meta["archived"] = False
            meta["archive_timestamp"] = now_iso()
            await self._dispatch_thread_update(thread)
        elif by_user and meta["archived"]:
            raise ValueError("cannot post into a locked archived thread")

    def _new_thread(
        self,
        thread_id: int,
        parent_id: int,
        name: str,
        thread_type: int,
        auto_archive_duration: int | None,
        rate_limit_per_user: int | None,
    ) -> JSON:
        """Create and store a thread channel object."""
        parent = self.channels[parent_id]
        stamp = now_iso()
        thread: JSON = {
            "id": str(thread_id),
            "type": thread_type,
            "guild_id": str(self.guild_id),
            "parent_id": str(parent_id),
            "owner_id": self.bot_user["id"],
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "total_message_sent": 0,
            "member_count": 1,
            "rate_limit_per_user": rate_limit_per_user or 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive_duration
                or parent.get("default_auto_archive_duration", 1440),
                "archive_timestamp": stamp,
                "locked": False,
                "create_timestamp": stamp,
            },
        }
        self.threads[thread_id] = thread
        self._messages[thread_id] = {}
        return thread
