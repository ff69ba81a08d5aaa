"""Archiving: conversations idle for ARCHIVE_AFTER_DAYS are archived on their platform (fewer
active threads, which Discord caps per server). The customer's next message reopens the
thread, and the conversation goes on with its whole history: nothing is deleted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.store import QuietConversation, Store


class Archive:
    """Which conversations are idle long enough to archive, on an injectable clock."""

    def __init__(
        self,
        store: Store,
        *,
        after_days: int,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.after = dt.timedelta(days=after_days) if after_days > 0 else None
        self.clock = clock

    async def due(self, key_prefix: str = "") -> list[QuietConversation]:
        """Conversations whose last message is older than ARCHIVE_AFTER_DAYS, not archived
        since, with no ticket staff are working on (0 days: none, archiving is off)."""
        if self.after is None:
            return []
        return await self.store.idle_conversations(self.clock() - self.after, key_prefix)

    async def archived(self, conversation_id: int) -> None:
        """The conversation's thread is archived now."""
        await self.store.mark_archived(conversation_id)
