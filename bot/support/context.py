"""What a tool call needs to know and reach: who is talking, where, and the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.llm.structured import StructuredModel
from bot.store import Attachment, Conversation, ReceiptRecord, Store, Ticket


@dataclass(frozen=True)
class Customer:
    """The person who wrote the turn, as the frontend knows them (never from model output)."""

    id: str
    display_name: str
    mention: str | None = None


class TicketNotifier(Protocol):
    """Tells staff about a new ticket; returns the id of the post, when there is one."""

    async def ticket_created(self, ticket: Ticket, receipt: ReceiptRecord | None) -> int | None:
        """Post the ticket where staff work."""
        ...


class AttachmentReader(Protocol):
    """Reads the bytes of an attachment the platform delivered."""

    async def read(self, attachment: Attachment) -> bytes:
        """The attachment's bytes."""
        ...


@dataclass(frozen=True)
class Services:
    """Long-lived collaborators of the tools."""

    store: Store
    notifier: TicketNotifier
    attachments: AttachmentReader
    vision: StructuredModel


@dataclass(frozen=True)
class SupportContext:
    """Everything a tool call may use during one turn."""

    services: Services
    conversation: Conversation
    customer: Customer
    thread_url: str | None = None
