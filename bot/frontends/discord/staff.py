"""The staff channel: where new tickets are posted for staff to work."""

from __future__ import annotations

import datetime as dt
import logging

import discord

from bot.store import Attachment, ReceiptRecord, Ticket
from bot.support.receipts import Receipt, summarize

log = logging.getLogger(__name__)

TICKET_COLOUR = discord.Colour.orange()
NO_MENTIONS = discord.AllowedMentions.none()


def ticket_embed(ticket: Ticket, receipt: ReceiptRecord | None) -> discord.Embed:
    """The staff post of a ticket: number, name, customer, issue, thread and receipt."""
    embed = discord.Embed(
        title=f"Ticket #{ticket.id}",
        description=ticket.issue[:4096],
        colour=TICKET_COLOUR,
        timestamp=dt.datetime.fromisoformat(ticket.created_at.replace("Z", "+00:00")),
    )
    embed.add_field(name="Name given", value=ticket.customer_name[:1024], inline=True)
    customer = f"<@{ticket.user_id}>" if ticket.user_id else "unknown"
    if ticket.user_display:
        customer += f" ({ticket.user_display})"
    embed.add_field(name="Customer", value=customer[:1024], inline=True)
    embed.add_field(name="Status", value=ticket.status, inline=True)
    if ticket.thread_url:
        embed.add_field(name="Thread", value=ticket.thread_url, inline=False)
    if receipt is not None:
        summary = summarize(Receipt.model_validate(receipt.data))
        embed.add_field(name="Receipt", value=summary[:1024], inline=False)
    return embed


class StaffChannel:
    """Posts tickets to the staff channel (a TicketNotifier)."""

    def __init__(self, client: discord.Client, channel_id: int) -> None:
        self._client = client
        self._channel_id = channel_id

    async def ticket_created(self, ticket: Ticket, receipt: ReceiptRecord | None) -> int | None:
        """Post the ticket; return the post's message id."""
        channel = self._client.get_channel(self._channel_id)
        if channel is None:
            channel = await self._client.fetch_channel(self._channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.error("STAFF_CHANNEL_ID %d is not a text channel", self._channel_id)
            return None
        message = await channel.send(
            f"New ticket #{ticket.id} from {ticket.customer_name}",
            embed=ticket_embed(ticket, receipt),
            allowed_mentions=NO_MENTIONS,
        )
        return message.id


class DiscordAttachments:
    """Reads attachment bytes through Discord's own HTTP client (an AttachmentReader)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def read(self, attachment: Attachment) -> bytes:
        """The bytes behind an attachment URL Discord delivered (signed CDN links expire)."""
        return await self._client.http.get_from_cdn(attachment.url)
