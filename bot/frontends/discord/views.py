"""Persistent buttons: the ticket id or page lives in the custom_id, so restarts keep them."""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, cast

import discord

from bot.desk.desk import Ticket, TicketStatus

_ACTIONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "claim": ("Claim", discord.ButtonStyle.primary),
    "resolve": ("Resolve", discord.ButtonStyle.success),
    "reopen": ("Reopen", discord.ButtonStyle.secondary),
}
_ACTIONS_BY_STATUS = {
    TicketStatus.OPEN: ("claim", "resolve"),
    TicketStatus.CLAIMED: ("resolve",),
    TicketStatus.RESOLVED: ("reopen",),
}


class DeskHandler(Protocol):
    """What the buttons call: the staff desk cog."""

    async def on_ticket_button(
        self, interaction: discord.Interaction[Any], action: str, ticket_id: int
    ) -> None:
        """A staff button on a ticket post was pressed."""
        ...

    async def on_page_button(
        self, interaction: discord.Interaction[Any], status: str, page: int
    ) -> None:
        """A page button under the ticket list was pressed."""
        ...

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether the one who pressed may work tickets (refusing them if not)."""
        ...


class _StaffOnly:
    """Buttons that only staff may press: the desk's own check decides."""

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """The staff desk's check, the same as for its commands."""
        return await _desk(interaction).interaction_check(interaction)


def _desk(interaction: discord.Interaction[Any]) -> DeskHandler:
    return cast("DeskHandler", interaction.client.get_cog("StaffDesk"))


class TicketButton(
    _StaffOnly,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ticket:(?P<action>claim|resolve|reopen):(?P<ticket_id>[0-9]+)",
):
    """Claim, Resolve or Reopen on a ticket's staff post."""

    def __init__(self, action: str, ticket_id: int) -> None:
        label, style = _ACTIONS[action]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"ticket:{action}:{ticket_id}")
        )
        self.action = action
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> Self:
        """Rebuild the button from its custom_id (after a restart too)."""
        return cls(match["action"], int(match["ticket_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the press to the staff desk."""
        await _desk(interaction).on_ticket_button(interaction, self.action, self.ticket_id)


class PageButton(
    _StaffOnly,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tickets:(?P<status>active|all):(?P<page>[0-9]+):(?P<direction>prev|next)",
):
    """Previous or next page of the staff's ticket list."""

    def __init__(self, status: str, page: int, direction: str, *, disabled: bool = False) -> None:
        label = "◀ Newer" if direction == "prev" else "Older ▶"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"tickets:{status}:{page}:{direction}",
                disabled=disabled,
            )
        )
        self.status = status
        self.page = page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(match["status"], int(match["page"]), match["direction"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the page this button leads to."""
        await _desk(interaction).on_page_button(interaction, self.status, self.page)


def ticket_view(ticket: Ticket) -> discord.ui.View:
    """The buttons that fit the ticket's status."""
    view = discord.ui.View(timeout=None)
    for action in _ACTIONS_BY_STATUS.get(ticket.status, ()):
        view.add_item(TicketButton(action, ticket.id))
    return view


def pages_view(status: str, page: int, pages: int) -> discord.ui.View:
    """Newer/older buttons for page `page` (0-based) of `pages`."""
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(status, max(page - 1, 0), "prev", disabled=page <= 0))
    view.add_item(PageButton(status, min(page + 1, pages - 1), "next", disabled=page >= pages - 1))
    return view
