"""What a frontend may ask of a stored conversation: its customer, messages, tickets."""

from __future__ import annotations

from bot.store import Ticket
from bot.tools.context import Services


class Lookups:
    """Reads of a conversation by its key, for the frontends (a part of SupportEngine)."""

    services: Services

    async def customer_id(self, key: str) -> str | None:
        """The id of the conversation's customer, if the conversation exists."""
        conversation = await self.services.store.get_conversation(key)
        return conversation.customer_id if conversation else None

    async def user_messages(self, key: str) -> int:
        """How many user messages the conversation holds (0 if there is none)."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None:
            return 0
        history = await self.services.store.load_history(conversation.id)
        return sum(1 for m in history if m.role == "user")

    async def tickets(self, key: str) -> list[Ticket]:
        """The conversation's tickets, oldest first."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None:
            return []
        return await self.services.store.tickets_for_conversation(conversation.id)
