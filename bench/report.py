"""The table, the targets (met / not met), the chart and docs/performance.md."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.history import HistoryTimes
from bench.metrics import SizeMetrics, percentile
from bench.scenario import (
    CHARS_PER_TOKEN,
    FIRST_TOKEN_DELAY,
    REPLY_TOKENS,
    TOKENS_PER_SECOND,
)

GLOBAL_LIMIT = 50
FIRST_TOKEN_TARGET = 0.050
LOW_LOAD_STALENESS_TARGET = 1.5
SHARE_FACTOR = 1.2
BUSY_SHARE = 0.8
MEMORY_TARGET_MB = 200
HISTORY_TARGET = 0.020
LOW_LOAD = (1, 20)
# Customer's message to the first text they see, p95, at ordinary load (the model's own time
# to first token included): conversations -> seconds.
MESSAGE_TO_TEXT_TARGETS = {20: 1.5, 60: 3.0}
HIGH_LOAD = (100, 500)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 1000:.0f}"


def _s(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def results_table(sizes: Sequence[SizeMetrics]) -> str:
    """One column per number of conversations, one row per measure."""
    rows: list[tuple[str, Callable[[SizeMetrics], str]]] = [
        (
            "added first-token latency, median / p95 / p99 (ms)",
            lambda m: " / ".join(_ms(percentile(m.first_token, p)) for p in (50, 95, 99)),
        ),
        (
            "staleness of a streamed piece, median / p95 / max (s)",
            lambda m: " / ".join(
                _s(v)
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
            "customer's message to the first text, median / p95 (s)",
            lambda m: " / ".join(_s(percentile(m.first_text_from_message, p)) for p in (50, 95)),
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
    header = _row(["conversations started together", *(str(m.conversations) for m in sizes)])
    lines = [header, _row(["---"] * (len(sizes) + 1))]
    lines += [_row([label, *(cell(m) for m in sizes)]) for label, cell in rows]
    return "\n".join(lines)


def history_table(history: HistoryTimes) -> str:
    """The store's timings for a long thread."""
    return "\n".join(
        [
            _row(["history of a thread with 10,000 stored messages", "median"]),
            _row(["---", "---"]),
            _row(
                [
                    "load and trim (`Store.load_history` + `history.repair` + `fit_to_budget`),"
                    f" {history.sent_messages} messages sent",
                    f"{history.load * 1000:.1f} ms",
                ]
            ),
            _row(
                [
                    "for comparison: `Store.load_history` of all 10,000 messages",
                    f"{history.load_only * 1000:.1f} ms",
                ]
            ),
            _row(
                [
                    "store a turn (`Store.append_messages`: the message, then the answer)",
                    f"{history.store_turn * 1000:.2f} ms",
                ]
            ),
        ]
    )


@dataclass
class Target:
    """One target at one size: met or not, and the number it was judged on."""

    name: str
    size: int | None
    met: bool
    value: str


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def targets(sizes: Sequence[SizeMetrics], history: HistoryTimes | None) -> list[Target]:
    """Every target of the issue, judged on this run."""
    out: list[Target] = []
    for m in sizes:
        ok = m.status_429 == 0 and m.exact == m.conversations and not m.timed_out
        out.append(
            Target(
                "zero 429s, every reply's final text exact",
                m.conversations,
                ok,
                f"{m.status_429} 429s, {m.exact}/{m.conversations} exact",
            )
        )
        stale95 = percentile(m.staleness, 95)
        if m.conversations in LOW_LOAD:
            first95 = percentile(m.first_token, 95)
            out.append(
                Target(
                    "added first-token latency p95 ≤ 50 ms",
                    m.conversations,
                    first95 <= FIRST_TOKEN_TARGET,
                    f"{first95 * 1000:.0f} ms",
                )
            )
            out.append(
                Target(
                    "staleness p95 ≤ 1.5 s",
                    m.conversations,
                    stale95 <= LOW_LOAD_STALENESS_TARGET,
                    f"{stale95:.2f} s",
                )
            )
        if m.conversations in MESSAGE_TO_TEXT_TARGETS:
            limit = MESSAGE_TO_TEXT_TARGETS[m.conversations]
            waited = m.first_text_from_message
            out.append(
                Target(
                    f"customer's message to first text p95 ≤ {limit:.1f} s",
                    m.conversations,
                    bool(waited) and percentile(waited, 95) <= limit,
                    " / ".join(f"{percentile(waited, p):.2f} s" for p in (50, 95)) + " (p50 / p95)",
                )
            )
        if m.conversations in HIGH_LOAD:
            busy = GLOBAL_LIMIT * BUSY_SHARE
            out.append(
                Target(
                    "Discord requests ≤ 50/s (in any 1 s) and ≥ 40/s while streaming",
                    m.conversations,
                    m.max_per_second <= GLOBAL_LIMIT and m.rps_active >= busy,
                    f"most {m.max_per_second} in 1 s, {m.rps_active:.1f}/s on average",
                )
            )
            share = SHARE_FACTOR * m.conversations / GLOBAL_LIMIT
            out.append(
                Target(
                    f"staleness p95 ≤ 1.2 × N/50 s (= {share:.1f} s)",
                    m.conversations,
                    stale95 <= share,
                    f"{stale95:.2f} s",
                )
            )
        if m.conversations == max(HIGH_LOAD):
            out.append(
                Target(
                    "bot peak memory ≤ 200 MB",
                    m.conversations,
                    m.bot_peak_mib <= MEMORY_TARGET_MB,
                    f"{m.bot_peak_mib:.0f} MB",
                )
            )
    if history is not None:
        out.append(
            Target(
                "history load with 10,000 messages ≤ 20 ms",
                None,
                history.load <= HISTORY_TARGET,
                f"{history.load * 1000:.1f} ms",
            )
        )
    return out


