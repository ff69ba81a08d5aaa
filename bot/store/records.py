"""Typed rows the store hands out."""

from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


def parse_time(stamp: str | dt.datetime) -> dt.datetime:
    """A stored timestamp (ISO 8601 text in UTC, as both dialects write it) as a datetime."""
    if isinstance(stamp, dt.datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def parse_times(record: object, *names: str) -> None:
    """In a frozen record's `__post_init__`: each named field (None stays None) as a
    datetime, whatever the row handed over."""
    for name in names:
        value = getattr(record, name)
        if value is not None:
            object.__setattr__(record, name, parse_time(value))


def format_time(moment: dt.datetime) -> str:
    """A moment as the store writes and compares timestamps (ISO 8601, UTC, milliseconds)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class TicketStatus(enum.StrEnum):
    """Where a ticket is: open for staff, claimed by one of them, or resolved."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Conversation:
    """One support conversation: a Discord thread or a named terminal chat."""

    id: int
    key: str
    channel_id: int | None
    customer_id: str | None
    customer_name: str | None


@dataclass(frozen=True)
class StoredMessage:
    """One message of a conversation's history, in the chat API's terms."""

    id: int
    role: Role
    content: str | None
    tool_calls: list[dict[str, Any]] | None
    tool_call_id: str | None
    status: str

    def __post_init__(self) -> None:
        # A row hands the tool calls over as JSON text (NULL or empty when there are none).
        if isinstance(self.tool_calls, str):
            calls = json.loads(self.tool_calls) if self.tool_calls else None
            object.__setattr__(self, "tool_calls", calls)

    def to_chat(self) -> dict[str, Any]:
        """The message as the chat completions API takes it."""
        message: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        return message


@dataclass(frozen=True)
class NewMessage:
    """A message to append to a conversation."""

    role: Role
    content: str | None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    author_id: str | None = None
    discord_message_id: int | None = None
    status: str = "complete"
    author_kind: str | None = None
    # A customer message a turn is to answer: due until the answer (or a failure notice) is
    # stored, so a crash in between leaves it due for the next start.
    answer_due: bool = False

    @classmethod
    def from_chat(cls, message: dict[str, Any], *, status: str = "complete") -> NewMessage:
        """Build from a chat API message dict."""
        return cls(
            role=message["role"],
            content=message.get("content"),
            tool_calls=message.get("tool_calls") or None,
            tool_call_id=message.get("tool_call_id"),
            status=status,
        )

    def tool_calls_json(self) -> str | None:
        """The tool calls serialised for storage."""
        return json.dumps(self.tool_calls) if self.tool_calls else None


@dataclass(frozen=True)
class Attachment:
    """A file delivered with a message, as the platform describes it (the engine takes it
    in `Incoming` and the store keeps it as it is)."""

    url: str
    filename: str
    content_type: str | None
    size: int


@dataclass(frozen=True)
class ReceiptRecord:
    """A receipt read by the vision model."""

    id: int
    conversation_id: int
    image_url: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Ticket:
    """A ticket opened for staff."""

    id: int
    conversation_id: int
    request_key: str | None
    customer_name: str
    issue: str
    user_id: str | None
    user_display: str | None
    thread_url: str | None
    receipt_id: int | None
    status: TicketStatus
    staff_message_id: int | None
    created_at: dt.datetime
    claimed_by: str | None = None
    claimed_by_name: str | None = None
    claimed_at: dt.datetime | None = None
    channel_id: int | None = None
    staff_post_url: str | None = None

    def __post_init__(self) -> None:
        # A row hands the status and the times over as text.
        object.__setattr__(self, "status", TicketStatus(self.status))
        parse_times(self, "created_at", "claimed_at")


@dataclass(frozen=True)
class Usage:
    """Token usage of one turn."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    rounds: int
    cached_tokens: int = 0


@dataclass(frozen=True)
class TicketEvent:
    """A status change of a ticket: to which status, by whom, when."""

    ticket_id: int
    status: str
    actor_id: str | None
    actor_name: str | None
    created_at: dt.datetime

    def __post_init__(self) -> None:
        parse_times(self, "created_at")


@dataclass(frozen=True)
class Standing:
    """A conversation as a new message finds it: the ticket staff may hold, and the model
    tokens its customer used in the last 24 hours (the cost cap)."""

    conversation: Conversation
    active_ticket: Ticket | None
    tokens_today: int


@dataclass(frozen=True)
class TurnStart:
    """What a turn reads as it begins: the history from the context start, and the
    conversation's active ticket (staff may have claimed it meanwhile)."""

    history: list[StoredMessage]
    active_ticket: Ticket | None
    # Whether any message of the conversation still waits for an answer.
    due: bool = True
