"""Reading the fake's state back in tests, and waiting for conditions."""

from __future__ import annotations

import asyncio
import copy
import re
import secrets
import time
from collections.abc import Callable

from fakes.discord_server.constants import JSON
from fakes.discord_server.interaction import Interaction
from fakes.discord_server.media import _image_size
from fakes.discord_server.models import RecordedRequest, _Attachment


class Inspection:
    """What tests read back: messages, requests, edits, attachments; waiting."""

    def add_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str,
        *,
        width: int | None = None,
        height: int | None = None,
        description: str | None = None,
        ephemeral_in: int | None = None,
    ) -> JSON:
        """Store bytes on the fake CDN and return a Discord attachment object for them.

        ``ephemeral_in`` (a channel id) makes it an ephemeral attachment, like files uploaded
        through a modal: served under ``/ephemeral-attachments/`` and marked ``ephemeral``.
        """
        attachment_id = self._snowflakes.next()
        if content_type.startswith("image/") and width is None:
            width, height = _image_size(data)
        stamp = f"{int(time.time()) + 86400:x}"
        query = f"?ex={stamp}&is={int(time.time()):x}&hm={secrets.token_hex(32)}&"
        where = f"attachments/{attachment_id}/{filename}"
        if ephemeral_in is not None:
            where = f"ephemeral-attachments/{int(ephemeral_in)}/{attachment_id}/{filename}"
        meta: JSON = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": f"{self.base_url}/{where}{query}",
            "proxy_url": f"{self.base_url}/proxy/{where}{query}",
            "content_type": content_type,
        }
        if ephemeral_in is not None:
            meta["ephemeral"] = True
        if width is not None and height is not None:
            meta["width"] = width
            meta["height"] = height
        if description is not None:
            meta["description"] = description
        self._attachments[attachment_id] = _Attachment(meta=meta, data=data)
        return copy.deepcopy(meta)

    def messages(self, channel_id: int) -> list[JSON]:
        """Return the current messages of a channel/thread, oldest first."""
        return [copy.deepcopy(m) for m in self._messages.get(int(channel_id), {}).values()]

    def get_message(self, channel_id: int, message_id: int) -> JSON | None:
        """Return one stored message (or ``None``)."""
        message = self._messages.get(int(channel_id), {}).get(int(message_id))
        return copy.deepcopy(message) if message is not None else None

    def edits(
        self, channel_id: int | None = None, *, successful_only: bool = True
    ) -> list[RecordedRequest]:
        """Return the PATCH message requests (optionally of one channel/thread)."""
        template = "/channels/{channel_id}/messages/{message_id}"
        out = []
        for req in self.requests:
            if req.method != "PATCH" or req.route != template:
                continue
            if successful_only and not 200 <= req.status < 300:
                continue
            if channel_id is not None and not req.path.startswith(f"/channels/{channel_id}/"):
                continue
            out.append(req)
        return out

    def requests_matching(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Return recorded requests whose method and path (full match) fit."""
        regex = re.compile(path_regex)
        return [
            r
            for r in self.requests
            if (method == "*" or r.method == method.upper()) and regex.fullmatch(r.path)
        ]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01
    ) -> None:
        """Poll ``predicate`` until true; raise ``TimeoutError`` after ``timeout`` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    async def wait_until_identified(self, timeout: float = 10.0, count: int = 1) -> None:
        """Wait until ``count`` IDENTIFYs in total were answered with READY + GUILD_CREATE."""
        await self.wait_for(lambda: self.identify_count >= count, timeout=timeout)

    def new_snowflake(self) -> int:
        """Return a fresh snowflake (for ids of objects tests create themselves)."""
        return self._snowflakes.next()

    def thread_members(self, thread_id: int) -> set[int]:
        """Return the ids of the users who are members of a thread (the bot included)."""
        return set(self._thread_members.get(int(thread_id), {}))

    def get_interaction(self, interaction_id: int) -> Interaction:
        """Return an interaction started by :meth:`run_command` / :meth:`click_button`."""
        return self._interactions[int(interaction_id)]
