"""The staff channel: ticket posts as embeds, kept up to date as tickets change."""

from __future__ import annotations

import asyncio
import logging
import re

import discord

from bot.desk.desk import ReceiptRecord, Ticket, TicketStatus
from bot.desk.destinations import StaffPost
from bot.engine.engine import SupportEngine
from bot.frontends.discord.views import ticket_view
from bot.tools.actions.record import action_lines
from bot.tools.receipts import Receipt, summarize

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
STATUS_COLOURS = {
    TicketStatus.OPEN: discord.Colour.orange(),
    TicketStatus.CLAIMED: discord.Colour.blue(),
    TicketStatus.RESOLVED: discord.Colour.green(),
}
STATUS_LABELS = {
    TicketStatus.OPEN: "🟠 Open",
    TicketStatus.CLAIMED: "🔵 Claimed",
    TicketStatus.RESOLVED: "🟢 Resolved",
}


# Lines Discord renders as headings, small text or quotes; and as a numbered list.
_BLOCK_MARKUP = re.compile(r"^(\s*)(#{1,3}\s|-#\s|>)", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)(\.\s)", re.MULTILINE)
# Discord's <...> tokens: user, role and channel mentions (any length of id), slash-command
# mentions, timestamps and custom emoji, each of which renders as something else.
_DISCORD_TOKEN = re.compile(r"<(?=@[!&]?\d|#\d|/[^>\s]+:\d|t:-?\d|a?:\w+:\d)")
# Direction overrides and isolates: they make text read backwards ("gpj.exe" as "exe.jpg").
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def staff_safe(text: str) -> str:
    """Text a customer or the model wrote, shown to staff as the plain text it is.

    Markdown is escaped, so `[your refund](https://phish...)` shows its URL instead of
    hiding it behind words; bold, headings, quotes and lists stay literal; mentions,
    channel links, command links, timestamps and custom emoji show as typed; direction
    controls are dropped.
    """
    escaped = discord.utils.escape_markdown(_BIDI_CONTROLS.sub("", text))
    escaped = _DISCORD_TOKEN.sub(r"\\<", discord.utils.escape_mentions(escaped))
    escaped = _BLOCK_MARKUP.sub(r"\1\\\2", escaped)
    return _NUMBERED.sub(r"\1\\\2", escaped)


def ticket_embed(
    ticket: Ticket, receipt: ReceiptRecord | None, actions: list[str] | None = None
) -> discord.Embed:
    """The staff post of a ticket: number, status, customer, name, issue, receipt, thread,
    and the actions the conversation took (the company's API)."""
    embed = discord.Embed(
        title=f"Ticket #{ticket.id}",
        description=staff_safe(ticket.issue)[:4096],
        colour=STATUS_COLOURS.get(ticket.status, discord.Colour.light_grey()),
        timestamp=ticket.created_at,
    )
    embed.add_field(name="Status", value=STATUS_LABELS.get(ticket.status, ticket.status))
    customer = f"<@{ticket.user_id}>" if ticket.user_id else "unknown"
    if ticket.user_display:
        customer += f" ({staff_safe(ticket.user_display)})"
    embed.add_field(name="Customer", value=customer[:1024])
    embed.add_field(name="Name given", value=staff_safe(ticket.customer_name)[:1024])
    if ticket.status == TicketStatus.CLAIMED and ticket.claimed_by and ticket.claimed_at:
        since = int(ticket.claimed_at.timestamp())
        embed.add_field(
            name="Claimed by", value=f"<@{ticket.claimed_by}> <t:{since}:R>", inline=False
        )
    if ticket.thread_url:
        embed.add_field(name="Thread", value=ticket.thread_url, inline=False)
    if receipt is not None:
        summary = summarize(Receipt.model_validate(receipt.data))
        embed.add_field(name="Receipt", value=staff_safe(summary)[:1024], inline=False)
    if actions:
        lines = "\n".join(f"• {staff_safe(line)}" for line in actions)
        embed.add_field(name="Actions", value=lines[:1024], inline=False)
    embed.set_footer(text="Created")
    return embed


class StaffChannel:
    """Posts tickets to the staff channel and edits the posts as they change.

    A TicketNotifier: the outbox calls it, and retries what Discord refused.
    """

    name = "discord-staff-channel"

    def __init__(self, client: discord.Client, channel_id: int) -> None:
        self._client = client
        self._channel_id = channel_id

    async def ready(self) -> None:
        """Wait until the client is connected (it may still be logging in)."""
        while True:
            try:
                await self._client.wait_until_ready()
            except RuntimeError:  # not logged in yet: discord.py has no ready event to wait on
                await asyncio.sleep(0.1)
            else:
                return

    async def _channel(self) -> discord.abc.Messageable | None:
        channel = self._client.get_channel(self._channel_id)
        if channel is None:
            channel = await self._client.fetch_channel(self._channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.error("STAFF_CHANNEL_ID %d is not a text channel", self._channel_id)
            return None
        return channel

    async def ticket_created(
        self, ticket: Ticket, receipt: ReceiptRecord | None
    ) -> StaffPost | None:
        """Post the ticket with its buttons; return the post."""
        channel = await self._channel()
        if channel is None:
            return None
        message = await channel.send(
            f"New ticket #{ticket.id} from {staff_safe(ticket.customer_name)}"[:2000],
            embed=ticket_embed(ticket, receipt, await self._actions(ticket)),
            view=ticket_view(ticket),
            allowed_mentions=NO_MENTIONS,
        )
        return StaffPost(message.id, message.jump_url)

    async def ticket_changed(self, ticket: Ticket, receipt: ReceiptRecord | None) -> None:
        """Edit the ticket's post in place: embed and buttons."""
        channel = await self._channel()
        if channel is None or ticket.staff_message_id is None:
            return
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        await channel.get_partial_message(ticket.staff_message_id).edit(
            embed=ticket_embed(ticket, receipt, await self._actions(ticket)),
            view=ticket_view(ticket),
        )

    async def _actions(self, ticket: Ticket) -> list[str]:
        """The actions of the ticket's conversation, read through the bot's engine."""
        engine = getattr(self._client, "engine", None)
        if not isinstance(engine, SupportEngine):
            return []
        return await action_lines(engine.services.store, ticket.conversation_id)
