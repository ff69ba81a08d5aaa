"""Attachment bytes, read through Discord's own client (CDN links are signed and expire)."""

from __future__ import annotations

import discord

from bot.engine.events import Attachment


class DiscordAttachments:
    """Reads attachment bytes through Discord's own HTTP client (an AttachmentReader)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def read(self, attachment: Attachment) -> bytes:
        """The bytes behind an attachment URL Discord delivered (signed CDN links expire)."""
        return await self._client.http.get_from_cdn(attachment.url)
