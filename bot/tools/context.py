"""What a tool call needs to know and reach: who is talking, where, and the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.desk.desk import Person, TicketDesk
from bot.helpcenter.index import HelpCenter
from bot.llm.structured import StructuredModel
from bot.store import Attachment, Conversation, Store


@dataclass(frozen=True)
class Customer(Person):
    """The person who wrote the turn, as the frontend knows them (never from model output)."""

    mention: str | None = None


class AttachmentReader(Protocol):
    """Reads the bytes of an attachment the platform delivered."""

    async def read(self, attachment: Attachment) -> bytes:
        """The attachment's bytes."""
        ...


@dataclass(frozen=True)
class Services:
    """Long-lived collaborators of the tools."""

    store: Store
    desk: TicketDesk
    attachments: AttachmentReader
    vision: StructuredModel
    # Whether a typed image link may be handed to the vision model (ALLOW_IMAGE_URLS).
    allow_image_urls: bool
    help_center: HelpCenter | None = None


@dataclass(frozen=True)
class SupportContext:
    """Everything a tool call may use during one turn."""

    services: Services
    conversation: Conversation
    customer: Customer
    thread_url: str | None = None
