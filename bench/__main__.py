"""`python -m bench`: the real bot against loopback fakes with Discord's limits; prints tables."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bench import history as history_bench
from bench import report
from bench.chart import chart
from bench.metrics import SizeMetrics, reduce
from bench.scenario import REPO_ROOT, run
from bench.targets import targets, targets_table

DEFAULT_SIZES = "1,20,60,100,500"


def setting(text: str) -> tuple[str, str]:
    """One `NAME=VALUE` of `--set`."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip().upper(), value


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help=f"conversations started together, one run each (default {DEFAULT_SIZES})",
    )
    parser.add_argument("--no-history", action="store_true", help="skip the history timings")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=setting,
        help="run the bot with this setting changed from its default (for a comparison;"
        " the README's figures are at default settings)",
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help="write docs/performance.md and docs/performance.png from this run",
    )
    return parser.parse_args(argv)


async def main(argv: list[str]) -> int:
    """Run every size, then the history timings; print the tables; 1 if a target is missed."""
    args = parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    changed = dict(args.set)
    if changed:
        print(f"settings changed from the defaults: {changed}", file=sys.stderr)
    measured: list[SizeMetrics] = []
    for size in sizes:
        print(f"running {size} conversation(s)...", file=sys.stderr, flush=True)
        metrics = reduce(await run(size, settings=changed))
        measured.append(metrics)
        for problem in metrics.violations[:5]:
            print(f"  fake saw: {problem}", file=sys.stderr)
    history = None if args.no_history else await history_bench.measure()
    found = targets(measured, history)
    print()
    print(report.results_table(measured))
    if history is not None:
        print()
        print(report.history_table(history))
    print()
    print(targets_table(found))
    if args.docs:
        docs = REPO_ROOT / "docs"
        docs.mkdir(exist_ok=True)
        chart(measured, docs / "performance.png")
        (docs / "performance.md").write_text(report.markdown(measured, history, found))
        print(f"\nwrote {Path('docs') / 'performance.md'} and {Path('docs') / 'performance.png'}")
    return 0 if all(t.met for t in found) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
