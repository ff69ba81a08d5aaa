"""The global request budget: Discord's 50 requests/s per bot, shared fairly between replies."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from bot.frontends.discord.streaming.global_budget import GlobalBudget, Lane


def most_in_window(times: list[float], period: float) -> int:
    """The most of `times` that fall within any `period` seconds."""
    ordered = sorted(times)
    start = most = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - period:
            start += 1
        most = max(most, end - start + 1)
    return most


async def hold(budget: GlobalBudget, lane: Lane, log: list, name: object, since=None, busy=0.005):
    """Take a slot, note when and for whom, and hold it like a request would."""
    async with budget.slot(lane, since):
        started = time.monotonic()
        await asyncio.sleep(busy)
        log.append((name, started, time.monotonic()))


async def stream_updates(budget: GlobalBudget, name: int, log: list, until: float) -> None:
    """A reply whose text keeps coming: each update shows what arrived since the last one."""
    unshown_since = time.monotonic()
    while time.monotonic() < until:
        await hold(budget, Lane.UPDATE, log, name, since=unshown_since)
        unshown_since = time.monotonic()


async def test_never_more_than_the_limit_in_any_period():
    """Replies and other requests together: at most `limit` start, and end, per `period`."""
    budget = GlobalBudget(10, 0.2)
    log: list = []
    until = time.monotonic() + 0.6
    await asyncio.gather(
        *(stream_updates(budget, n, log, until) for n in range(6)),
        *(hold(budget, Lane.OTHER, log, "other") for _ in range(15)),
        *(hold(budget, Lane.FIRST_TEXT, log, "first") for _ in range(5)),
    )
    assert most_in_window([start for _, start, _ in log], 0.2) <= 10
    assert most_in_window([end for _, _, end in log], 0.2) <= 10
    # ... and the budget is used: about 10 per 0.2 s.
    assert len(log) >= 25


async def test_updates_are_shared_fairly():
    """Replies streaming side by side past the limit get updates in turn, one each."""
    budget = GlobalBudget(8, 0.2)
    log: list = []
    until = time.monotonic() + 0.7
    await asyncio.gather(*(stream_updates(budget, n, log, until) for n in range(5)))
    counts = Counter(name for name, _, _ in log)
    assert len(counts) == 5
    assert max(counts.values()) - min(counts.values()) <= 1
    # Round robin: every run of five grants serves each reply once.
    order = [name for name, _, _ in sorted(log, key=lambda entry: entry[1])]
    for first in range(0, len(order) - 5, 5):
        assert sorted(order[first : first + 5]) == [0, 1, 2, 3, 4]


async def next_after_queued_updates(lane: Lane) -> str:
    """With the window spent and updates of visible replies queued, whose request goes next
    when one of `lane` arrives."""
    budget = GlobalBudget(4, 0.3)
    log: list = []
    fill = [asyncio.create_task(hold(budget, Lane.UPDATE, log, "fill")) for _ in range(4)]
    await asyncio.sleep(0.02)
    queued = [
        asyncio.create_task(hold(budget, Lane.UPDATE, log, f"update{n}", since=0.0))
        for n in range(3)
    ]
    await asyncio.sleep(0.01)
    arriving = asyncio.create_task(hold(budget, lane, log, lane.name))
    await asyncio.gather(*fill, *queued, arriving)
    return [name for name, _, _ in sorted(log, key=lambda entry: entry[1])][4]


async def test_the_first_text_of_a_reply_goes_before_waiting_updates():
    """With the window spent and updates queued, a new reply's first text is next."""
    assert await next_after_queued_updates(Lane.FIRST_TEXT) == Lane.FIRST_TEXT.name


async def share_beside_streams(lane: Lane, skip: int) -> float:
    """The share of grants `lane` gets while six replies saturate the budget (the first
    `skip` grants aside: the window was empty then)."""
    budget = GlobalBudget(8, 0.2)
    log: list = []
    until = time.monotonic() + 0.8
    waiting = [asyncio.create_task(hold(budget, lane, log, lane.name)) for _ in range(40)]
    await asyncio.gather(*(stream_updates(budget, n, log, until) for n in range(6)))
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    served = [name for name, _, _ in sorted(log, key=lambda entry: entry[1])][skip:]
    return served.count(lane.name) / len(served)


