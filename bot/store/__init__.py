"""Persistence: SQLite (aiosqlite) or PostgreSQL (asyncpg), the only package that speaks SQL."""

from bot.store.actions import ActionRequest, ActionStatus
from bot.store.outbox import DestinationState, OutboxEntry
from bot.store.outcomes import QuietConversation, RatingRecord
from bot.store.privacy import ForgetReport
from bot.store.records import (
    Attachment,
    Conversation,
    NewMessage,
    ReceiptRecord,
    Standing,
    StoredMessage,
    Ticket,
    TicketEvent,
    TicketStatus,
    TurnStart,
    Usage,
    format_time,
    parse_time,
)
from bot.store.recovery import OpenThread, Unfinished
from bot.store.stats import ConversationFigures, TranscriptLine
from bot.store.store import Store
from bot.store.tickets import TicketLimitError

__all__ = [
    "ActionRequest",
    "ActionStatus",
    "Attachment",
    "Conversation",
    "ConversationFigures",
    "DestinationState",
    "ForgetReport",
    "NewMessage",
    "OpenThread",
    "OutboxEntry",
    "QuietConversation",
    "RatingRecord",
    "ReceiptRecord",
    "Standing",
    "Store",
    "StoredMessage",
    "Ticket",
    "TicketEvent",
    "TicketLimitError",
    "TicketStatus",
    "TranscriptLine",
    "TurnStart",
    "Unfinished",
    "Usage",
    "format_time",
    "parse_time",
]
