"""Per-channel request budgets, so replies streaming side by side never draw a 429.

Two limits of Discord's matter to a streaming bot. Each channel allows about 5 message
creates and 5 edits per 5 s (`ChannelBudget`, one per channel, shared by the replies in it),
and the whole bot 50 requests per second (`GlobalBudget`, one per bot). Past about 40
replies streaming at once the global limit, not the model, sets the pace: the global budget
then shares it fairly and uses all of it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import discord

from bot.frontends.discord.streaming.global_budget import GlobalBudget
from bot.frontends.discord.streaming.rate_window import RateWindow

# Discord allows 5 message creates and 5 edits per 5 s in each channel. The budget keeps one
# of each spare: discord.py holds back the call that spends a bucket's last request until the
# bucket resets (up to 5 s), which would stall the reply (and keep its global slot) that long.
CHANNEL_EDITS = 4
CHANNEL_SENDS = 4
CHANNEL_PERIOD = 5.0
# Budgets beyond this many are dropped from the registry once idle, so it does not grow forever.
KEEP_BUDGETS = 256


@dataclass(frozen=True)
class ChannelLimits:
    """How many message edits and creates one channel allows per `period` seconds."""

    edits: int = CHANNEL_EDITS
    sends: int = CHANNEL_SENDS
    period: float = CHANNEL_PERIOD


class ChannelBudget:
    """The message requests one channel may make: creates and edits are separate buckets.

    Each request also needs room in the bot's `GlobalBudget`, shared with every channel.
    """

    def __init__(
        self, limits: ChannelLimits = ChannelLimits(), requests: GlobalBudget | None = None
    ) -> None:
        # Past a short burst, edits spread evenly over the window: a reply streaming alone is
        # edited about every period / edits seconds, not in a burst followed by a long pause.
        self.edits = RateWindow(limits.edits, limits.period, burst=max(1, limits.edits // 2))
        self.sends = RateWindow(limits.sends, limits.period)
        self.requests = requests if requests is not None else GlobalBudget()
        self._reported: set[str] = set()
        # Replies whose first text was shown here, and a signal at each.
        self.replies_shown = 0
        self._shown = asyncio.Event()

    def note_shown(self) -> None:
        """A reply's first text is shown here."""
        self.replies_shown += 1
        shown, self._shown = self._shown, asyncio.Event()
        shown.set()

    async def shown_after(self, count: int) -> None:
        """Return once more than `count` replies have shown their first text here."""
        while self.replies_shown <= count:
            await self._shown.wait()

    def first_report(self, problem: str) -> bool:
        """True the first time a problem (e.g. a missing permission) is reported here."""
        if problem in self._reported:
            return False
        self._reported.add(problem)
        return True

    def idle(self) -> bool:
        """Whether dropping this budget would lose nothing (a report would be repeated)."""
        return self.edits.idle() and self.sends.idle() and not self._reported


class EditBudgets:
    """The budget of each channel, shared by every reply streaming in it, and the global one."""

    def __init__(
        self, limits: ChannelLimits = ChannelLimits(), requests: GlobalBudget | None = None
    ) -> None:
        self._limits = limits
        self.requests = requests if requests is not None else GlobalBudget()
        self._budgets: dict[int, ChannelBudget] = {}

    def new_budget(self) -> ChannelBudget:
        """A channel budget with this registry's limits, shared with no other channel."""
        return ChannelBudget(self._limits, self.requests)

    def for_channel(self, channel: discord.abc.Messageable | int) -> ChannelBudget:
        """The budget of a channel (or channel id); one without an id gets its own."""
        channel_id = channel if isinstance(channel, int) else getattr(channel, "id", None)
        if not isinstance(channel_id, int):
            return self.new_budget()
        budget = self._budgets.get(channel_id)
        if budget is None:
            if len(self._budgets) >= KEEP_BUDGETS:
                self._forget_idle()
            budget = self._budgets[channel_id] = self.new_budget()
        return budget

    def __len__(self) -> int:
        return len(self._budgets)

    def _forget_idle(self) -> None:
        for channel_id in [key for key, budget in self._budgets.items() if budget.idle()]:
            del self._budgets[channel_id]
