"""Where a customer's words belong: the rules a frontend asks before opening a conversation.

A customer whose conversation is under way (a message in the last `ONGOING` window) joins
it rather than opening a second one; a public original is kept until its words are stored
in a conversation, and may go once they are (`carried`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.store import Conversation, Store

# A conversation with a message this recent is still under way: the customer's next words
# anywhere join it (a day of quiet and it counts as resolved, see `stats`).
ONGOING = dt.timedelta(hours=24)


class Placement:
    """The store's answers to where a message belongs."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def ongoing(self, customer_id: str, key_prefix: str) -> Conversation | None:
        """The customer's conversation under way, if any (the most recent one)."""
        since = dt.datetime.now(dt.UTC) - ONGOING
        return await self._store.latest_conversation_of(customer_id, key_prefix, since)

    async def carried(
        self, authors: Sequence[str], message_ids: Sequence[int], key_prefix: str
    ) -> dict[int, list[str]]:
        """Of these public messages, those whose words a conversation holds (stored, so
        safe to remove), each with the attachment URLs stored from it."""
        return await self._store.carried_messages(authors, message_ids, key_prefix)
