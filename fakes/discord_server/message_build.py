"""Building messages: references, uploads, mentions, and their gateway shape."""

from __future__ import annotations

import copy
import re
from typing import Any

from fakes.discord_server.components import normalize_components
from fakes.discord_server.constants import (
    _ROLE_MENTION,
    _USER_MENTION,
    JSON,
    MESSAGE_TYPE_DEFAULT,
    MESSAGE_TYPE_REPLY,
)
from fakes.discord_server.media import _guess_type, _strip_nulls
from fakes.discord_server.models import ApiError, UploadedFile, now_iso
from fakes.discord_spec import SpecViolation, discord_error_body


class MessageBuild:
    """Building message objects and storing them."""

    def _resolve_reference(self, channel_id: int, ref: JSON | None) -> JSON | None:
        """Validate a ``message_reference`` and return the echoed reference object."""
        if not ref:
            return None
        ref_channel = int(ref.get("channel_id") or channel_id)
        ref_id = int(ref["message_id"])
        target = self._messages.get(ref_channel, {}).get(ref_id)
        if target is None and ref.get("fail_if_not_exists", True) is not False:
            problem = SpecViolation(
                ("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
            )
            error = ApiError(400, 50035, "Invalid Form Body", violation=problem.describe())
            error.body = discord_error_body([problem])
            raise error
        if target is None:
            return None
        return {
            "type": int(ref.get("type") or 0),
            "channel_id": str(ref_channel),
            "message_id": str(ref_id),
            "guild_id": str(self.guild_id),
        }

    def _attachments_from_upload(
        self, meta: list[JSON] | None, files: list[UploadedFile]
    ) -> list[JSON]:
        """Turn uploaded ``files[n]`` parts into attachment objects served by the fake CDN."""
        by_index = {str(m.get("id")): m for m in meta or []}
        out = []
        for index, upload in enumerate(files):
            match = re.fullmatch(r"files\[(\d+)\]", upload.field_name)
            key = match.group(1) if match else str(index)
            info = by_index.get(key, {})
            content_type = upload.content_type
            if content_type == "application/octet-stream":
                content_type = _guess_type(upload.filename)
            out.append(
                self.add_attachment(
                    info.get("filename") or upload.filename,
                    upload.data,
                    content_type,
                    description=info.get("description"),
                )
            )
        return out

    def _parse_mentions(self, content: str) -> tuple[list[JSON], list[str], bool]:
        """Return (mentioned users, mentioned role ids, mention_everyone) for user content."""
        users = []
        seen: set[int] = set()
        for raw in _USER_MENTION.findall(content):
            uid = int(raw)
            if uid in self.users and uid not in seen:
                seen.add(uid)
                users.append(copy.deepcopy(self.users[uid]))
        roles = [r for r in dict.fromkeys(_ROLE_MENTION.findall(content)) if int(r) in self.roles]
        everyone = "@everyone" in content or "@here" in content
        return users, roles, everyone

    def _bot_mentions(
        self, body: JSON, reference: JSON | None
    ) -> tuple[list[JSON], list[str], bool]:
        """Apply ``allowed_mentions`` to the mentions found in a bot message."""
        users, roles, everyone = self._parse_mentions(body.get("content") or "")
        allowed = body.get("allowed_mentions")
        replied_user = allowed is None or bool(allowed.get("replied_user"))
        if allowed is not None:
            parse = allowed.get("parse") or []
            allowed_users = {str(u) for u in allowed.get("users") or []}
            allowed_roles = {str(r) for r in allowed.get("roles") or []}
            users = [u for u in users if "users" in parse or u["id"] in allowed_users]
            roles = [r for r in roles if "roles" in parse or r in allowed_roles]
            everyone = everyone and "everyone" in parse
        if reference is not None and replied_user:
            target = self._messages[int(reference["channel_id"])][int(reference["message_id"])]
            author = target["author"]
            if author["id"] not in {u["id"] for u in users}:
                users.append(copy.deepcopy(author))
        return users, roles, everyone

    def _bot_message(
        self,
        channel_id: int,
        body: JSON,
        files: list[UploadedFile],
        *,
        reference: JSON | None,
        flags: int,
        nonce: Any = None,
    ) -> JSON:
        """Build the message a bot's request body makes (a message, or an interaction's
        response or followup): its content, embeds, uploads, components, and the mentions
        ``allowed_mentions`` lets through."""
        attachments = self._attachments_from_upload(body.get("attachments"), files)
        mentions, mention_roles, everyone = self._bot_mentions(body, reference)
        return self._build_message(
            channel_id,
            self.bot_user,
            body.get("content") or "",
            embeds=[_strip_nulls(e) for e in body.get("embeds") or []],
            attachments=attachments,
            components=normalize_components(body.get("components") or []),
            reference=reference,
            mentions=mentions,
            mention_roles=mention_roles,
            mention_everyone=everyone,
            tts=bool(body.get("tts")),
            flags=flags,
            nonce=nonce,
        )

    def _build_message(
        self,
        channel_id: int,
        author: JSON,
        content: str,
        *,
        embeds: list[JSON],
        attachments: list[JSON],
        reference: JSON | None,
        mentions: list[JSON],
        mention_roles: list[str],
        mention_everyone: bool,
        components: list[JSON] | None = None,
        tts: bool = False,
        flags: int = 0,
        nonce: Any = None,
    ) -> JSON:
        """Build a REST-shaped message object."""
        message: JSON = {
            "id": str(self._snowflakes.next()),
            "channel_id": str(channel_id),
            "author": copy.deepcopy(author),
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": tts,
            "mention_everyone": mention_everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments,
            "embeds": embeds,
            "components": components or [],
            "pinned": False,
            "type": MESSAGE_TYPE_DEFAULT,
            "flags": flags,
        }
        if nonce is not None:
            message["nonce"] = nonce
        if reference is not None:
            message["message_reference"] = reference
            if reference["type"] == 0:
                message["type"] = MESSAGE_TYPE_REPLY
            target = self._messages[int(reference["channel_id"])][int(reference["message_id"])]
            referenced = copy.deepcopy(target)
            referenced.pop("referenced_message", None)
            message["referenced_message"] = referenced
        return message

    async def _store_and_dispatch_message(self, message: JSON) -> None:
        """Store a new message, update channel counters and dispatch MESSAGE_CREATE."""
        channel_id = int(message["channel_id"])
        self._messages[channel_id][int(message["id"])] = message
        channel = self._channel_or_thread(channel_id)
        assert channel is not None
        channel["last_message_id"] = message["id"]
        if channel_id in self.threads:
            message["position"] = channel["total_message_sent"]
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        await self._dispatch_message_event("MESSAGE_CREATE", message)

    def _gateway_message(self, message: JSON) -> JSON:
        """Return the gateway form of a message (adds guild_id and member objects)."""
        data = copy.deepcopy(message)
        data["guild_id"] = str(self.guild_id)
        author_id = int(data["author"]["id"])
        if author_id in self.members:
            data["member"] = self._partial_member(author_id)
        for mention in data["mentions"]:
            if int(mention["id"]) in self.members:
                mention["member"] = self._partial_member(int(mention["id"]))
        return data

    def _redact(self, data: JSON) -> JSON:
        """Strip content fields like Discord does without the MESSAGE_CONTENT intent."""
        mentioned = any(m["id"] == self.bot_user["id"] for m in data.get("mentions", []))
        if data["author"]["id"] == self.bot_user["id"] or mentioned:
            return data
        data.update(content="", embeds=[], attachments=[], components=[])
        data.pop("poll", None)
        return data
