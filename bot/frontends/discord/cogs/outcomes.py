"""Ratings and the way to a person: the rating prompt (after a Resolve, and after a quiet
period), its buttons and comment form, and the "Talk to a person" button on answers."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord.ext import commands

from bot.desk.desk import Ticket
from bot.desk.ratings import NotTheCustomerError, RatingError
from bot.engine.copy import (
    NOT_YOUR_BUTTON,
    NOT_YOUR_RATING,
    RATING_COMMENT_THANKS,
    RATING_GONE,
    RATING_QUESTION,
    RATING_THANKS,
)
from bot.engine.engine import SupportEngine
from bot.frontends.discord.bot import DISCORD_KEY_PREFIX, SupportBot, conversation_key
from bot.frontends.discord.cogs.base import EngineCog
from bot.frontends.discord.handoff import hand_off
from bot.frontends.discord.permissions import is_staff
from bot.frontends.discord.rating_views import (
    PERSON_BUTTON,
    RATING_BUTTON,
    CommentForm,
    rating_view,
)
from bot.frontends.discord.staff import NO_MENTIONS
from bot.frontends.discord.sweeper import Sweeper
from bot.frontends.discord.views import pressable

log = logging.getLogger(__name__)

# How often the quiet period's prompts are looked for (due-ness is read from the store, so
# a restart loses none).
SWEEP_SECONDS = 60.0


class Outcomes(EngineCog):
    """Asks customers for ratings and stores them; hands a conversation to a person from the
    button on the newest answer."""

    def __init__(self, bot: SupportBot, engine: SupportEngine) -> None:
        self.ratings = engine.operations.ratings
        super().__init__(
            bot,
            engine,
            buttons=(
                pressable(RATING_BUTTON, self.on_rating),
                pressable(re.escape(PERSON_BUTTON), self.on_person),
            ),
            sweeper=Sweeper(
                bot, self.ask_due, SWEEP_SECONDS, "could not look for due rating prompts"
            ),
        )

    # ------------------------------------------------------------------ asking

    async def ask_due(self) -> int:
        """Ask every conversation whose quiet period after an answer is over; how many."""
        asked = 0
        for quiet in await self.ratings.due(DISCORD_KEY_PREFIX):
            record = await self.ratings.ask_when_quiet(quiet.conversation_id)
            if record is not None and quiet.channel_id is not None:
                asked += await self._post(quiet.channel_id, record.id)
        return asked

    @commands.Cog.listener()
    async def on_ticket_resolved(self, ticket: Ticket) -> None:
        """Staff resolved a ticket: its customer is asked at once (once per episode)."""
        self.bot.track_work()
        record = await self.ratings.ask_after_resolve(ticket)
        if record is not None and ticket.channel_id is not None:
            await self._post(ticket.channel_id, record.id)

    async def _post(self, channel_id: int, rating_id: int) -> int:
        """The prompt in the conversation's thread; 1 if it was posted."""
        try:
            thread = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(thread, discord.abc.Messageable):
                return 0
            message = await thread.send(
                RATING_QUESTION, view=rating_view(rating_id), allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException:
            log.exception("could not ask for a rating in thread %d", channel_id)
            return 0
        await self.ratings.shown(rating_id, message.id)
        return 1

    # ------------------------------------------------------------------ answers

    async def on_rating(
        self, interaction: discord.Interaction[Any], pressed: re.Match[str]
    ) -> None:
        """The customer's press is stored (a later press changes it); then the optional
        comment form. Anyone else is told it is not theirs."""
        self.bot.track_work()
        rating_id = int(pressed["rating_id"])
        try:
            await self.ratings.rate(rating_id, str(interaction.user.id), int(pressed["score"]))
        except RatingError as exc:
            await interaction.response.send_message(_refusal(exc), ephemeral=True)
            return
        await interaction.response.send_modal(CommentForm(rating_id, self.on_comment))

    async def on_comment(
        self, interaction: discord.Interaction[Any], rating_id: int, text: str
    ) -> None:
        """The comment form was sent: stored with the rating."""
        self.bot.track_work()
        try:
            rated = await self.ratings.comment(rating_id, str(interaction.user.id), text)
        except RatingError as exc:
            await interaction.response.send_message(_refusal(exc), ephemeral=True)
            return
        thanks = (
            RATING_COMMENT_THANKS if rated.comment else RATING_THANKS.format(rating=rated.rating)
        )
        await interaction.response.send_message(thanks, ephemeral=True)

    async def on_person(
        self, interaction: discord.Interaction[Any], pressed: re.Match[str]
    ) -> None:
        """The customer wants a person: what /human does (a second press opens no second
        ticket). Staff may press it too; anyone else is refused."""
        self.bot.track_work()
        key = conversation_key(interaction.channel_id or 0)
        user = interaction.user
        customer_id = await self.engine.customer_id(key)
        staff = is_staff(user, interaction.permissions, self.bot.staff_role_id)
        if customer_id is None or (customer_id != str(user.id) and not staff):
            await interaction.response.send_message(NOT_YOUR_BUTTON, ephemeral=True)
            return
        await hand_off(self.engine, interaction, "")


def _refusal(exc: RatingError) -> str:
    """What a press or comment the store refused is told: not theirs, or gone."""
    return NOT_YOUR_RATING if isinstance(exc, NotTheCustomerError) else RATING_GONE


async def setup(bot: commands.Bot) -> None:
    """Add the outcomes cog, with the engine."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(Outcomes(bot, bot.engine))
