"""What a tool call needs to know and reach: who is talking, where, and the services."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel
from pydantic_core import to_json

from bot.desk.desk import Person, TicketDesk
from bot.helpcenter.index import HelpCenter
from bot.llm.structured import StructuredModel
from bot.store import Conversation, Store

if TYPE_CHECKING:
    from bot.tools.actions.confirm import Confirmer


@dataclass(frozen=True)
class Customer(Person):
    """The person who wrote the turn, as the frontend knows them (never from model output)."""

    mention: str | None = None


class AttachmentReader(Protocol):
    """Reads the bytes of an attachment the platform delivered."""

    async def read(self, url: str) -> bytes:
        """The bytes of the attachment the platform delivered at this URL."""
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
    # Asks the customer before a consequential action (the frontend's); None: never asked,
    # so a consequential action is not done.
    confirmer: Confirmer | None = None


@dataclass(frozen=True)
class SupportContext:
    """Everything a tool call may use during one turn.

    `turn` names the turn by the newest stored message it answers: the same after a crash,
    when the next start answers those words again, so `request_key` gives a retried turn's
    calls the keys of the first try, whatever call ids the model invents (some servers say
    `call_1` every time, others nothing).
    """

    services: Services
    conversation: Conversation
    customer: Customer
    thread_url: str | None = None
    turn: str = ""

    def request_key(self, tool_name: str, arguments: BaseModel | Mapping[str, object]) -> str:
        """The key of a call's request: the turn, the tool and what it asks for (case and
        spacing aside), so the same request in the same turn is one request.

        The arguments as a model or as the mapping of a tool function's arguments, in the
        order it declares them: both serialize alike (pydantic's JSON).
        """
        if isinstance(arguments, BaseModel):
            dumped = arguments.model_dump_json()
        else:
            dumped = to_json(arguments).decode()
        asked = " ".join(dumped.lower().split())
        return f"{self.turn}:{tool_name}:{hashlib.sha256(asked.encode()).hexdigest()[:16]}"
