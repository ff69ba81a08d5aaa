"""docs/performance.png: staleness and first-token latency against conversations."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.metrics import SizeMetrics, percentile
from bench.targets import (
    FIRST_TOKEN_TARGET,
    GLOBAL_LIMIT,
    HIGH_LOAD,
    LOW_LOAD,
    LOW_LOAD_STALENESS_TARGET,
    SHARE_FACTOR,
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
