"""From raw observations to the numbers of the table."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.observe import RunResult


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class SizeMetrics:
    """The numbers of one run."""

    conversations: int
    first_token: list[float]  # added latency of each reply's first piece, s
    staleness: list[float]  # of every piece, s
    first_text_from_message: list[float]  # customer's message -> first text shown, s
    # customer's message -> first text they can see (a member of their thread by then), s
    first_visible: list[float]
    # requests each conversation spent up to and including that first visible text
    before_first: list[int]
    unshown: int  # pieces no request ever showed
    exact: int  # replies whose final text is exactly the model's
    status_429: int
    requests: int
    typing_requests: int
    rps_active: float
    max_per_second: int
    active_seconds: float
    tokens: int
    bot_cpu: float
    bot_peak_mib: float
    fakes_cpu: float
    wall: float
    fake_lag_p99: float
    timed_out: bool
    violations: list[str]

    @property
    def cpu_per_1k_tokens(self) -> float:
        return self.bot_cpu / (self.tokens / 1000) if self.tokens else math.nan


def max_in_window(times: Sequence[float], period: float = 1.0) -> int:
    """The most requests that arrived within any `period` seconds."""
    ordered = sorted(times)
    most = 0
    start = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - period:
            start += 1
        most = max(most, end - start + 1)
    return most


def reduce(run: RunResult) -> SizeMetrics:
    """Staleness of every piece, first-token latency, request rates and resources of a run."""
    first_token: list[float] = []
    staleness: list[float] = []
    from_message: list[float] = []
    unshown = exact = tokens = 0
    first_piece = math.inf
    last_piece = -math.inf
    for reply in run.replies:
        times = run.pieces.get(reply.text, [])
        tokens += len(times)
        if times:
            first_piece = min(first_piece, times[0])
            last_piece = max(last_piece, times[-1])
        writes = sorted(run.writes.get(reply.thread_id, []))
        # The first write of the reply's own text (a private thread opens with the
        # customer's words carried over, which are not the answer).
        first_text = next((at for at, text in writes if text and reply.text.startswith(text)), None)
        if first_text is not None:
            from_message.append(first_text - reply.sent_at)
        # The longest prefix of the reply each request had shown by then.
        shown_at: list[float] = []
        shown_len: list[int] = []
        longest = 0
        for at, text in writes:
            if reply.text.startswith(text) and len(text) > longest:
                longest = len(text)
                shown_at.append(at)
                shown_len.append(longest)
        for n, sent in enumerate(times):
            needed = min((n + 1) * run.piece_size, len(reply.text))
            i = bisect.bisect_left(shown_len, needed)
            if i == len(shown_len):
                unshown += 1
                continue
            lag = max(0.0, shown_at[i] - sent)
            staleness.append(lag)
            if n == 0:
                first_token.append(lag)
        if run.final.get(reply.thread_id) == [reply.text]:
            exact += 1
    active = [t for t in run.request_times if first_piece <= t <= last_piece]
    active_seconds = max(last_piece - first_piece, 1e-9) if active else 0.0
    return SizeMetrics(
        conversations=run.conversations,
        first_token=first_token,
        staleness=staleness,
        first_text_from_message=from_message,
        first_visible=[
            o.visible_at - reply.sent_at
            for o, reply in zip(run.openings, run.replies, strict=False)
            if o.visible_at is not None
        ],
        before_first=[o.requests for o in run.openings if o.visible_at is not None],
        unshown=unshown,
        exact=exact,
        status_429=sum(s == 429 for s in run.statuses),
        requests=len(run.request_times),
        typing_requests=run.typing_requests,
        rps_active=len(active) / active_seconds if active_seconds else 0.0,
        max_per_second=max_in_window(run.request_times),
        active_seconds=active_seconds,
        tokens=tokens,
        bot_cpu=run.measured.bot_cpu,
        bot_peak_mib=run.measured.bot_peak_kib / 1024,
        fakes_cpu=run.measured.fakes_cpu,
        wall=run.measured.wall,
        fake_lag_p99=percentile(run.measured.fake_lag, 99),
        timed_out=run.measured.timed_out,
        violations=run.violations,
    )
