"""Where a customer's words in the support channel belong: the conversation they already
have, and which public originals were carried into a conversation (so may go)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.store.database import Database, from_row
from bot.store.records import Conversation, format_time


class PlacementQueries(Database):
    """Reads of placing a support-channel message (each one round trip, by index)."""

    async def latest_conversation_of(
        self, customer_id: str, key_prefix: str, since: dt.datetime
    ) -> Conversation | None:
        """The customer's most recent conversation (key starting with `key_prefix`) with
        a message since `since`; None when there is none."""
        row = await self._one(
            "SELECT id, key, channel_id, customer_id, customer_name FROM conversations"
            " WHERE customer_id = ? AND key LIKE ? AND updated_at >= ?"
            " ORDER BY updated_at DESC, id DESC LIMIT 1",
            (customer_id, f"{key_prefix}%", format_time(since)),
        )
        return from_row(Conversation, row) if row else None

    async def carried_messages(
        self, authors: Sequence[str], message_ids: Sequence[int], key_prefix: str
    ) -> dict[int, list[str]]:
        """Which of these messages (by their platform id) are stored as customer words of
        one of their authors' conversations held elsewhere (not a thread made from the
        message itself), with the URLs of the attachments stored from each."""
        if not authors or not message_ids:
            return {}
        who = ", ".join("?" for _ in authors)
        which = ", ".join("?" for _ in message_ids)
        rows = await self._all(
            "SELECT m.discord_message_id, a.url FROM conversations c"
            " JOIN messages m ON m.conversation_id = c.id"
            " LEFT JOIN attachments a ON a.conversation_id = c.id"
            "  AND a.discord_message_id = m.discord_message_id"
            f" WHERE c.customer_id IN ({who}) AND c.key LIKE ?"
            f" AND m.discord_message_id IN ({which}) AND m.author_kind = 'customer'"
            " AND (c.channel_id IS NULL OR c.channel_id != m.discord_message_id)",
            (*authors, f"{key_prefix}%", *message_ids),
        )
        carried: dict[int, list[str]] = {}
        for message_id, url in rows:
            urls = carried.setdefault(int(message_id), [])
            if url is not None:
                urls.append(str(url))
        return carried
