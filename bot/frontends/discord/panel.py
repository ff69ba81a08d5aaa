"""The "Get help" panel: a persistent button that opens a form, and the form itself."""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, cast

import discord

PANEL_TEXT = (
    "**Need help with an order?** Press the button and tell us what happened. We'll open a"
    " private conversation that only you and our support team can see. You can also just"
    " write in this channel."
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


class HelpForm(discord.ui.Modal, title="Get help"):
    """What went wrong, an optional order number, optional receipt photos."""

    problem: discord.ui.Label[HelpForm] = discord.ui.Label(
        text="What went wrong?",
        component=discord.ui.TextInput(
            custom_id="problem", style=discord.TextStyle.paragraph, max_length=1500
        ),
    )
    order: discord.ui.Label[HelpForm] = discord.ui.Label(
        text="Order number",
        description="If you have it",
        component=discord.ui.TextInput(custom_id="order", required=False, max_length=40),
    )
    photos: discord.ui.Label[HelpForm] = discord.ui.Label(
        text="Receipt photos",
        description="Optional: a photo of your receipt helps us check your order",
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
                label="Get help",
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
