"""The "Get help" panel: a persistent button that opens a form, and the form itself."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

import discord

from bot.engine.copy import (
    FORM_ORDER,
    FORM_ORDER_HINT,
    FORM_PHOTOS,
    FORM_PHOTOS_HINT,
    FORM_PROBLEM,
    GET_HELP,
)
from bot.frontends.discord.views import PressHandler, pressable, shown

MAX_PHOTOS = 4
HELP_BUTTON = "help:open"

# What the form calls when it is sent: the problem, the order number, the photos.
FormSent = Callable[[discord.Interaction[Any], str, str, list[discord.Attachment]], Awaitable[None]]


class HelpForm(discord.ui.Modal, title=GET_HELP):
    """What went wrong, an optional order number, optional receipt photos."""

    problem: discord.ui.Label[HelpForm] = discord.ui.Label(
        text=FORM_PROBLEM,
        component=discord.ui.TextInput(
            custom_id="problem", style=discord.TextStyle.paragraph, max_length=1500
        ),
    )
    order: discord.ui.Label[HelpForm] = discord.ui.Label(
        text=FORM_ORDER,
        description=FORM_ORDER_HINT,
        component=discord.ui.TextInput(custom_id="order", required=False, max_length=40),
    )
    photos: discord.ui.Label[HelpForm] = discord.ui.Label(
        text=FORM_PHOTOS,
        description=FORM_PHOTOS_HINT,
        component=discord.ui.FileUpload(custom_id="photos", required=False, max_values=MAX_PHOTOS),
    )

    def __init__(self, sent: FormSent) -> None:
        super().__init__(custom_id="help:form", timeout=None)
        self._sent = sent

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Hand what was written and attached to whoever opens conversations."""
        problem = cast("discord.ui.TextInput[HelpForm]", self.problem.component)
        order = cast("discord.ui.TextInput[HelpForm]", self.order.component)
        photos = cast("discord.ui.FileUpload[HelpForm]", self.photos.component)
        await self._sent(interaction, problem.value, order.value, list(photos.values))


def help_button(sent: FormSent) -> PressHandler:
    """The panel button's handler: a press answers with the form, which goes to `sent`."""

    async def press(interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        await interaction.response.send_modal(HelpForm(sent))

    return pressable(re.escape(HELP_BUTTON), press)


def panel_view() -> discord.ui.View:
    """The panel's one button; its custom_id is fixed, so it keeps working after a restart."""
    return shown(
        discord.ui.Button(
            label=GET_HELP, emoji="🛟", style=discord.ButtonStyle.primary, custom_id=HELP_BUTTON
        )
    )
