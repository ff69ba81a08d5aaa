"""What the engine tells a frontend while it answers: reply text, tool activity, the end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplyText:
    """A piece of the reply, to show as it comes."""

    text: str


@dataclass(frozen=True)
class ToolStarted:
    """The assistant called a tool (by its name)."""

    name: str


@dataclass(frozen=True)
class ToolFinished:
    """A tool call finished; `result` is what the assistant got back."""

    name: str
    ok: bool
    result: str


@dataclass(frozen=True)
class TurnEnded:
    """The last event of a turn: the whole reply and a closing notice ("" for none).

    `notice` explains a reply that is cut or failed; the frontend shows it after the text.
    """

    text: str
    notice: str = ""


EngineEvent = ReplyText | ToolStarted | ToolFinished | TurnEnded
