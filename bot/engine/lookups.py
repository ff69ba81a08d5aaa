"""What a frontend may ask of the engine: a stored conversation's customer, messages and
tickets; the desk and the help center."""

from __future__ import annotations

from bot.desk.desk import TicketDesk
from bot.helpcenter.index import HelpCenter
from bot.store import Ticket
from bot.tools.context import Services


class Lookups:
    """Reads of a conversation by its key, for the frontends (a part of SupportEngine)."""

    services: Services

    async def prepare(self) -> None:
        """Work best done before the first customer: the help-center index."""
        if self.services.help_center is not None:
            await self.services.help_center.refresh()

    @property
    def desk(self) -> TicketDesk:
        """The staff desk: ticket lifecycle, pages and statistics."""
        return self.services.desk

    @property
    def help_center(self) -> HelpCenter:
        """The help center: its index and the questions it could not answer."""
        if self.services.help_center is None:
            raise RuntimeError("this engine has no help center")
        return self.services.help_center

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
