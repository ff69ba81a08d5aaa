"""The results tables and docs/performance.md (targets: bench.targets, chart: bench.chart)."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Callable, Sequence

from bench.history import HistoryTimes
from bench.metrics import SizeMetrics, percentile
from bench.replies import (
    CHARS_PER_TOKEN,
    FIRST_TOKEN_DELAY,
    REPLY_TOKENS,
    TOKENS_PER_SECOND,
)
from bench.table import ms, row, seconds
from bench.targets import Target, targets_table


def results_table(sizes: Sequence[SizeMetrics]) -> str:
    """One column per number of conversations, one row per measure."""
    rows: list[tuple[str, Callable[[SizeMetrics], str]]] = [
        (
            "added first-token latency, median / p95 / p99 (ms)",
            lambda m: " / ".join(ms(percentile(m.first_token, p)) for p in (50, 95, 99)),
        ),
        (
            "staleness of a streamed piece, median / p95 / max (s)",
            lambda m: " / ".join(
                seconds(v)
                for v in (
                    percentile(m.staleness, 50),
                    percentile(m.staleness, 95),
                    max(m.staleness, default=math.nan),
                )
            ),
        ),
        ("429 responses", lambda m: str(m.status_429)),
        ("replies whose final text is exact", lambda m: f"{m.exact} / {m.conversations}"),
        (
            "Discord requests per second while streams are active (most in any 1 s)",
            lambda m: f"{m.rps_active:.1f} ({m.max_per_second})",
        ),
        ("typing requests sent (all requests)", lambda m: f"{m.typing_requests} ({m.requests})"),
        (
            "customer's message to the first text they can see, median / p95 (s)",
            lambda m: " / ".join(seconds(percentile(m.first_visible, p)) for p in (50, 95)),
        ),
        (
            "requests of a conversation up to its first visible text, median (max)",
            lambda m: (
                f"{percentile(m.before_first, 50):.0f} ({max(m.before_first)})"
                if m.before_first
                else "-"
            ),
        ),
        ("bot CPU seconds per 1000 streamed tokens", lambda m: f"{m.cpu_per_1k_tokens:.3f}"),
        (
            "bot CPU, share of one core during the run",
            lambda m: f"{m.bot_cpu / m.wall:.0%}" if m.wall else "-",
        ),
        ("bot peak memory (MB, VmHWM)", lambda m: f"{m.bot_peak_mib:.0f}"),
        (
            "fakes' CPU, share of one core (their loop's p99 lag, ms)",
            lambda m: (
                f"{m.fakes_cpu / m.wall:.0%} ({m.fake_lag_p99 * 1000:.0f})" if m.wall else "-"
            ),
        ),
        ("run time (s)", lambda m: f"{m.wall:.1f}"),
    ]
    header = row(["conversations started together", *(str(m.conversations) for m in sizes)])
    lines = [header, row(["---"] * (len(sizes) + 1))]
    lines += [row([label, *(cell(m) for m in sizes)]) for label, cell in rows]
    return "\n".join(lines)


def history_table(history: HistoryTimes) -> str:
    """The store's timings for a long thread."""
    return "\n".join(
        [
            row(["history of a thread with 10,000 stored messages", "median"]),
            row(["---", "---"]),
            row(
                [
                    "load and trim (`Store.load_history` + `history.repair` + `fit_to_budget`),"
                    f" {history.sent_messages} messages sent",
                    f"{history.load * 1000:.1f} ms",
                ]
            ),
            row(
                [
                    "for comparison: `Store.load_history` of all 10,000 messages",
                    f"{history.load_only * 1000:.1f} ms",
                ]
            ),
            row(
                [
                    "store a turn (`Store.append_messages`: the message, then the answer)",
                    f"{history.store_turn * 1000:.2f} ms",
                ]
            ),
        ]
    )


