"""The fake model's replies in a run: their pacing, and 1600 characters of words each."""

from __future__ import annotations

import random

# Realistic pacing: 300 ms to the first token, then 50 tokens a second, 400 tokens a reply;
# a token is about 4 characters and each streamed piece carries one.
FIRST_TOKEN_DELAY = 0.3
TOKENS_PER_SECOND = 50
REPLY_TOKENS = 400
CHARS_PER_TOKEN = 4

_WORDS = [
    "your",
    "order",
    "the",
    "courier",
    "restaurant",
    "refund",
    "delivery",
    "minutes",
    "kitchen",
    "receipt",
    "ticket",
    "address",
    "payment",
    "card",
    "driver",
    "support",
    "update",
    "status",
    "pizza",
    "soup",
    "salad",
    "dessert",
    "drinks",
    "today",
    "tonight",
    "shortly",
    "again",
    "please",
    "thanks",
    "sorry",
    "checked",
    "confirmed",
    "arrives",
    "station",
    "missing",
    "items",
    "replaced",
    "credited",
    "account",
    "app",
    "notification",
    "window",
    "route",
    "traffic",
]


def reply_text(index: int) -> str:
    """The model's reply to customer `index`: 1600 characters of plain words, unique."""
    size = REPLY_TOKENS * CHARS_PER_TOKEN
    rng = random.Random(index)  # noqa: S311 - made-up text, not secrets
    text = f"Customer {index}, thanks for waiting."
    while len(text) < size - 1:
        text += " " + rng.choice(_WORDS)
        if rng.random() < 0.08:
            text += "."
    return text[: size - 1].rstrip() + "."
