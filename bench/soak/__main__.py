"""`python -m bench.soak`: mixed traffic from simulated customers against the real bot process
(default settings, the fake Discord with Discord's limits, the fake model on loopback), with
random model and Discord faults and one SIGKILL + restart; prints what became of each message.

Figures, not assertions: the exit code is 0 whatever they are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from bench.soak.figures import Figures
from bench.soak.run import Options, soak
from bench.table import row


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="traffic time (default 10)")
    parser.add_argument("--customers", type=int, default=8, help="customers (default 8)")
    parser.add_argument(
        "--drain", type=float, default=60.0, help="seconds at most for outstanding answers (60)"
    )
    parser.add_argument("--seed", type=int, default=None, help="the random seed (default: none)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write figures")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 120 or not 1 <= args.customers <= 50 or not 0 <= args.drain <= 600:
        parser.error("--minutes must be in (0, 120], --customers in [1, 50], --drain in [0, 600]")
    return args


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.1f}%)" if whole else str(part)


def table(figures: Figures) -> str:
    """The figures as a Markdown table."""
    faults = ", ".join(f"{k} {v}" for k, v in figures.model_faults.items())
    rows = [
        ("messages sent", str(figures.messages)),
        ("answered (complete reply after the message)", _share(figures.answered, figures.messages)),
        ("failure notices (no answer)", _share(figures.failure_notices, figures.messages)),
        (
            "lost (neither)",
            f"{_share(figures.lost, figures.messages)}, {figures.lost_never_stored} never stored",
        ),
        ("duplicate tickets", f"{figures.duplicate_tickets} (of {figures.tickets} tickets)"),
        (
            "invalid histories",
            f"{figures.invalid_histories} (of {figures.conversations} conversations)",
        ),
        ("message -> complete answer p50", _seconds(figures.p50_s)),
        ("message -> complete answer p95", _seconds(figures.p95_s)),
        ("message -> complete answer max", _seconds(figures.max_s)),
        (
            "SIGKILL at / messages sent until restarted",
            f"{figures.killed_at_s} s / {figures.sent_while_down}",
        ),
        ("model requests / faults", f"{figures.model_requests} / {faults}"),
        ("model requests refused (invalid history sent)", str(figures.model_refusals)),
        (
            "Discord faults injected / 429s answered",
            f"{figures.discord_faults} / {figures.discord_429s}",
        ),
    ]
    lines = [row(["figure", "value"]), row(["---", "---"])]
    lines += [row([name, value]) for name, value in rows]
    return "\n".join(lines)


def summary(figures: Figures) -> str:
    """One line: the run in a sentence."""
    share = 100 * figures.answered / figures.messages if figures.messages else 0.0
    return (
        f"soak: {figures.answered}/{figures.messages} answered ({share:.1f}%),"
        f" {figures.failure_notices} failure notices, {figures.lost} lost,"
        f" {figures.duplicate_tickets} duplicate tickets, {figures.invalid_histories} invalid"
        f" histories, p95 {_seconds(figures.p95_s)}"
    )


async def main(argv: list[str]) -> int:
    """Run the soak, print its table and summary, write the JSON if asked; always 0."""
    args = parse_args(argv)
    # A stream cut by the SIGKILL is expected: the fake model's server need not report it.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    figures = await soak(
        Options(minutes=args.minutes, customers=args.customers, drain=args.drain, seed=args.seed)
    )
    print(table(figures))
    if figures.lost_tokens:
        print(f"\nlost: {' '.join(figures.lost_tokens)}")
    for problem in figures.problems[:10]:
        print(f"invalid history: {problem}")
    print()
    print(summary(figures))
    if args.json is not None:
        args.json.write_text(json.dumps(figures.as_json(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
