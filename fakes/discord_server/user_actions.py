"""User-side actions: messages, edits, deletions and typing by fake users."""

from __future__ import annotations

import copy
import time

from fakes.discord_server.constants import INTENT_GUILD_MESSAGE_TYPING, JSON
from fakes.discord_server.models import now_iso


class UserActions:
    """What fake users do: post, edit, delete, type; moderators archive threads."""

    def _channel_or_thread(self, channel_id: int) -> JSON | None:
        """Return the stored channel or thread."""
        return self.channels.get(channel_id) or self.threads.get(channel_id)

    def _partial_member(self, user_id: int) -> JSON:
        """Return the member object without ``user`` (as in MESSAGE_CREATE)."""
        member = self.members.get(user_id)
        if member is None:
            member = self._member_payload({}, [])
        return {k: copy.deepcopy(v) for k, v in member.items() if k != "user"}

    async def send_user_message(
        self,
        channel_id: int,
        author: JSON,
        content: str,
        attachments: list[JSON] | None = None,
        *,
        reply_to: int | None = None,
        embeds: list[JSON] | None = None,
    ) -> JSON:
        """Store a message by ``author`` in a channel/thread and dispatch MESSAGE_CREATE.

        In a private thread only its members and members with Manage Threads (e.g.
        ``add_user("agent", roles=[fake.staff_role_id])``) can write: anyone else gets
        ``PermissionError``, as Discord answers them 403. Writing in a thread makes the author
        a member of it, as in Discord (THREAD_MEMBERS_UPDATE).
        """
        channel_id = int(channel_id)
        channel = self._channel_or_thread(channel_id)
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        author_id = int(author["id"])
        if author_id in self.members and not self.can_view(author_id, channel_id):
            raise PermissionError(
                f"{author['username']} cannot see channel {channel_id} (a private thread they"
                " were not added to, without Manage Threads): Discord answers 403"
            )
        await self._touch_thread(channel_id, by_user=True)
        reference = None
        mentions, mention_roles, everyone = self._parse_mentions(content)
        if reply_to is not None:
            if int(reply_to) not in self._messages[channel_id]:
                raise KeyError(f"unknown message {reply_to} in channel {channel_id}")
            reference = self._resolve_reference(channel_id, {"message_id": reply_to})
            assert reference is not None
            replied = self._messages[channel_id][int(reply_to)]["author"]
            if replied["id"] not in {u["id"] for u in mentions}:
                mentions.append(copy.deepcopy(replied))
        message = self._build_message(
            channel_id,
            author,
            content,
            embeds=embeds or [],
            attachments=[copy.deepcopy(a) for a in attachments or []],
            reference=reference,
            mentions=mentions,
            mention_roles=mention_roles,
            mention_everyone=everyone,
        )
        await self._store_and_dispatch_message(message)
        if channel_id in self.threads and author_id in self.members:
            await self._join_thread(channel_id, author_id)
        return copy.deepcopy(message)

    async def edit_user_message(self, channel_id: int, message_id: int, content: str) -> JSON:
        """Edit a stored message as its author would and dispatch MESSAGE_UPDATE."""
        message = self._messages[int(channel_id)][int(message_id)]
        message["content"] = content
        message["edited_timestamp"] = now_iso()
        await self._dispatch_message_event("MESSAGE_UPDATE", message)
        return copy.deepcopy(message)

    async def delete_user_message(self, channel_id: int, message_id: int) -> None:
        """Delete a stored message and dispatch MESSAGE_DELETE."""
        await self._remove_message(int(channel_id), int(message_id))

    async def send_user_typing(self, channel_id: int, author: JSON) -> None:
        """Dispatch TYPING_START for a user in a channel/thread."""
        data = {
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "user_id": author["id"],
            "timestamp": int(time.time()),
            "member": {**self._partial_member(int(author["id"])), "user": author},
        }
        if self._bot_can_view(int(channel_id)):
            await self._broadcast("TYPING_START", data, INTENT_GUILD_MESSAGE_TYPING)

    async def set_thread_archived(
        self, thread_id: int, archived: bool = True, locked: bool = False
    ) -> None:
        """Archive (or unarchive) a thread as a moderator would; dispatches THREAD_UPDATE."""
        thread = self.threads[int(thread_id)]
        meta = thread["thread_metadata"]
        meta.update(archived=archived, locked=locked, archive_timestamp=now_iso())
        await self._dispatch_thread_update(thread)
