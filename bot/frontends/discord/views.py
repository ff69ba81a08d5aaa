"""Buttons whose custom_id holds what they act on (a ticket, a page), so they work after a
restart.

A view built here is only shown: a press reaches the handler its cog registered when it was
loaded (`pressable`), not an object kept for each message sent.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Self

import discord

from bot.desk.desk import Ticket, TicketStatus

Press = Callable[[discord.Interaction[Any], re.Match[str]], Awaitable[None]]
Check = Callable[[discord.Interaction[Any]], Awaitable[bool]]
PressHandler = type[discord.ui.DynamicItem[discord.ui.Button[Any]]]

TICKET_BUTTON = r"ticket:(?P<action>claim|resolve|reopen):(?P<ticket_id>[0-9]+)"
TRANSCRIPT_BUTTON = r"ticket:transcript:(?P<ticket_id>[0-9]+)"
PAGE_BUTTON = r"tickets:(?P<status>active|all):(?P<page>[0-9]+):(?P<direction>prev|next)"

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


def pressable(template: str, press: Press, check: Check | None = None) -> PressHandler:
    """The handler of every button whose custom_id matches `template` (for
    `Client.add_dynamic_items`): `check` decides who may press (it answers a refusal
    itself), then `press` gets the interaction and the custom_id's match."""

    class Pressed(discord.ui.DynamicItem[discord.ui.Button[Any]], template=template):
        @classmethod
        async def from_custom_id(
            cls,
            interaction: discord.Interaction[Any],
            item: discord.ui.Item[Any],
            match: re.Match[str],
        ) -> Self:
            return cls(discord.ui.Button(custom_id=match.string))

        async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
            return check is None or await check(interaction)

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            match = self.template.fullmatch(self.custom_id)
            if match is not None:
                await press(interaction, match)

    return Pressed


def shown(*buttons: discord.ui.Button[Any]) -> discord.ui.View:
    """A view to show: stopped, so discord.py keeps nothing for it; its presses go to the
    handlers registered by `pressable`."""
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)
    view.stop()
    return view


def ticket_view(ticket: Ticket) -> discord.ui.View:
    """Claim, Resolve or Reopen, as fit the ticket's status, on its staff post."""
    buttons = []
    for action in _ACTIONS_BY_STATUS.get(ticket.status, ()):
        label, style = _ACTIONS[action]
        custom_id = f"ticket:{action}:{ticket.id}"
        buttons.append(discord.ui.Button[Any](label=label, style=style, custom_id=custom_id))
    if ticket.status == TicketStatus.RESOLVED:
        buttons.append(
            discord.ui.Button[Any](
                label="Transcript",
                emoji="📄",
                style=discord.ButtonStyle.secondary,
                custom_id=f"ticket:transcript:{ticket.id}",
            )
        )
    return shown(*buttons)


def pages_view(status: str, page: int, pages: int) -> discord.ui.View:
    """Newer/older buttons for page `page` (0-based) of `pages` of the staff's ticket list."""
    return shown(
        _page_button("◀ Newer", f"tickets:{status}:{max(page - 1, 0)}:prev", page <= 0),
        _page_button(
            "Older ▶", f"tickets:{status}:{min(page + 1, pages - 1)}:next", page >= pages - 1
        ),
    )


def _page_button(label: str, custom_id: str, disabled: bool) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id, disabled=disabled
    )
