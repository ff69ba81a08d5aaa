"""Outcomes and cost: how each conversation ended, what it cost, and the support lead's
figures over a period (`/support stats`, `python -m bot stats`).

A conversation is `handed_off` when it has a ticket; otherwise `resolved` when the customer
rated it 4 or 5, or did not write again within 24 hours of the assistant's last answer;
otherwise `open`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.desk import durations
from bot.store import ConversationFigures, Store, TicketEvent, TicketStatus

RESOLVED = "resolved"
HANDED_OFF = "handed_off"
OPEN = "open"
QUIET_FOR_RESOLVED = dt.timedelta(hours=24)
SATISFIED = (4, 5)
BUSIEST_SHOWN = 3


@dataclass(frozen=True)
class Prices:
    """USD per million tokens: fresh input, cached input, output (PRICE_INPUT,
    PRICE_CACHED_INPUT, PRICE_OUTPUT; their defaults live in the settings)."""

    input: float
    cached_input: float
    output: float

    def cost(self, input_tokens: int, cached_input_tokens: int, output_tokens: int) -> float:
        """((input - cached) x input + cached x cached input + output x output) / 1,000,000."""
        fresh = input_tokens - cached_input_tokens
        return (
            fresh * self.input
            + cached_input_tokens * self.cached_input
            + output_tokens * self.output
        ) / 1_000_000


def outcome(figures: ConversationFigures, now: dt.datetime) -> str:
    """How the conversation ended, as of `now`."""
    if figures.tickets:
        return HANDED_OFF
    if figures.rating in SATISFIED:
        return RESOLVED
    answered_last = figures.last_answer_id is not None and (
        figures.last_customer_id is None or figures.last_answer_id > figures.last_customer_id
    )
    if (
        answered_last
        and figures.last_answer_at is not None
        and now - figures.last_answer_at >= QUIET_FOR_RESOLVED
    ):
        return RESOLVED
    return OPEN


@dataclass(frozen=True)
class ConversationRow:
    """One conversation as `stats --csv` writes it."""

    figures: ConversationFigures
    outcome: str
    cost_usd: float


@dataclass(frozen=True)
class Day:
    """One day of the period: conversations opened, and the share of them resolved."""

    date: dt.date
    conversations: int
    resolved: int

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.conversations if self.conversations else None


@dataclass(frozen=True)
class OutcomeStats:
    """The support lead's figures for conversations opened in [since, until)."""

    since: dt.datetime
    until: dt.datetime
    rows: list[ConversationRow]
    ratings_asked: int
    ratings: list[int]
    median_first_response: dt.timedelta | None
    median_resolution: dt.timedelta | None
    days: list[Day]

    @property
    def conversations(self) -> int:
        return len(self.rows)

    def count(self, outcome_name: str) -> int:
        """How many conversations ended this way."""
        return sum(1 for row in self.rows if row.outcome == outcome_name)

    def rate(self, outcome_name: str) -> float | None:
        """The share of conversations that ended this way (None without conversations)."""
        return self.count(outcome_name) / self.conversations if self.rows else None

    @property
    def average_rating(self) -> float | None:
        return statistics.mean(self.ratings) if self.ratings else None

    @property
    def share_rated(self) -> float | None:
        """Rating prompts answered, of those sent."""
        return len(self.ratings) / self.ratings_asked if self.ratings_asked else None

    @property
    def cost_usd(self) -> float:
        return sum(row.cost_usd for row in self.rows)

    @property
    def cost_per_resolved(self) -> float | None:
        resolved = self.count(RESOLVED)
        return self.cost_usd / resolved if resolved else None

    def busiest_hours(self) -> list[tuple[int, int]]:
        """The hours of the day (UTC) when most conversations opened: (hour, count)."""
        hours = Counter(row.figures.opened_at.hour for row in self.rows)
        return sorted(hours.items(), key=lambda item: (-item[1], item[0]))[:BUSIEST_SHOWN]


async def outcome_stats(
    store: Store,
    *,
    days: int,
    prices: Prices,
    now: Callable[[], dt.datetime] | None = None,
) -> OutcomeStats:
    """The figures of conversations opened in the last `days` days."""
    moment = (now or _utc_now)()
    since = moment - dt.timedelta(days=days)
    figures = await store.conversation_figures(since, moment)
    rows = [
        ConversationRow(
            f,
            outcome(f, moment),
            prices.cost(f.input_tokens, f.cached_input_tokens, f.output_tokens),
        )
        for f in figures
    ]
    asked = await store.ratings_asked(since, moment)
    by_ticket: dict[int, list[TicketEvent]] = {}
    for event in await store.ticket_events_of_conversations_opened(since, moment):
        by_ticket.setdefault(event.ticket_id, []).append(event)
    return OutcomeStats(
        since=since,
        until=moment,
        rows=rows,
        ratings_asked=len(asked),
        ratings=[r.rating for r in asked if r.rating is not None],
        median_first_response=durations.median(
            [durations.time_to(events, TicketStatus.CLAIMED) for events in by_ticket.values()]
        ),
        median_resolution=durations.median(
            [durations.time_to(events, TicketStatus.RESOLVED) for events in by_ticket.values()]
        ),
        days=_days(rows, moment.date(), days),
    )


def _days(rows: Sequence[ConversationRow], last: dt.date, days: int) -> list[Day]:
    opened: Counter[dt.date] = Counter()
    resolved: Counter[dt.date] = Counter()
    for row in rows:
        date = row.figures.opened_at.astimezone(dt.UTC).date()
        opened[date] += 1
        resolved[date] += row.outcome == RESOLVED
    dates = [last - dt.timedelta(days=back) for back in range(max(days, 1) - 1, -1, -1)]
    return [Day(date, opened[date], resolved[date]) for date in dates]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
