"""pass^k as tau-bench defines it: the chance that k tries of a task all pass."""

from __future__ import annotations

from math import comb
from statistics import mean


def pass_hat(passed: int, trials: int, k: int) -> float:
    """C(passed, k) / C(trials, k): k trials drawn from the n run all passed."""
    if not 1 <= k <= trials:
        raise ValueError("k must be between 1 and the number of trials")
    return comb(passed, k) / comb(trials, k)


def pass_hats(passed: int, trials: int) -> dict[str, float]:
    """pass^1..pass^trials of one task, keyed by k as text (the JSON shape)."""
    return {str(k): pass_hat(passed, trials, k) for k in range(1, trials + 1)}


def overall(per_task: list[dict[str, float]]) -> dict[str, float]:
    """The mean over tasks of each pass^k."""
    if not per_task:
        return {}
    return {k: mean(task[k] for task in per_task) for k in per_task[0]}
