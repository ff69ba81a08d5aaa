"""A Discord message as the engine takes it: who wrote what, where, and their standing."""

from __future__ import annotations

import discord

from bot.engine import Incoming
from bot.frontends.discord.attachments import to_attachments
from bot.frontends.discord.bot import conversation_key
from bot.frontends.discord.permissions import is_staff


def to_incoming(
    message: discord.Message,
    channel: discord.abc.Messageable,
    staff_role_id: int | None,
    *,
    opens: bool = False,
    attachments: list[discord.Attachment] | None = None,
    author: discord.abc.User | None = None,
) -> Incoming:
    """The message as the engine takes it (`author` and `attachments` when they differ from
    the message's own: a member looked up, the thread's copies of its photos)."""
    author = author or message.author
    staff = False
    if isinstance(author, discord.Member) and isinstance(
        channel, discord.Thread | discord.TextChannel
    ):
        staff = is_staff(author, channel.permissions_for(author), staff_role_id)
    channel_id = getattr(channel, "id", 0)
    return Incoming(
        conversation=conversation_key(channel_id),
        author_id=str(author.id),
        author_name=author.display_name,
        text=message.content,
        attachments=to_attachments(message.attachments if attachments is None else attachments),
        message_id=message.id,
        author_is_staff=staff,
        opens=opens,
        channel_id=channel_id,
        link=channel.jump_url if isinstance(channel, discord.Thread) else None,
    )
