"""Satisfaction ratings: when a customer is asked, and what their answer changes.

A rating is asked at once when staff resolve a ticket, and when a conversation without an
open ticket has been quiet for `CSAT_AFTER_MINUTES` after an answer; once per episode (an
episode ends with the prompt, the customer's next message starts the next one). Whether a
prompt is due is read from the store, so a restart neither loses nor repeats one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.desk.ticket_events import TICKET_RATED
from bot.store import QuietConversation, RatingRecord, Store, Ticket

# An answer left alone longer than this past its due time is not asked about any more
# (after a long outage, or for conversations older than this feature).
TOO_LATE = dt.timedelta(days=1)
QUIET = "quiet"
RESOLVED = "resolved"
SCORES = range(1, 6)
MAX_COMMENT = 1000


class RatingError(Exception):
    """A press or comment that does not count."""


class NotTheCustomerError(RatingError):
    """Someone other than the conversation's customer pressed."""


class RatingGoneError(RatingError):
    """The prompt is not in the store (forgotten, or never there)."""


def utc_now() -> dt.datetime:
    """The wall clock, in UTC."""
    return dt.datetime.now(dt.UTC)


class Ratings:
    """Rating prompts and the customers' answers, over the store, on an injectable clock."""

    def __init__(
        self,
        store: Store,
        *,
        after_minutes: float,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.store = store
        self.after = dt.timedelta(minutes=after_minutes)
        self.clock = clock

    async def due(self, key_prefix: str = "") -> list[QuietConversation]:
        """Conversations quiet long enough after an answer, with no rating asked yet in the
        episode and no ticket staff are working on."""
        quiet_since = self.clock() - self.after
        return await self.store.quiet_conversations(
            quiet_since=quiet_since, answered_after=quiet_since - TOO_LATE, key_prefix=key_prefix
        )

    async def ask_when_quiet(self, conversation_id: int) -> RatingRecord | None:
        """Claim the quiet-period prompt; None when it was claimed already."""
        return await self.store.ask_rating(conversation_id, reason=QUIET)

    async def ask_after_resolve(self, ticket: Ticket) -> RatingRecord | None:
        """Claim the prompt a ticket's Resolve asks; None when the episode had one already."""
        return await self.store.ask_rating(
            ticket.conversation_id, reason=RESOLVED, ticket_id=ticket.id
        )

    async def shown(self, rating_id: int, message_id: int) -> None:
        """The prompt is on screen in this message."""
        await self.store.set_rating_prompt(rating_id, message_id)

    async def rate(self, rating_id: int, person_id: str, score: int) -> RatingRecord:
        """The customer's press: stored (a later press changes it); a rating of a ticket's
        conversation goes out as `ticket.rated`."""
        if score not in SCORES:
            raise RatingError(f"a rating is 1 to 5, not {score}")
        await self._customers(rating_id, person_id)
        rated = await self.store.rate(rating_id, by=person_id, rating=score, event=TICKET_RATED)
        if rated is None:
            raise RatingGoneError(rating_id)
        return rated

    async def comment(self, rating_id: int, person_id: str, text: str) -> RatingRecord:
        """The customer's optional comment on their rating (empty clears it)."""
        await self._customers(rating_id, person_id)
        commented = await self.store.rate(
            rating_id, by=person_id, comment=text.strip()[:MAX_COMMENT] or None, event=TICKET_RATED
        )
        if commented is None:
            raise RatingGoneError(rating_id)
        return commented

    async def _customers(self, rating_id: int, person_id: str) -> RatingRecord:
        record = await self.store.get_rating(rating_id)
        if record is None:
            raise RatingGoneError(rating_id)
        if record.customer_id != person_id:
            raise NotTheCustomerError(rating_id)
        return record
