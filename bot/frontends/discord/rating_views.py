"""The rating prompt's five buttons, its comment form, and the "Talk to a person" button.

Their custom_ids hold what they act on, so they keep working after a restart (the handlers
are registered by the outcomes cog with `pressable`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import discord

from bot.engine.copy import RATING_COMMENT_LABEL, RATING_COMMENT_TITLE, TALK_TO_PERSON
from bot.frontends.discord.views import shown

RATING_BUTTON = r"rate:(?P<rating_id>[0-9]+):(?P<score>[1-5])"
PERSON_BUTTON = "person:talk"
SCORE_EMOJI = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}
MAX_COMMENT = 1000

# What the form calls with the comment written.
CommentSent = Callable[[discord.Interaction[Any], int, str], Awaitable[None]]


def rating_view(rating_id: int) -> discord.ui.View:
    """Five buttons labelled 1 to 5 for one rating prompt."""
    return shown(
        *(
            discord.ui.Button[Any](
                label=str(score),
                emoji=SCORE_EMOJI[score],
                style=discord.ButtonStyle.secondary,
                custom_id=f"rate:{rating_id}:{score}",
            )
            for score in range(1, 6)
        )
    )


def person_view() -> discord.ui.View:
    """The button on the last message of the newest answer: the same hand-off as /human."""
    return shown(
        discord.ui.Button[Any](
            label=TALK_TO_PERSON,
            emoji="🙋",
            style=discord.ButtonStyle.secondary,
            custom_id=PERSON_BUTTON,
        )
    )


class CommentForm(discord.ui.Modal, title=RATING_COMMENT_TITLE):
    """The optional comment, asked right after a rating press."""

    comment: discord.ui.Label[CommentForm] = discord.ui.Label(
        text=RATING_COMMENT_LABEL,
        component=discord.ui.TextInput(
            custom_id="comment",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MAX_COMMENT,
        ),
    )

    def __init__(self, rating_id: int, sent: CommentSent) -> None:
        super().__init__(custom_id=f"rate:comment:{rating_id}", timeout=None)
        self._rating_id = rating_id
        self._sent = sent

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the comment to whoever stores it."""
        text = cast("discord.ui.TextInput[CommentForm]", self.comment.component).value
        await self._sent(interaction, self._rating_id, text)
