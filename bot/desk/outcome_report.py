"""The support lead's figures as lines of text and as CSV rows: the same in Discord
(`/support stats`) and on the command line (`python -m bot stats`)."""

from __future__ import annotations

import csv
import datetime as dt
from typing import TextIO

from bot.desk.outcomes import HANDED_OFF, OPEN, RESOLVED, ConversationRow, OutcomeStats

CSV_COLUMNS = (
    "conversation_id",
    "thread_id",
    "customer_id",
    "opened_at",
    "outcome",
    "rating",
    "tickets",
    "turns",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "cost_usd",
)


def figures(stats: OutcomeStats) -> list[tuple[str, str]]:
    """(name, value) of every figure, in the order people read them."""
    return [
        ("Conversations", str(stats.conversations)),
        ("Resolved by the assistant", _share(stats.count(RESOLVED), stats.rate(RESOLVED))),
        ("Handed off to staff", _share(stats.count(HANDED_OFF), stats.rate(HANDED_OFF))),
        ("Still open", _share(stats.count(OPEN), stats.rate(OPEN))),
        ("Satisfaction", _satisfaction(stats)),
        ("Median first staff response", duration(stats.median_first_response)),
        ("Median time to resolution", duration(stats.median_resolution)),
        ("Cost", _cost(stats)),
        ("Busiest hours (UTC)", _busiest(stats)),
    ]


def report(stats: OutcomeStats, days: int) -> str:
    """The figures as lines of text, under a title naming the period."""
    title = f"Support over the last {days} day{'s' if days != 1 else ''}"
    period = f"{stats.since:%Y-%m-%d %H:%M} to {stats.until:%Y-%m-%d %H:%M} UTC"
    lines = [title, period, *(f"{name}: {value}" for name, value in figures(stats))]
    return "\n".join(lines) + "\n"


def write_csv(stats: OutcomeStats, out: TextIO) -> None:
    """One row per conversation opened in the period (columns: CSV_COLUMNS)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in stats.rows:
        writer.writerow(csv_row(row))


def csv_row(row: ConversationRow) -> list[str]:
    """A conversation's row in `stats --csv`."""
    f = row.figures
    return [
        str(f.conversation_id),
        "" if f.channel_id is None else str(f.channel_id),
        f.customer_id or "",
        f.opened_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        row.outcome,
        "" if f.rating is None else str(f.rating),
        str(f.tickets),
        str(f.turns),
        str(f.input_tokens),
        str(f.cached_input_tokens),
        str(f.output_tokens),
        f"{row.cost_usd:.6f}",
    ]


def duration(value: dt.timedelta | None) -> str:
    """A median as people read it: 45 s, 4 min, 2 h 5 min, 3 d 4 h."""
    if value is None:
        return "no data"
    seconds = value.total_seconds()
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{round(seconds)} s"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _share(count: int, rate: float | None) -> str:
    return f"{count} ({rate:.0%})" if rate is not None else str(count)


def _satisfaction(stats: OutcomeStats) -> str:
    average, share = stats.average_rating, stats.share_rated
    if average is None or share is None:
        asked = stats.ratings_asked
        return f"no ratings yet ({asked} asked)"
    return (
        f"{average:.2f} / 5 from {len(stats.ratings)} ratings"
        f" ({share:.0%} of {stats.ratings_asked} asked)"
    )


def _cost(stats: OutcomeStats) -> str:
    per = stats.cost_per_resolved
    each = f"${per:.4f} per resolved conversation" if per is not None else "none resolved"
    return f"${stats.cost_usd:.4f} in total, {each}"


def _busiest(stats: OutcomeStats) -> str:
    hours = stats.busiest_hours()
    if not hours:
        return "no data"
    return ", ".join(f"{hour:02d}:00 ({count})" for hour, count in hours)