def machine() -> str:
    """What the numbers were measured on."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"
    )


def setup_text() -> str:
    """The workload, in words."""
    return (
        f"Each conversation is a different customer writing in the support channel; with the "
        f"default settings the bot opens a private thread, adds the customer and carries "
        f"their words in (two requests sent together), streams the model's reply, and "
        f"removes the public original once the reply's first text shows. The fake model waits "
        f"{FIRST_TOKEN_DELAY * 1000:.0f} ms, then streams {REPLY_TOKENS} tokens at "
        f"{TOKENS_PER_SECOND} tokens/s, one token ({CHARS_PER_TOKEN} characters) per chunk "
        f"({REPLY_TOKENS * CHARS_PER_TOKEN} characters a reply). The fake Discord enforces "
        f"Discord's limits: 50 requests/s per bot, 5 message creates and 5 edits per 5 s per "
        f"channel (other routes: 50/s each), answering 429s with Discord's headers."
    )


def markdown(
    sizes: Sequence[SizeMetrics], history: HistoryTimes | None, found: Sequence[Target]
) -> str:
    """docs/performance.md: the README's Performance section."""
    parts = [
        "## Performance",
        "",
        "The model's own latency is the floor: the bot should add nothing visible on top of "
        "it, and stream as smoothly as Discord's rate limits allow, however many customers "
        "write at once. `python -m bench` measures it by running the real bot (`python -m bot`,"
        " a separate process) against the loopback fakes of the test suite.",
        "",
        setup_text(),
        "",
        results_table(sizes),
        "",
    ]
    if history is not None:
        parts += [history_table(history), ""]
    parts += [
        # For the README, at the root of the repository.
        "![Staleness and first-token latency against conversations](docs/performance.png)",
        "",
        "### Targets",
        "",
        targets_table(found),
        "",
        "### What the numbers mean",
        "",
        "- **Added first-token latency**: from the fake model writing its first chunk to the "
        "first Discord request carrying that text. **Staleness**: for every chunk, the time "
        "until a Discord request shows it.",
        "- Up to about 40 replies at once, each message is edited about every 1.25 s (4 edits "
        "per 5 s per channel, evenly spread: one of Discord's 5 is kept spare, because "
        "discord.py holds back the call that spends a bucket's last request until the bucket "
        "resets).",
        "- Past that, Discord's global limit (50 requests/s) sets the pace. Every request of "
        "the bot goes through one global budget, first words first: the first text of a reply "
        "(and a new conversation's carried words), then new conversations' threads, then "
        "updates of streaming replies, oldest unshown text first; an update whose text has "
        "waited 3 s takes turns with the threads, other requests get one in four of the "
        "updates' turns. Past half the window, grants are spread evenly (20 ms apart), so a "
        "conversation's opening flows request by request. The typing indicator is sent only "
        "when the budget is quiet, and not before a text that follows within a second. In a "
        "burst, the streams under way wait a moment for the first words of the new ones.",
        "- A private conversation (the default) costs four requests up to its first visible "
        "text (the thread; then together the customer's admission to it and their words "
        "carried in; the text) and one after (removing the public original); a public thread "
        "costs two. A mention in the carried words would add the customer too and save a "
        "request, but every message the bot sends pings nobody. So 60 conversations opened at "
        "once need at least 240 requests before the last first text: 4.8 s of Discord's 50 "
        "requests/s, "
        "whatever the bot does, and the streams already shown get little of the budget "
        "meanwhile (hence their staleness at 60).",
        "- `THREADS_PER_MINUTE` (default 20) caps the conversations opened per minute in a "
        "server: at 60 at once, 40 customers are told theirs opens in a moment and wait for "
        "the minute to pass, which the 60 column shows; the figures with the cap raised to 60 "
        "(`python -m bench --set THREADS_PER_MINUTE=60`) show the opening path itself.",
        "- A history is read from the conversation's context start, which moves ahead in one "
        "large step when the history outgrows the budget (so the provider's prompt cache keeps "
        "matching), so a thread's length does not slow its turns.",
        "- The bot's CPU goes mostly (about 80 %) into the openai SDK's handling of each "
        "streamed chunk; at 500 conversations it uses most of one core, the next limit.",
        "- CPU and memory are the bot process's own (`/proc/<pid>/stat`, `VmHWM`); the fakes "
        "run in the benchmark's process, and their CPU share and event-loop lag are shown to "
        "check that they are not the bottleneck. The bot runs with its default settings, "
        "as a customer's deployment does.",
        "",
        "### Reproduce",
        "",
        "```bash",
        ".venv/bin/pip install -e '.[dev]'     # matplotlib draws the chart",
        ".venv/bin/python -m bench             # all sizes, under 2 minutes; exit 1 if a target"
        " is missed",
        ".venv/bin/python -m bench --docs      # also rewrites docs/performance.md and .png",
        ".venv/bin/python -m bench --sizes 1,20 --no-history   # a quick run",
        "```",
        "",
        f"Measured on {machine()}; all traffic stays on 127.0.0.1.",
        "",
    ]
    return "\n".join(parts)
