"""The chart of `/support stats`: daily conversations and the assistant's resolution rate,
as a PNG rendered with matplotlib's Agg backend (no display), in a worker thread."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

from matplotlib.figure import Figure

from bot.desk.outcomes import Day

CHART_FILE = "support-stats.png"


def render_chart(days: Sequence[Day]) -> bytes:
    """Bars of conversations per day and a line of the share resolved, as PNG bytes.

    A `Figure` made directly (not through pyplot) draws with Agg and keeps no global state,
    so charts can be rendered in threads side by side.
    """
    figure = Figure(figsize=(8, 3.6), dpi=100)
    bars = figure.add_subplot()
    labels = [f"{day.date:%d %b}" for day in days]
    positions = list(range(len(days)))
    bars.bar(positions, [day.conversations for day in days], color="#5865F2")
    bars.set_ylabel("conversations")
    bars.set_xticks(positions, labels, rotation=45 if len(days) > 10 else 0, fontsize=8)
    rate = bars.twinx()
    shares = [day.resolution_rate for day in days]
    rate.plot(
        [p for p, share in zip(positions, shares, strict=True) if share is not None],
        [share * 100 for share in shares if share is not None],
        color="#3BA55C",
        marker="o",
    )
    rate.set_ylim(0, 100)
    rate.set_ylabel("resolved by the assistant (%)")
    figure.suptitle("Conversations per day and resolution rate")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


async def chart_png(days: Sequence[Day]) -> bytes:
    """`render_chart` in a worker thread: the event loop keeps serving customers meanwhile."""
    return await asyncio.to_thread(render_chart, days)