async def test_other_requests_get_one_grant_in_four_while_replies_wait():
    """Notices, staff posts and removals keep going while replies saturate the budget, at a
    quarter of it."""
    # The first grants went to others (the window was empty: up to half of it), then 1 in 4.
    assert 0.2 <= await share_beside_streams(Lane.OTHER, skip=4) <= 0.3


async def test_new_conversations_open_before_waiting_updates():
    """First words first: with the window spent and updates of visible replies queued, a new
    conversation's thread goes next."""
    assert await next_after_queued_updates(Lane.OPENING) == Lane.OPENING.name


async def test_an_update_waiting_past_its_patience_takes_turns_with_threads():
    """A visible reply's next edit waits for first words only so long: past `patience` it
    takes turns with new conversations' threads (none is starved in a long burst)."""
    budget = GlobalBudget(4, 0.3, patience=0.0)
    log: list = []
    fill = [asyncio.create_task(hold(budget, Lane.UPDATE, log, "fill")) for _ in range(4)]
    await asyncio.sleep(0.02)
    waiting = [
        asyncio.create_task(hold(budget, Lane.UPDATE, log, "update", since=0.0)) for _ in range(3)
    ]
    waiting += [asyncio.create_task(hold(budget, Lane.OPENING, log, "opening")) for _ in range(3)]
    await asyncio.gather(*fill, *waiting)
    after_fill = [name for name, _, _ in sorted(log, key=lambda entry: entry[1])][4:]
    assert after_fill == ["opening", "update"] * 3


async def test_other_requests_alone_leave_half_the_window_for_first_texts():
    """A burst of other requests takes half the window; a first text then goes at once."""
    budget = GlobalBudget(10, 0.5)
    log: list = []
    burst = [asyncio.create_task(hold(budget, Lane.OTHER, log, "other", busy=0)) for _ in range(12)]
    await asyncio.sleep(0.05)
    assert len(log) == 5
    started = time.monotonic()
    await hold(budget, Lane.FIRST_TEXT, log, "first", busy=0)
    assert time.monotonic() - started < 0.05
    await asyncio.gather(*burst)
    assert most_in_window([start for _, start, _ in log], 0.5) <= 10


async def test_the_budget_is_quiet_only_with_room_to_spare():
    """Typing is worth a request only while the window is less than half used and nobody
    waits."""
    budget = GlobalBudget(4, 0.2)
    assert budget.quiet()
    async with budget.slot(), budget.slot():
        assert not budget.quiet()  # half the window is in use
    await asyncio.sleep(0.25)
    assert budget.quiet()  # the window passed


async def test_a_cancelled_waiter_gives_its_turn_away():
    """Cancelling a request that waits for room neither leaks room nor blocks the others."""
    budget = GlobalBudget(2, 0.2)
    log: list = []
    await asyncio.gather(*(hold(budget, Lane.UPDATE, log, "fill", busy=0) for _ in range(2)))
    waiting = asyncio.create_task(hold(budget, Lane.UPDATE, log, "cancelled", busy=0))
    later = asyncio.create_task(hold(budget, Lane.UPDATE, log, "later", busy=0))
    await asyncio.sleep(0.05)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await asyncio.wait_for(later, 1)
    assert [name for name, _, _ in log] == ["fill", "fill", "later"]
    await asyncio.sleep(0.25)
    assert budget._room() == 2


@pytest.mark.parametrize("bad", [{"limit": 1}, {"period": 0}, {"other_every": 0}])
def test_a_budget_needs_sensible_limits(bad):
    """A limit below 2, a period of zero or a share of zero are refused."""
    with pytest.raises(ValueError, match="global budget"):
        GlobalBudget(**{"limit": 10, "period": 1.0, **bad})
