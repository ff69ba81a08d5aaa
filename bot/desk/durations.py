"""How long tickets took: to a status, and the median over many (the desk's and the outcome
report's figures)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence

from bot.store import TicketEvent


def time_to(events: Sequence[TicketEvent], status: str) -> dt.timedelta | None:
    """From the ticket's creation to its first change to `status`."""
    reached = next((e for e in events if e.status == status), None)
    if reached is None or not events:
        return None
    return reached.created_at - events[0].created_at


def median(values: Sequence[dt.timedelta | None]) -> dt.timedelta | None:
    """The median of the known durations; None when none is known."""
    known = [v.total_seconds() for v in values if v is not None]
    return dt.timedelta(seconds=statistics.median(known)) if known else None
