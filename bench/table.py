"""Markdown table cells and rows, shared by the reports."""

from __future__ import annotations

import math
from collections.abc import Sequence


def row(cells: Sequence[str]) -> str:
    """One Markdown table row."""
    return "| " + " | ".join(cells) + " |"


def ms(value: float) -> str:
    """Seconds shown in whole milliseconds (`-` when unmeasured)."""
    return "-" if math.isnan(value) else f"{value * 1000:.0f}"


def seconds(value: float) -> str:
    """Seconds with two decimals (`-` when unmeasured)."""
    return "-" if math.isnan(value) else f"{value:.2f}"
