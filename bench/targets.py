"""The benchmark's targets, judged on a run (met / not met), and their table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.history import HistoryTimes
from bench.metrics import SizeMetrics, percentile
from bench.table import row

GLOBAL_LIMIT = 50
FIRST_TOKEN_TARGET = 0.050
LOW_LOAD_STALENESS_TARGET = 1.5
SHARE_FACTOR = 1.2
BUSY_SHARE = 0.8
MEMORY_TARGET_MB = 200
HISTORY_TARGET = 0.020
LOW_LOAD = (1, 20)
# Customer's message to the first text they can see (a member of their private thread), p95,
# at ordinary load (the model's own time to first token included): conversations -> seconds.
MESSAGE_TO_TEXT_TARGETS = {20: 1.5, 60: 4.0}
HIGH_LOAD = (100, 500)


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
            waited = m.first_visible
            out.append(
                Target(
                    f"customer's message to first visible text p95 ≤ {limit:.1f} s",
                    m.conversations,
                    len(waited) == m.conversations and percentile(waited, 95) <= limit,
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
    lines = [row(["conversations", "target", "measured", ""]), row(["---"] * 4)]
    lines += [
        row([str(t.size) if t.size is not None else "-", t.name, t.value, _met(t.met)])
        for t in found
    ]
    return "\n".join(lines)
