"""REST routes of channels and messages: list, get, create, edit, delete, typing, reactions."""

from __future__ import annotations

import copy

from aiohttp import web

from fakes.discord_server.components import normalize_components
from fakes.discord_server.constants import (
    INTENT_GUILD_MESSAGE_REACTIONS,
    INTENT_GUILDS,
    JSON,
    MESSAGE_FLAG_HAS_THREAD,
    P_MANAGE_MESSAGES,
)
from fakes.discord_server.media import _strip_nulls
from fakes.discord_server.models import ApiCall, ApiError, UploadedFile, now_iso
from fakes.discord_spec import is_empty_message


class MessageRoutes:
    """REST routes of channels, messages, typing and reactions."""

    async def _get_channel(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}."""
        _, channel = self._require_channel(call)
        return self._ok(channel)

    async def _patch_channel(self, call: ApiCall) -> web.StreamResponse:
        """PATCH /channels/{channel_id} (thread archive/lock/rename or channel edit)."""
        channel_id, channel = self._require_channel(call)
        body: JSON = call.body or {}
        if channel_id in self.threads:
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if body.get(key) is not None:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = now_iso()
            for key in ("name", "rate_limit_per_user", "flags", "applied_tags"):
                if body.get(key) is not None:
                    channel[key] = body[key]
            await self._dispatch_thread_update(channel)
        else:
            for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position"):
                if key in body:
                    channel[key] = body[key]
            await self._broadcast("CHANNEL_UPDATE", copy.deepcopy(channel), INTENT_GUILDS)
        return self._ok(channel)

    async def _get_message(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}/messages/{message_id}."""
        _, message = self._require_message(call)
        return self._ok(self._rest_view(message))

    def _rest_view(self, message: JSON) -> JSON:
        """Return a message as REST shows it (content redacted without the privileged intent)."""
        if "message_content" in self.allowed_privileged_intents:
            return message
        return self._redact(copy.deepcopy(message))

    async def _create_message(self, call: ApiCall) -> web.StreamResponse:
        """POST /channels/{channel_id}/messages (JSON or multipart)."""
        channel_id, channel = self._require_channel(call)
        body: JSON = call.body if isinstance(call.body, dict) else {}
        if is_empty_message(body, len(call.files)):
            raise ApiError(
                400, 50006, "Cannot send an empty message", violation="empty message (50006)"
            )
        nonce = body.get("nonce")
        nonce_key = (channel_id, self.bot_user_id, str(nonce))
        if nonce is not None and body.get("enforce_nonce") and nonce_key in self._nonces:
            existing = self._messages[channel_id].get(self._nonces[nonce_key])
            if existing is not None:
                return self._ok(existing)
        self._require_bot_access(channel_id)
        self._check_thread_writable(channel_id, channel)
        await self._touch_thread(channel_id, by_user=False)
        reference = self._resolve_reference(channel_id, body.get("message_reference"))
        message = self._bot_message(
            channel_id,
            body,
            call.files,
            reference=reference,
            flags=int(body.get("flags") or 0),
            nonce=nonce,
        )
        if nonce is not None:
            self._nonces[nonce_key] = int(message["id"])
        await self._store_and_dispatch_message(message)
        if channel_id in self.threads:
            await self._join_thread(channel_id, self.bot_user_id)
            await self._add_mentioned(channel_id, message["mentions"])
        return self._ok(message)

    async def _edit_message(self, call: ApiCall) -> web.StreamResponse:
        """PATCH /channels/{channel_id}/messages/{message_id}."""
        _, message = self._require_message(call)
        body: JSON = call.body if isinstance(call.body, dict) else {}
        if message["author"]["id"] != self.bot_user["id"] and set(body) - {"flags"}:
            raise ApiError(
                403,
                50005,
                "Cannot edit a message authored by another user",
                violation="edit of a message authored by another user (50005)",
            )
        updated = self._edited_copy(message, body, call.files)
        message.clear()
        message.update(updated)
        await self._dispatch_message_event("MESSAGE_UPDATE", message)
        return self._ok(message)

    def _edited_copy(
        self,
        message: JSON,
        body: JSON,
        files: list[UploadedFile],
        *,
        keep_flags: int = MESSAGE_FLAG_HAS_THREAD,
    ) -> JSON:
        """Return ``message`` with an edit body applied (raises 50006 if it would be empty)."""
        updated = copy.deepcopy(message)
        if "content" in body:
            updated["content"] = body["content"] or ""
        if "embeds" in body:
            updated["embeds"] = [_strip_nulls(e) for e in body["embeds"] or []]
        if "components" in body:
            updated["components"] = normalize_components(body["components"] or [])
        if body.get("flags") is not None:
            updated["flags"] = int(body["flags"]) | (message["flags"] & keep_flags)
        if "attachments" in body or files:
            keep_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in message["attachments"] if a["id"] in keep_ids]
            new = self._attachments_from_upload(body.get("attachments"), files)
            updated["attachments"] = kept + new
        if is_empty_message(updated, len(updated["attachments"])):
            raise ApiError(
                400,
                50006,
                "Cannot send an empty message",
                violation="edit would empty the message (50006)",
            )
        updated["edited_timestamp"] = now_iso()
        return updated

    async def _delete_message(self, call: ApiCall) -> web.StreamResponse:
        """DELETE /channels/{channel_id}/messages/{message_id}.

        Another user's message needs Manage Messages in the channel (403 50013 without it).
        """
        channel_id, message = self._require_message(call)
        if message["author"]["id"] != self.bot_user["id"]:
            self._require_bot_permission(channel_id, P_MANAGE_MESSAGES)
        await self._remove_message(channel_id, int(message["id"]))
        return self._no_content()

    async def _remove_message(self, channel_id: int, message_id: int) -> None:
        """Delete a stored message, count it out of its thread, dispatch MESSAGE_DELETE."""
        del self._messages[channel_id][message_id]
        thread = self.threads.get(channel_id)
        if thread is not None:
            thread["message_count"] = max(thread["message_count"] - 1, 0)
        await self._dispatch_delete(channel_id, message_id)

    async def _typing(self, call: ApiCall) -> web.StreamResponse:
        """POST /channels/{channel_id}/typing."""
        self._require_channel(call)
        return self._no_content()

    async def _own_reaction(self, call: ApiCall) -> web.StreamResponse:
        """PUT/DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me."""
        channel_id, message = self._require_message(call)
        emoji_raw = call.params["emoji_name"]
        name, _, emoji_id = emoji_raw.partition(":")
        emoji = {"id": emoji_id or None, "name": name}
        reactions: list[JSON] = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["emoji"] == emoji), None)
        if call.method == "PUT":
            if entry is None:
                entry = {
                    "count": 0,
                    "count_details": {"burst": 0, "normal": 0},
                    "me": False,
                    "me_burst": False,
                    "burst_colors": [],
                    "emoji": emoji,
                }
                reactions.append(entry)
            if not entry["me"]:
                entry["me"] = True
                entry["count"] += 1
                entry["count_details"]["normal"] += 1
            event = "MESSAGE_REACTION_ADD"
        else:
            if entry is not None and entry["me"]:
                entry["me"] = False
                entry["count"] -= 1
                entry["count_details"]["normal"] -= 1
                if entry["count"] <= 0:
                    reactions.remove(entry)
            event = "MESSAGE_REACTION_REMOVE"
        data: JSON = {
            "user_id": self.bot_user["id"],
            "channel_id": str(channel_id),
            "message_id": message["id"],
            "guild_id": str(self.guild_id),
            "emoji": emoji,
            "burst": False,
            "type": 0,
        }
        if event == "MESSAGE_REACTION_ADD":
            data["member"] = copy.deepcopy(self.members[self.bot_user_id])
            data["message_author_id"] = message["author"]["id"]
        await self._broadcast(event, data, INTENT_GUILD_MESSAGE_REACTIONS)
        return self._no_content()
