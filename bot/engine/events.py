"""What a frontend and the engine say to each other: a message in, events out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# What the agent loop yields of the reply and its tool calls, passed on as it is.
from bot.llm.agent import ReplyText, ToolFinished, ToolStarted

# A file delivered with a message: defined with the store's records, which keep it as it
# came, and a part of what a frontend hands the engine.
from bot.store import Attachment

__all__ = [
    "Attachment",
    "EngineEvent",
    "Incoming",
    "Notice",
    "ReplyText",
    "ToolFinished",
    "ToolStarted",
    "TurnEnded",
    "TurnStarted",
    "Waiting",
]


@dataclass(frozen=True)
class Incoming:
    """A message as any frontend hands it to the engine.

    `conversation` is the frontend's key for the conversation (a Discord thread, a terminal
    chat). `author_is_staff` is what the platform says of the author's permissions; the
    engine decides from it, and from who the conversation's customer is, how to treat the
    message. `opens` starts the conversation with this message when there is none yet: its
    author becomes the customer.
    """

    conversation: str
    author_id: str
    author_name: str
    text: str
    attachments: Sequence[Attachment] = ()
    message_id: int | None = None
    author_is_staff: bool = False
    opens: bool = False
    channel_id: int | None = None
    link: str | None = None


@dataclass(frozen=True)
class Notice:
    """A message of the engine's own to show in the conversation (not a model reply)."""

    text: str


@dataclass(frozen=True)
class Waiting:
    """The answer is delayed: the customer's turn pace (`seconds`, about how long) or a
    free model slot (`seconds` None: not known). The frontend shows a sign of life, so
    nobody waits in silence; the answer follows and may replace it."""

    seconds: float | None = None


@dataclass(frozen=True)
class TurnStarted:
    """The assistant starts answering: a reply follows, ended by a TurnEnded."""


@dataclass(frozen=True)
class TurnEnded:
    """The last event of a turn: the whole reply and a closing notice ("" for none).

    `notice` explains a reply that is cut or failed; the frontend shows it after the text.
    """

    text: str
    notice: str = ""
    # The turn failed for a passing reason and the engine tries once more at once: the
    # notice says so, and another turn follows.
    retrying: bool = False
    # The customer wrote again before the reply got far: it is dropped (never stored) and
    # the next turn, which reads the new message too, writes over what it showed.
    replaced: bool = False


EngineEvent = Notice | Waiting | TurnStarted | ReplyText | ToolStarted | ToolFinished | TurnEnded
