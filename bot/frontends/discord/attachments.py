"""Discord's attachments as the engine takes them, and their bytes read through Discord."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.engine.events import Attachment
from bot.tools.images import is_image


def to_attachments(attachments: Iterable[discord.Attachment]) -> list[Attachment]:
    """Discord's attachments as the engine takes them."""
    return [Attachment(a.url, a.filename, a.content_type, a.size) for a in attachments]


def is_image_attachment(attachment: discord.Attachment) -> bool:
    """Whether the attachment is an image (a receipt candidate)."""
    return is_image(attachment)


class DiscordAttachments:
    """Reads attachment bytes through Discord's own HTTP client (an AttachmentReader)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def read(self, url: str) -> bytes:
        """The bytes behind an attachment URL Discord delivered (signed CDN links expire)."""
        return await self._client.http.get_from_cdn(url)
