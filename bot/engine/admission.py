"""Admission: what a received message leads to, decided without I/O.

The engine reads the conversation's standing, asks `admit`, and carries out the decision:
store the message or not, show notices, then answer, stay quiet, or hand over to a person.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from bot.engine import copy
from bot.engine.events import Incoming
from bot.engine.limits import CustomerLimits
from bot.engine.voices import staff_words, unforgeable
from bot.store import Attachment, Conversation, NewMessage, Standing, TicketStatus
from bot.tools.images import triage

# Over the daily budget, the customer asks for a person in words (the model is not asked).
ASKS_FOR_PERSON = re.compile(r"\b(person|human|agent|staff|someone)\b", re.IGNORECASE)
# What the model reads in place of a message over the length limit (never its text: the
# limit is what keeps one message from filling the request and the bill).
OVER_LONG_PLACEHOLDER = (
    "(The customer sent a message of {length:,} characters, over the {limit:,} the assistant"
    " reads. It was not read; they were asked to shorten it or send it in a few parts.)"
)


class Role(enum.StrEnum):
    """How the engine treats a message's author in a conversation."""

    CUSTOMER = "customer"
    STAFF = "staff"
    OTHER = "other"  # anyone else: not heard


class Verdict(enum.Enum):
    """What follows a message once it is stored (or not)."""

    ANSWER = "answer"  # a turn answers it, when the customer's pace allows
    QUIET = "quiet"  # kept, and nothing more is said (staff words, a ticket staff hold)
    REFUSE = "refuse"  # not answered: the notices say why
    HAND_OFF = "hand_off"  # over the daily budget, the customer asked for a person


@dataclass(frozen=True)
class Decision:
    """The message to keep (None: nothing), the images it delivered, notices, the verdict."""

    verdict: Verdict
    keep: NewMessage | None = None
    images: tuple[Attachment, ...] = ()
    notices: tuple[str, ...] = ()


def role_of(conversation: Conversation, incoming: Incoming) -> Role:
    """The customer is always the customer; staff are staff; anyone else is not heard."""
    if incoming.author_id == conversation.customer_id:
        return Role.CUSTOMER
    if incoming.author_is_staff:
        return Role.STAFF
    return Role.OTHER


def admit(standing: Standing, incoming: Incoming, limits: CustomerLimits) -> Decision:
    """Decide what a message leads to, from the conversation's standing and the limits."""
    role = role_of(standing.conversation, incoming)
    if role is Role.OTHER:
        return Decision(Verdict.REFUSE, notices=(copy.NOT_YOURS,))
    if role is Role.STAFF:
        text = staff_words(incoming.author_name, incoming.text)
        return Decision(Verdict.QUIET, keep=_message(incoming, text, "staff"))
    sorted_out = triage(list(incoming.attachments), limits.max_images)
    notes = ("\n".join(f"ℹ️ {note}" for note in sorted_out.notes),) if sorted_out.notes else ()
    said = unforgeable(incoming.text.strip())
    length, limit = len(incoming.text), limits.max_message_chars
    if said and length > limit:
        # Kept (the history shows the customer wrote, and its images stay readable), but
        # as a placeholder: the over-long text never reaches the model, now or later.
        said = OVER_LONG_PLACEHOLDER.format(length=length, limit=limit)
    lines = [said] if said else []
    lines += [f"Attached image: {image.url}" for image in sorted_out.images]
    lines += [f"(Attachment note: {note})" for note in sorted_out.notes]
    if not lines:
        return Decision(Verdict.REFUSE, notices=(copy.EMPTY_MESSAGE_REPLY,))
    keep = _message(incoming, "\n".join(lines), "customer")
    images = tuple(sorted_out.images)
    if length > limit:
        return Decision(Verdict.REFUSE, keep, images, (*notes, copy.too_long_text(length, limit)))
    ticket = standing.active_ticket
    if ticket is not None and ticket.status == TicketStatus.CLAIMED:
        return Decision(Verdict.QUIET, keep, images, notes)
    if limits.daily_tokens and standing.tokens_today >= limits.daily_tokens:
        if ASKS_FOR_PERSON.search(incoming.text):
            return Decision(Verdict.HAND_OFF, keep, images, notes)
        return Decision(Verdict.REFUSE, keep, images, (*notes, copy.OVER_DAILY_BUDGET))
    return Decision(Verdict.ANSWER, replace(keep, answer_due=True), images, notes)


def _message(incoming: Incoming, content: str, author_kind: str) -> NewMessage:
    return NewMessage(
        role="user",
        content=content,
        author_id=incoming.author_id,
        discord_message_id=incoming.message_id,
        author_kind=author_kind,
    )
