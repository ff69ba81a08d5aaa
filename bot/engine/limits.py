"""Abuse and cost limits: how often one customer may write (paced by `bot.engine.limiter`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerLimits:
    """What one customer gets: turns a minute, model tokens a day, characters and images a
    message. Messages are never refused for pace: over `turns_per_minute`, the next turn
    waits and then answers every message that arrived meanwhile."""

    turns_per_minute: int
    daily_tokens: int  # 0: no cap
    max_message_chars: int
    max_images: int
