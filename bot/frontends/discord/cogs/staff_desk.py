"""The staff desk: ticket buttons and the /tickets commands, for staff only."""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.desk.desk import DeskError, DeskStats, Person, Ticket, TicketStatus
from bot.engine.copy import PANEL_TEXT, TICKET_CLAIMED, TICKET_RESOLVED
from bot.engine.engine import SupportEngine
from bot.frontends.discord.bot import SupportBot, conversation_key
from bot.frontends.discord.cogs.base import StaffCommands
from bot.frontends.discord.panel import panel_view
from bot.frontends.discord.staff import NO_MENTIONS, STATUS_LABELS, staff_safe
from bot.frontends.discord.views import PAGE_BUTTON, TICKET_BUTTON, pages_view, pressable
from bot.helpcenter.index import HelpGap

log = logging.getLogger(__name__)

PAGE_SIZE = 10
GAPS_SHOWN = 20
LIST_STATUSES = {
    "active": (TicketStatus.OPEN, TicketStatus.CLAIMED),
    "all": tuple(TicketStatus),
}


def person(user: discord.abc.User) -> Person:
    """The acting Discord user as the desk knows people."""
    return Person(id=str(user.id), display_name=user.display_name)


def format_duration(seconds: float | None) -> str:
    """A median as people read it: 4 min, 2 h 5 min, 3 d 4 h."""
    if seconds is None:
        return "no data yet"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min" if minutes else f"{round(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def stats_embed(stats: DeskStats) -> discord.Embed:
    """Counts by status and the median response and resolution times."""
    embed = discord.Embed(title="Tickets", colour=discord.Colour.blurple())
    for status in TicketStatus:
        embed.add_field(name=STATUS_LABELS[status], value=str(stats.counts.get(status, 0)))
    first = stats.median_first_response
    resolution = stats.median_resolution
    embed.add_field(
        name="Median first response",
        value=format_duration(first.total_seconds() if first else None),
        inline=False,
    )
    embed.add_field(
        name="Median time to resolution",
        value=format_duration(resolution.total_seconds() if resolution else None),
        inline=False,
    )
    embed.add_field(
        name="Undelivered events",
        value=f"⚠ {stats.undelivered}: `python -m bot webhooks retry` re-queues them"
        if stats.undelivered
        else "0",
        inline=False,
    )
    return embed


def list_embed(
    tickets: list[Ticket], status: str, page: int, pages: int, total: int
) -> discord.Embed:
    """One page of tickets, newest first."""
    title = "Open tickets" if status == "active" else "All tickets"
    embed = discord.Embed(title=f"{title} ({total})", colour=discord.Colour.blurple())
    lines = [
        f"**#{t.id}** {STATUS_LABELS.get(t.status, t.status)} · {staff_safe(t.customer_name)}"
        f" · {staff_safe(t.issue[:80])}{'…' if len(t.issue) > 80 else ''}"
        + (f" · [thread]({t.thread_url})" if t.thread_url else "")
        for t in tickets
    ]
    embed.description = "\n".join(lines) if lines else "No tickets here. 🎉"
    embed.set_footer(text=f"Page {page + 1} of {pages}")
    return embed


def gaps_embed(gaps: list[HelpGap]) -> discord.Embed:
    """The newest questions the help center had no article for: what to write next."""
    embed = discord.Embed(
        title="Questions the help center could not answer", colour=discord.Colour.blurple()
    )
    lines = [
        f"`{gap.created_at:%Y-%m-%d %H:%M}` "
        f"{staff_safe(gap.query[:150])}{'…' if len(gap.query) > 150 else ''}"
        for gap in gaps
    ]
    embed.description = "\n".join(lines) if lines else "None yet: every question found an article."
    embed.set_footer(text=f"Newest first, at most {GAPS_SHOWN} (UTC)")
    return embed


class StaffDesk(StaffCommands, group_name="tickets", group_description="Work support tickets"):
    """Claim, resolve and reopen tickets from their posts; list them and see statistics."""

    def __init__(self, bot: SupportBot, engine: SupportEngine) -> None:
        self.desk = engine.desk
        # The buttons of ticket posts and of the list: for staff, like the commands.
        buttons = (
            pressable(TICKET_BUTTON, self.on_ticket_button, self.interaction_check),
            pressable(PAGE_BUTTON, self.on_page_button, self.interaction_check),
        )
        super().__init__(bot, engine, buttons=buttons)

    async def on_ticket_button(
        self, interaction: discord.Interaction[Any], pressed: re.Match[str]
    ) -> None:
        """Claim, resolve or reopen; tell the customer when it concerns them."""
        action, ticket_id = pressed["action"], int(pressed["ticket_id"])
        await interaction.response.defer()
        desk = self.desk
        staff = person(interaction.user)
        try:
            if action == "claim":
                ticket = await desk.claim(ticket_id, staff)
            elif action == "resolve":
                ticket = await desk.resolve(ticket_id, staff)
            else:
                ticket = await desk.reopen(ticket_id, staff)
        except DeskError as exc:
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        log.info("ticket #%d %s by %s", ticket.id, ticket.status, staff.display_name)
        if ticket.status == TicketStatus.CLAIMED:
            await self._let_in(ticket, interaction.user)
        await self._tell_customer(ticket, staff)
        if ticket.status == TicketStatus.RESOLVED:
            # The outcomes cog asks the customer for a rating.
            self.bot.dispatch("ticket_resolved", ticket)

    async def _let_in(self, ticket: Ticket, user: discord.abc.User) -> None:
        """A staff member who cannot see private threads (staff by STAFF_ROLE_ID alone) is
        added to the thread of the ticket they claimed, to talk to the customer there."""
        if ticket.channel_id is None:
            return
        thread = self.bot.get_channel(ticket.channel_id)
        if not isinstance(thread, discord.Thread) or not thread.is_private():
            return
        member = thread.guild.get_member(user.id)
        if member is not None and thread.permissions_for(member).manage_threads:
            return
        try:
            await thread.add_user(discord.Object(user.id))
        except discord.HTTPException:
            log.exception("could not add %s to the thread of ticket #%d", user.id, ticket.id)

    async def _tell_customer(self, ticket: Ticket, staff: Person) -> None:
        """Post the change in the customer's thread (between replies) and keep it in the
        conversation."""
        notice = customer_notice(ticket, staff)
        if notice is None or ticket.channel_id is None:
            return
        channel_id = ticket.channel_id

        async def show(text: str) -> None:
            try:
                thread = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(
                    channel_id
                )
                if isinstance(thread, discord.abc.Messageable):
                    await thread.send(text, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.exception("could not tell the customer about ticket #%d", ticket.id)

        await self.engine.tell(conversation_key(channel_id), notice, show)

    async def on_page_button(
        self, interaction: discord.Interaction[Any], pressed: re.Match[str]
    ) -> None:
        """Show another page of the ticket list in the same message."""
        embed, view = await self._page(pressed["status"], int(pressed["page"]))
        await interaction.response.edit_message(embed=embed, view=view)

    async def _page(self, status: str, page: int) -> tuple[discord.Embed, discord.ui.View]:
        desk = self.desk
        _, total = await desk.page(LIST_STATUSES[status], limit=1)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        tickets, total = await desk.page(
            LIST_STATUSES[status], limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        return list_embed(tickets, status, page, pages, total), pages_view(status, page, pages)

    @app_commands.command(name="list", description="Tickets, newest first")
    @app_commands.describe(show="Open and claimed tickets (default), or all of them")
    @app_commands.choices(
        show=[
            app_commands.Choice(name="open and claimed", value="active"),
            app_commands.Choice(name="all", value="all"),
        ]
    )
    async def list_tickets(
        self, interaction: discord.Interaction[Any], show: str = "active"
    ) -> None:
        """Staff: a paginated list of tickets."""
        embed, view = await self._page(show, 0)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="stats", description="Ticket counts and response times")
    async def stats(self, interaction: discord.Interaction[Any]) -> None:
        """Staff: counts by status and median first-response and resolution times."""
        stats = await self.desk.stats()
        await interaction.response.send_message(embed=stats_embed(stats), ephemeral=True)

    @app_commands.command(
        name="panel", description="Post the 'Get help' panel in the support channel"
    )
    async def panel(self, interaction: discord.Interaction[Any]) -> None:
        """Staff: a message with a button that opens the help form (it keeps working after
        restarts)."""
        channel = self.bot.get_channel(self.bot.support_channel_id)
        if not isinstance(channel, discord.TextChannel):
            await interaction.response.send_message(
                "The support channel is not reachable.", ephemeral=True
            )
            return
        await channel.send(PANEL_TEXT, view=panel_view(), allowed_mentions=NO_MENTIONS)
        await interaction.response.send_message(
            f"The panel is in {channel.mention}.", ephemeral=True
        )

    @app_commands.command(name="gaps", description="Questions the help center could not answer")
    async def gaps(self, interaction: discord.Interaction[Any]) -> None:
        """Staff: the newest questions without a help-center article."""
        gaps = await self.engine.help_center.gaps(GAPS_SHOWN)
        await interaction.response.send_message(embed=gaps_embed(gaps), ephemeral=True)


def customer_notice(ticket: Ticket, staff: Person) -> str | None:
    """What the customer reads in their thread when staff act on their ticket."""
    if ticket.status == TicketStatus.CLAIMED:
        return TICKET_CLAIMED.format(staff=staff.display_name, ticket=ticket.id)
    if ticket.status == TicketStatus.RESOLVED:
        return TICKET_RESOLVED.format(ticket=ticket.id)
    return None


async def setup(bot: commands.Bot) -> None:
    """Add the staff desk cog, with the engine."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(StaffDesk(bot, bot.engine))