def targets_table(found: Sequence[Target]) -> str:
    """The targets as a table: size, target, measured, met or not."""
    lines = [_row(["conversations", "target", "measured", ""]), _row(["---"] * 4)]
    lines += [
        _row([str(t.size) if t.size is not None else "-", t.name, t.value, _met(t.met)])
        for t in found
    ]
    return "\n".join(lines)


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
        f"default settings the bot opens a private thread, adds the customer, carries their "
        f"words in, streams the model's reply, then removes the public original. The fake "
        f"model waits "
        f"{FIRST_TOKEN_DELAY * 1000:.0f} ms, then streams {REPLY_TOKENS} tokens at "
        f"{TOKENS_PER_SECOND} tokens/s, one token ({CHARS_PER_TOKEN} characters) per chunk "
        f"({REPLY_TOKENS * CHARS_PER_TOKEN} characters a reply). The fake Discord enforces "
        f"Discord's limits: 50 requests/s per bot, 5 message creates and 5 edits per 5 s per "
        f"channel (other routes: 50/s each), answering 429s with Discord's headers."
    )


def chart(sizes: Sequence[SizeMetrics], path: Path) -> None:
    """Staleness p95 and first-token latency p95 against conversations, log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = [m.conversations for m in sizes]
    stale = [percentile(m.staleness, 95) for m in sizes]
    first = [percentile(m.first_token, 95) for m in sizes]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    ax.plot(counts, stale, "o-", label="staleness p95", color="#d9480f")
    ax.plot(counts, first, "s-", label="added first-token latency p95", color="#1c7ed6")
    fair = [n for n in counts if n >= min(HIGH_LOAD)]
    if fair:
        ax.plot(
            fair,
            [SHARE_FACTOR * n / GLOBAL_LIMIT for n in fair],
            "--",
            color="#868e96",
            label="target at 100+: 1.2 × N/50 s (fair share of 50 requests/s)",
        )
    low = [n for n in counts if n in LOW_LOAD]
    if low:
        ax.plot(
            low,
            [LOW_LOAD_STALENESS_TARGET] * len(low),
            ":",
            color="#d9480f",
            alpha=0.6,
            label="targets at 1 and 20: 1.5 s and 50 ms",
        )
        ax.plot(low, [FIRST_TOKEN_TARGET] * len(low), ":", color="#1c7ed6", alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.set_xlabel("conversations started together")
    ax.set_ylabel("seconds (log scale)")
    ax.set_title("Streaming into Discord: how far behind the model the customer sees")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


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
        "the bot goes through one global budget: the first text of a reply goes first, then "
        "updates of streaming replies, oldest unshown text first, so each reply gets its fair "
        "share; new conversations opening get one request in three while replies wait (all of "
        "the budget when none does), other requests one in four. The typing indicator is sent "
        "only when the budget is quiet. Under load, what waits is the start of new "
        "conversations (customer's message to first text), not the streams under way.",
        "- A private conversation (the default) costs three requests before its first text "
        "(the thread, the customer's admission to it, their words carried in) and one after "
        "(removing the public original); a public thread costs one. So 60 conversations "
        "opened at once need at least 240 requests before the last first text: 4.8 s of "
        "Discord's 50 requests/s, whatever the bot does. The targets for the customer's "
        "message to first text (1.5 s at 20, 3 s at 60) were set when threads were public; "
        "with private threads the one at 60 cannot be met within Discord's limits, and the "
        "one at 20 sits at its edge.",
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
