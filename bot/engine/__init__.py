"""The engine: the one entry every frontend calls, and what it says back."""

from bot.engine.engine import SupportEngine
from bot.engine.events import (
    EngineEvent,
    Incoming,
    Notice,
    ReplyText,
    ToolFinished,
    ToolStarted,
    TurnEnded,
    TurnStarted,
    Waiting,
)
from bot.engine.recovery import CutTurn

__all__ = [
    "CutTurn",
    "EngineEvent",
    "Incoming",
    "Notice",
    "ReplyText",
    "SupportEngine",
    "ToolFinished",
    "ToolStarted",
    "TurnEnded",
    "TurnStarted",
    "Waiting",
]
