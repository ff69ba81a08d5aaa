"""`python -m bench.store`: the store on SQLite and on PostgreSQL, and a standby's takeover.

For each store: the median time to store a turn (the customer's message, then the answer,
each its own transaction) and to load and trim a 10,000-message history (see bench.history).
Then, on PostgreSQL: two `python -m bot` processes against the fake Discord, the active one
killed with SIGKILL, and the time from its death to the standby's gateway IDENTIFY.

PostgreSQL: BENCH_DATABASE_URL (or TEST_DATABASE_URL) when set, each run in a schema of its
own; otherwise a throwaway cluster started with scripts/postgres. Without a server the
PostgreSQL half is skipped, saying why.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import history as history_bench
from bench.table import row as _row
from fakes.constants import API_KEY, CHAT_MODEL, VISION_MODEL
from fakes.discord_server import FakeDiscord
from fakes.openai_server import FakeLLM
from fakes.postgres import Server, fresh_schema, postgres_server
from fakes.process import bot_process, fake_bot_env

REPO_ROOT = Path(__file__).resolve().parent.parent


def _says(path: Path, text: str) -> bool:
    return path.exists() and text in path.read_text()


async def takeover_times(url: str, rounds: int) -> list[float]:
    """Seconds from SIGKILL of the active process to the standby's IDENTIFY, per round."""
    times: list[float] = []
    async with (
        FakeDiscord() as discord_fake,
        FakeLLM(models=[CHAT_MODEL, VISION_MODEL], api_key=API_KEY) as llm,
    ):
        with tempfile.TemporaryDirectory(prefix="bench-takeover-") as tmp:
            workdir = Path(tmp)
            env = fake_bot_env(
                discord_fake,
                llm,
                xai_api_key=API_KEY,
                chat_model=CHAT_MODEL,
                vision_model=VISION_MODEL,
                database_url=url,
                pythonpath=REPO_ROOT,
            )
            async with contextlib.AsyncExitStack() as processes:

                async def start(n: int) -> tuple[asyncio.subprocess.Process, Path]:
                    log = workdir / f"bot{n}.log"
                    process = await processes.enter_async_context(
                        bot_process(env, workdir, log, stop_timeout=20)
                    )
                    return process, log

                active, _ = await start(0)
                await discord_fake.wait_until_identified(timeout=30)
                for n in range(1, rounds + 1):
                    standby, log = await start(n)
                    await discord_fake.wait_for(
                        lambda log=log: _says(log, "standing by"), timeout=30
                    )
                    identified = discord_fake.identify_count
                    active.send_signal(signal.SIGKILL)
                    killed = time.monotonic()
                    await active.wait()
                    await discord_fake.wait_for(
                        lambda n=identified: discord_fake.identify_count > n,
                        timeout=60,
                        interval=0.005,
                    )
                    times.append(time.monotonic() - killed)
                    active = standby
    return times


async def main(argv: list[str]) -> int:
    """Measure both stores and print one Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="takeovers to time (default 5)")
    args = parser.parse_args(argv)
    rows = [
        _row(["store", "store a turn", "load and trim 10,000 messages", "load only", "takeover"]),
        _row(["---"] * 5),
    ]
    sqlite = await history_bench.measure()
    rows.append(
        _row(
            [
                "SQLite (file, WAL)",
                f"{sqlite.store_turn * 1000:.1f} ms",
                f"{sqlite.load * 1000:.1f} ms",
                f"{sqlite.load_only * 1000:.1f} ms",
                "n/a (one process)",
            ]
        )
    )
    given = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if given:
        os.environ["TEST_DATABASE_URL"] = given
    with postgres_server() as server:
        rows.append(await _postgres_row(server, args.rounds))
    print("\n".join(rows))
    return 0


async def _postgres_row(server: Server, rounds: int) -> str:
    if server.url is None:
        return _row(["PostgreSQL", f"skipped: {server.reason}", "", "", ""])
    async with fresh_schema(server.url) as url:
        times = await history_bench.measure(location=url)
    async with fresh_schema(server.url) as url:
        takeovers = await takeover_times(url, rounds)
    return _row(
        [
            "PostgreSQL (loopback)",
            f"{times.store_turn * 1000:.1f} ms",
            f"{times.load * 1000:.1f} ms",
            f"{times.load_only * 1000:.1f} ms",
            f"median {statistics.median(takeovers):.2f} s, max {max(takeovers):.2f} s"
            f" ({len(takeovers)} kills)",
        ]
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
