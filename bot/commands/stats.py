"""`python -m bot stats [--days N] [--csv FILE]`: the support lead's figures from the store."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.app.compose import prices
from bot.config import Settings
from bot.desk.outcome_report import report, write_csv
from bot.desk.outcomes import outcome_stats
from bot.store import Store

DEFAULT_DAYS = 7


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {value!r}") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"at least 1 day, not {days}")
    return days


def add_stats_commands(commands: Any) -> None:
    """Add `stats` to the command line."""
    stats = commands.add_parser(
        "stats", help="conversations, outcomes, satisfaction, response times and cost"
    )
    stats.add_argument(
        "--days", type=_days, default=DEFAULT_DAYS, help="the last N days (default 7)"
    )
    stats.add_argument("--csv", type=Path, metavar="FILE", help="write one row per conversation")
    stats.set_defaults(run=run_stats, interactive=True)


def run_stats(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Print the figures (and write the CSV); exit code 0."""
    return asyncio.run(stats(settings, args.days, args.csv, out))


async def stats(settings: Settings, days: int, csv_file: Path | None, out: TextIO) -> int:
    """The figures of the conversations opened in the last `days` days."""
    async with Store.open(settings.store_location) as store:
        figures = await outcome_stats(store, days=days, prices=prices(settings))
    out.write(report(figures, days))
    if csv_file is None:
        return 0
    try:
        with csv_file.open("w", encoding="utf-8", newline="") as written:
            write_csv(figures, written)
    except OSError as exc:
        print(f"error: could not write {csv_file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    out.write(f"{len(figures.rows)} conversations written to {csv_file}\n")
    return 0
