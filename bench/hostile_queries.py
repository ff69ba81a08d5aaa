"""`python -m bench.hostile_queries`: huge and odd questions to the help center, timed.

Each query runs against the shipped help center (SQLite in memory) while a probe task sleeps
5 ms at a time on the same event loop: the longest extra delay it saw is how long the search
held the loop (a customer's reply stream, or Discord's heartbeat, would wait as long).
Prints one line per query: its name, the search's time, the probe's worst delay, and the
articles found.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from typing import TextIO

from bot.helpcenter.index import HelpCenter
from bot.store import Store

PROBE_SLEEP = 0.005


def queries(seed: int = 19) -> dict[str, str]:
    """The questions: long, repetitive, wordless, foreign, and one very long 'word'."""
    rng = random.Random(seed)  # noqa: S311 - test data, not cryptography

    def word(length: int) -> str:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length))

    return {
        "plain question": "how long does a refund take",
        "refund + 5,000-letter word": "how do I get a refund " + word(5000),
        "refund + 50k of padding": "how do I get a refund " + "please " * 7200,
        "50k punctuation": "?!.,;:()[]{}<>\"'`~^*-_=+|\\/" * 1800,
        "emoji and symbols": "🍕🤬👍🏽 ✨ ☃ ﷺ ⁉" * 5000,
        "other scripts": "退款 ไม่ได้รับอาหาร возврат Ǆ " * 2000,
        "5,000 made-up words": " ".join(word(9) for _ in range(5000)),
        "500 x 40-letter words": " ".join(word(40) for _ in range(500)),
    }


async def measure(help_center: HelpCenter, query: str) -> tuple[float, float, list[str]]:
    """The search's seconds, the probe's worst extra delay in seconds, the paths found."""
    worst = 0.0
    stop = asyncio.Event()

    async def probe() -> None:
        nonlocal worst
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(PROBE_SLEEP)
            worst = max(worst, time.perf_counter() - started - PROBE_SLEEP)

    task = asyncio.create_task(probe())
    await asyncio.sleep(PROBE_SLEEP * 2)
    started = time.perf_counter()
    matches = await help_center.search(query)
    took = time.perf_counter() - started
    stop.set()
    await task
    return took, worst, [match.path for match in matches]


async def run(out: TextIO) -> None:
    """Every query once, after an indexing and a warm-up search."""
    async with Store.open(":memory:") as store:
        help_center = HelpCenter(store)
        await help_center.refresh()
        await help_center.search("refund")
        out.write(f"{'query':<28} {'search':>9} {'loop lag':>9}  found\n")
        for name, query in queries().items():
            took, lag, found = await measure(help_center, query)
            shown = ", ".join(found[:3]) or "nothing"
            out.write(f"{name:<28} {took * 1000:7.1f}ms {lag * 1000:7.1f}ms  {shown}\n")


def main(argv: list[str]) -> int:
    """Run the measurements and print them."""
    argparse.ArgumentParser(prog="python -m bench.hostile_queries", description=__doc__).parse_args(
        argv
    )
    asyncio.run(run(sys.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
