"""The "Get help" panel: a persistent button that opens a form, and the form itself."""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, cast

import discord

from bot.engine.copy import (
    FORM_ORDER,
    FORM_ORDER_HINT,
    FORM_PHOTOS,
    FORM_PHOTOS_HINT,
    FORM_PROBLEM,
    GET_HELP,
)

MAX_PHOTOS = 4


class HelpOpener(Protocol):
    """What the form calls when it is sent: the support cog."""

    async def open_from_form(
        self,
        interaction: discord.Interaction[Any],
        problem: str,
        order: str,
        photos: list[discord.Attachment],
    ) -> None:
        """Open the customer's private conversation with the form as its first message."""
        ...


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

    def __init__(self, opener: HelpOpener) -> None:
        super().__init__(custom_id="help:form", timeout=None)
        self._opener = opener

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Hand what was written and attached to the support cog."""
        problem = cast("discord.ui.TextInput[HelpForm]", self.problem.component)
        order = cast("discord.ui.TextInput[HelpForm]", self.order.component)
        photos = cast("discord.ui.FileUpload[HelpForm]", self.photos.component)
        await self._opener.open_from_form(
            interaction, problem.value, order.value, list(photos.values)
        )


class HelpButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"help:open",
):
    """The panel's button; its custom_id is fixed, so it keeps working after a restart."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label=GET_HELP,
                emoji="🛟",
                style=discord.ButtonStyle.primary,
                custom_id="help:open",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> Self:
        """Rebuild the button (after a restart too)."""
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Answer the press with the form."""
        opener = cast("HelpOpener", interaction.client.get_cog("SupportCog"))
        await interaction.response.send_modal(HelpForm(opener))


def panel_view() -> discord.ui.View:
    """The panel's one button."""
    view = discord.ui.View(timeout=None)
    view.add_item(HelpButton())
    return view
