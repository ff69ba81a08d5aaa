"""Catching up at start: the messages Discord holds that the gateway never delivered.

Whatever stopped the bot (a deploy, a crash, a `SIGKILL`; a standby taking over starts the bot
the same way, once it holds the lock), messages sent meanwhile reached nobody. At start the
bot reads them through REST and the support cog hands each to the engine exactly as a live
message (`SupportEngine.receive`; one the store already holds is never stored twice):

- each open conversation's thread, after the newest message the conversation stored
  (`GET /channels/{thread}/messages?after=`, 100 a page, oldest page first). Only threads
  Discord lists as active at connect and whose last message is newer than that are read: an
  archived thread has had no message since (a message would have unarchived it);
- the support channel, after the newest first message handled (the channel's mark, kept in
  the store as each new conversation is opened).

The cost is one request per page: at most `MAX_THREADS` threads (the conversations active
within `OPEN_FOR`, newest first) of at most `PAGES_PER_THREAD` pages, and at most
`FIRST_PAGES` pages of the support channel. Every request goes through the bot's global
request budget like any other (Discord's 50 per second), so replies keep their share.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord

from bot.engine.recovery import Backlog, OpenThread

log = logging.getLogger(__name__)

MAX_THREADS = 100
OPEN_FOR = dt.timedelta(days=7)
PAGES_PER_THREAD = 3
FIRST_PAGES = 5
PAGE = 100  # Discord's largest page


@dataclass(frozen=True)
class Missed:
    """A thread's messages sent while the bot was down, oldest first, and its customer."""

    thread: discord.Thread
    customer_id: str | None
    messages: list[discord.Message]


def from_a_person(message: discord.Message) -> bool:
    """A message a person wrote (not a bot, a webhook or a system message)."""
    return (
        not message.author.bot
        and message.webhook_id is None
        and message.type in (discord.MessageType.default, discord.MessageType.reply)
    )


class CatchUp:
    """Reads, once per process, what was sent while the bot was down; counts its requests."""

    def __init__(self, client: discord.Client, backlog: Backlog, key_prefix: str) -> None:
        self._client = client
        self._backlog = backlog
        self._key_prefix = key_prefix
        self._threads: list[OpenThread] = []
        self._mark: int | None = None
        self._newest_first = 0
        self.requests = 0

    async def note(self, support_channel_id: int) -> None:
        """Before the gateway connects (before any new message is stored): where each open
        conversation and the support channel were read to. A store that never noted the
        support channel starts from now (an old channel's history is not a backlog)."""
        self._threads = await self._backlog.open_threads(
            self._key_prefix, active_within=OPEN_FOR, limit=MAX_THREADS
        )
        self._mark = await self._backlog.mark(support_channel_id)
        if self._mark is None:
            now = discord.utils.time_snowflake(discord.utils.utcnow())
            await self._backlog.advance(support_channel_id, now)

    async def threads(self) -> AsyncIterator[Missed]:
        """Each open thread with messages newer than its conversation stored."""
        for open_thread in self._threads:
            thread = self._client.get_channel(open_thread.conversation.channel_id or 0)
            cursor = open_thread.last_message_id
            if not isinstance(thread, discord.Thread) or thread.archived or cursor is None:
                continue
            if thread.last_message_id is not None and thread.last_message_id <= cursor:
                continue
            messages = await self._read(thread, cursor, PAGES_PER_THREAD)
            people = [m for m in messages if from_a_person(m)]
            if people:
                yield Missed(thread, open_thread.conversation.customer_id, people)

    async def first_messages(self, channel: discord.TextChannel) -> list[discord.Message]:
        """The support channel's messages by people since the last one handled, oldest first,
        without those the store holds already (handled before the stop)."""
        if self._mark is None:
            return []
        messages = await self._read(channel, self._mark, FIRST_PAGES)
        if messages:
            self._newest_first = messages[-1].id
        people = [m for m in messages if from_a_person(m)]
        stored = await self._backlog.stored([m.id for m in people])
        return [m for m in people if m.id not in stored]

    async def finish(self, support_channel_id: int) -> None:
        """Every first message read is handled: the channel's mark moves past them."""
        if self._newest_first:
            await self._backlog.advance(support_channel_id, self._newest_first)
        log.info("caught up after the stop with %d Discord request(s)", self.requests)

    async def author(self, message: discord.Message, missed: Missed) -> discord.abc.User | None:
        """The message's author; someone other than the customer as a member (looked up when
        not cached), so staff are known as staff; None when that fails."""
        author: discord.abc.User = message.author
        if str(author.id) == missed.customer_id or isinstance(author, discord.Member):
            return author
        self.requests += 1
        try:
            return await missed.thread.guild.fetch_member(author.id)
        except discord.HTTPException:
            return None

    async def _read(
        self, channel: discord.abc.Messageable, after: int, pages: int
    ) -> list[discord.Message]:
        """Up to `pages` pages of the channel's messages after an id, oldest first."""
        found: list[discord.Message] = []
        anchor = discord.Object(id=after)
        for _ in range(pages):
            self.requests += 1
            try:
                page = [
                    m async for m in channel.history(limit=PAGE, after=anchor, oldest_first=True)
                ]
            except discord.HTTPException:
                log.warning("could not read what was sent in channel %s while down", channel)
                break
            found += page
            if len(page) < PAGE:
                break
            anchor = discord.Object(id=page[-1].id)
        return found


class HandledInOrder:
    """How far the support channel's mark may move: past messages whose handling ended, never
    past one still being handled (a message waiting for its thread may wait minutes while
    later ones are answered; a restart must still find it)."""

    def __init__(self) -> None:
        self._handling: set[int] = set()
        self._handled: set[int] = set()

    def begin(self, message_id: int) -> None:
        """A message's handling starts."""
        self._handling.add(message_id)

    def end(self, message_id: int) -> int | None:
        """A message's handling ended: the newest message the mark may now move to (None:
        not past any yet)."""
        self._handling.discard(message_id)
        self._handled.add(message_id)
        oldest = min(self._handling, default=None)
        done = [m for m in self._handled if oldest is None or m < oldest]
        if not done:
            return None
        self._handled.difference_update(done)
        return max(done)
