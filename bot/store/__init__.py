"""Persistence: SQLite through aiosqlite, the only package that speaks SQL."""

from bot.store.privacy import ForgetReport
from bot.store.records import (
    Attachment,
    Conversation,
    NewMessage,
    ReceiptRecord,
    StoredMessage,
    Ticket,
    TicketEvent,
    Usage,
)
from bot.store.store import Store

__all__ = [
    "Attachment",
    "Conversation",
    "ForgetReport",
    "NewMessage",
    "ReceiptRecord",
    "Store",
    "StoredMessage",
    "Ticket",
    "TicketEvent",
    "Usage",
]
