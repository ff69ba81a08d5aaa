"""The engine: the one entry every frontend calls, and what it says back (`events`)."""

from bot.engine import events
from bot.engine.engine import SupportEngine
from bot.engine.events import EngineEvent, Incoming, Notice, TurnEnded
from bot.engine.recovery import CutTurn

__all__ = ["CutTurn", "EngineEvent", "Incoming", "Notice", "SupportEngine", "TurnEnded", "events"]
