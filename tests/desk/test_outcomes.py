"""Outcomes, cost and every figure of `stats` from a seeded store with known token counts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from bot.desk.outcome_report import CSV_COLUMNS, figures, write_csv
from bot.desk.outcomes import Prices, outcome_stats
from bot.store import Store
from tests.desk.seeded import seed

PRICES = Prices(1.25, 0.20, 2.50)
DAY = dt.timedelta(hours=24)


def _now(offset: dt.timedelta = dt.timedelta()):
    return lambda: dt.datetime.now(dt.UTC) + offset


def _cost(prompt: int, cached: int, output: int) -> float:
    return ((prompt - cached) * 1.25 + cached * 0.20 + output * 2.50) / 1_000_000


async def test_each_outcome_and_the_24_hour_rule(store_location):
    """A ticket: handed_off; rated 4-5: resolved; otherwise open until the customer has not
    written for 24 hours after the last answer."""
    async with Store.open(store_location) as store:
        seeded = await seed(store)
        soon = await outcome_stats(store, days=7, prices=PRICES, now=_now(DAY / 2))
        later = await outcome_stats(
            store, days=7, prices=PRICES, now=_now(DAY + dt.timedelta(minutes=1))
        )
    by_id = {row.figures.conversation_id: row.outcome for row in soon.rows}
    assert by_id == {
        seeded.rated_five: "resolved",
        seeded.quiet: "open",
        seeded.ticket: "handed_off",
        seeded.waiting: "open",
        seeded.rated_two: "open",
    }
    by_id = {row.figures.conversation_id: row.outcome for row in later.rows}
    assert by_id == {
        seeded.rated_five: "resolved",
        seeded.quiet: "resolved",
        seeded.ticket: "handed_off",
        seeded.waiting: "open",  # the customer wrote last: waiting for us
        seeded.rated_two: "resolved",
    }


async def test_every_figure(store_location):
    """Counts and rates, satisfaction, staff times, cost in total and per resolution, busiest
    hours, and the days of the chart."""
    async with Store.open(store_location) as store:
        await seed(store)
        stats = await outcome_stats(store, days=7, prices=PRICES, now=_now(DAY / 2))
    assert stats.conversations == 5
    assert (stats.count("resolved"), stats.count("handed_off"), stats.count("open")) == (1, 1, 3)
    assert stats.rate("resolved") == pytest.approx(0.2)
    assert stats.ratings == [5, 2, 2]
    assert stats.ratings_asked == 4
    assert stats.average_rating == pytest.approx(3.0)
    assert stats.share_rated == pytest.approx(0.75)
    assert stats.median_first_response is not None
    assert stats.median_resolution is not None
    assert stats.median_first_response <= stats.median_resolution < dt.timedelta(minutes=1)
    total = _cost(1500, 400, 300) + _cost(2000, 1500, 300) + _cost(3000, 1000, 600)
    assert stats.cost_usd == pytest.approx(total)
    assert stats.cost_per_resolved == pytest.approx(total)
    hours = {row.figures.opened_at.hour for row in stats.rows}
    if len(hours) == 1:  # seeded within one hour (nearly always)
        assert stats.busiest_hours() == [(hours.pop(), 5)]
    assert len(stats.days) == 7
    assert sum(day.conversations for day in stats.days) == 5
    shown = dict(figures(stats))
    assert shown["Conversations"] == "5"
    assert shown["Resolved by the assistant"] == "1 (20%)"
    assert shown["Handed off to staff"] == "1 (20%)"
    assert shown["Satisfaction"] == "3.00 / 5 from 3 ratings (75% of 4 asked)"
    assert shown["Cost"] == f"${total:.4f} in total, ${total:.4f} per resolved conversation"


async def test_every_csv_column(store_location):
    """One row per conversation, in the contract's columns; tokens of chat and vision
    requests summed; cost by the contract's formula."""
    async with Store.open(store_location) as store:
        seeded = await seed(store)
        stats = await outcome_stats(store, days=7, prices=PRICES, now=_now(DAY / 2))
    out = io.StringIO()
    write_csv(stats, out)
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert lines[0] == (
        "conversation_id,thread_id,customer_id,opened_at,outcome,rating,tickets,turns,"
        "input_tokens,cached_input_tokens,output_tokens,cost_usd"
    )
    rows = {int(r["conversation_id"]): r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert len(rows) == 5
    first = rows[seeded.rated_five]
    assert first["thread_id"] == "101"
    assert first["customer_id"] == "user-ana"
    opened = dt.datetime.strptime(first["opened_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs(opened - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert (first["outcome"], first["rating"], first["tickets"], first["turns"]) == (
        "resolved",
        "5",
        "0",
        "1",
    )
    assert (first["input_tokens"], first["cached_input_tokens"], first["output_tokens"]) == (
        "1500",
        "400",
        "300",
    )
    assert float(first["cost_usd"]) == pytest.approx(_cost(1500, 400, 300), abs=1e-6)
    assert float(first["cost_usd"]) == pytest.approx(0.002205, abs=1e-9)
    ticket = rows[seeded.ticket]
    assert (ticket["outcome"], ticket["rating"], ticket["tickets"], ticket["turns"]) == (
        "handed_off",
        "2",
        "1",
        "1",
    )
    waiting = rows[seeded.waiting]
    assert (waiting["thread_id"], waiting["rating"], waiting["turns"]) == ("", "", "2")
    assert (waiting["input_tokens"], waiting["cost_usd"]) == ("0", "0.000000")


async def test_the_period_leaves_out_older_conversations(store_location):
    """Conversations opened before the period are not counted."""
    async with Store.open(store_location) as store:
        await seed(store)
        stats = await outcome_stats(store, days=1, prices=PRICES, now=_now(dt.timedelta(days=2)))
    assert stats.rows == []
    assert stats.share_rated is None
