"""What the support lead's side of the bot needs, in one place: ratings, prices, archiving,
and the figures of `stats`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.desk.archive import Archive
from bot.desk.outcomes import OutcomeStats, Prices, outcome_stats
from bot.desk.ratings import Ratings


@dataclass(frozen=True)
class Operations:
    """Ratings (when to ask, the answers), the token prices, idle conversations to archive."""

    ratings: Ratings
    prices: Prices
    archive: Archive

    async def stats(self, days: int) -> OutcomeStats:
        """The figures of the conversations opened in the last `days` days."""
        return await outcome_stats(
            self.ratings.store, days=days, prices=self.prices, now=self.ratings.clock
        )
