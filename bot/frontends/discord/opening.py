"""Opening a conversation in Discord: the customer's private thread and their first words
carried into it, which bring the customer in with them."""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.engine.copy import CARRIED_WORDS, MOVED_HERE, THREAD_NAME
from bot.engine.limiter import SlidingWindowLimiter
from bot.frontends.discord.attachments import is_image_attachment
from bot.frontends.discord.cooldowns import ThreadCooldowns
from bot.frontends.discord.streaming.global_budget import GlobalBudget, Lane
from bot.frontends.discord.streaming.renderer import NO_MENTIONS

log = logging.getLogger(__name__)


def thread_name(author: discord.abc.User) -> str:
    """A thread title naming the customer (Discord allows 100 characters)."""
    return THREAD_NAME.format(name=author.display_name)[:100]


class ThreadOpener:
    """Opens customers' threads and carries their first words in, within the bot's global
    request budget and Discord's cooldowns on thread creation; a missing permission is
    logged once.

    A private thread costs three requests before the answer's first text: the thread, then
    together the customer's admission to it (Discord's thread-members route) and their words
    carried in. A mention would bring them in too, but every message the bot sends pings
    nobody.
    """

    def __init__(
        self, requests: GlobalBudget, threads_per_minute: int, cooldowns: ThreadCooldowns
    ) -> None:
        self.requests = requests
        self._reported: set[str] = set()
        self.cooldowns = cooldowns
        # THREADS_PER_MINUTE, per guild: on the one sliding window of the engine's limiter.
        self.threads = SlidingWindowLimiter(threads_per_minute, 60.0)

    def thread_room(self, guild_id: int) -> float | None:
        """None when a thread may open in the guild now (and it counts), else the seconds
        until one may."""
        return self.threads.hit(str(guild_id))

    async def private_thread(
        self, channel: discord.TextChannel, customer: discord.abc.User
    ) -> discord.Thread | None:
        """A private thread in the support channel (staff who may manage threads see it
        anyway; the customer is added with their words, see `carry_over`), once Discord's
        cooldown on thread creation there, if any, has passed."""
        try:
            async with self.cooldowns.creating(channel.id):
                return await channel.create_thread(
                    name=thread_name(customer),
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=1440,
                )
        except discord.Forbidden:
            self._report_once(
                "Create Private Threads",
                "cannot open private threads in the support channel: grant the bot Create"
                " Private Threads (and Send Messages in Threads)",
            )
        except discord.HTTPException:
            log.exception("could not open a private thread for %s", customer.id)
        return None

    async def carry_over(
        self,
        thread: discord.Thread,
        author: discord.abc.User,
        text: str,
        attachments: list[discord.Attachment],
        *,
        moved: bool = False,
        admit: bool = False,
    ) -> tuple[discord.Message | None, list[discord.Attachment]]:
        """Post the customer's first words (and photos) in their thread; with `admit`, add
        the customer to the (new, private) thread at the same time.

        The original may be removed from the support channel, and Discord's links to its
        attachments with it: the thread's copies of the photos are the ones the
        conversation keeps. Returns the copy and the attachments it does not carry (files
        that are not images, or too large to upload again), which stay as they were.
        """
        files, left = await self._copies(thread, attachments)
        quoted = "\n".join(f"> {line}" for line in text.splitlines()) if text.strip() else ""
        name = discord.utils.escape_markdown(author.display_name)
        content = f"{CARRIED_WORDS.format(name=name)}\n{quoted}"
        if moved:
            content = f"{content[: 1999 - len(MOVED_HERE)]}\n{MOVED_HERE}"
        posting = self._post(thread, content[:2000], files)
        if admit:
            copy, _ = await asyncio.gather(posting, self._add(thread, author))
        else:
            copy = await posting
        return (copy, left) if copy is not None else (None, attachments)

    async def _post(
        self, thread: discord.Thread, content: str, files: list[discord.File]
    ) -> discord.Message | None:
        try:
            # Part of opening the conversation: it goes in the first-text lane.
            async with self.requests.slot(
                Lane.FIRST_TEXT, route=("POST", f"/channels/{thread.id}/messages")
            ):
                return await thread.send(content, files=files, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("could not carry the first message into thread %d", thread.id)
            return None

    async def _copies(
        self, thread: discord.Thread, attachments: list[discord.Attachment]
    ) -> tuple[list[discord.File], list[discord.Attachment]]:
        """Files of the images to carry, and the attachments that stay behind."""
        limit = thread.guild.filesize_limit
        files: list[discord.File] = []
        left: list[discord.Attachment] = []
        for attachment in attachments:
            if not is_image_attachment(attachment) or attachment.size > limit:
                left.append(attachment)
                continue
            try:
                files.append(await attachment.to_file())
            except discord.HTTPException:
                log.warning("could not copy attachment %s", attachment.filename)
                left.append(attachment)
        return files, left

    async def _add(self, thread: discord.Thread, customer: discord.abc.User) -> None:
        """Add the customer to their private thread (a thread-start request: first lane)."""
        try:
            await thread.add_user(discord.Object(customer.id))
        except discord.HTTPException:
            log.exception("could not add %s to thread %d", customer.id, thread.id)

    def may_remove(self, message: discord.Message) -> bool:
        """Whether the bot may remove the customer's public original (Manage Messages); said
        once in the log when it may not."""
        channel = message.channel
        me = message.guild.me if message.guild else None
        if (
            me is not None
            and isinstance(channel, discord.TextChannel)
            and channel.permissions_for(me).manage_messages
        ):
            return True
        self._report_once(
            "Manage Messages",
            "customers' first messages stay visible in the support channel: grant the bot"
            " Manage Messages there to move them into the private threads",
        )
        return False

    async def take_down(self, message: discord.Message) -> None:
        """Remove the public original (the thread already says it was moved)."""
        try:
            await message.delete()
        except discord.HTTPException:
            log.warning("could not remove message %d from the support channel", message.id)

    def _report_once(self, permission: str, consequence: str) -> None:
        if permission not in self._reported:
            self._reported.add(permission)
            log.error("Missing permission %s: %s", permission, consequence)
