"""Customer conversations in Discord: a message in, the engine's events out as messages.

This cog only translates. A person's message in the support channel opens a thread and
becomes the conversation's first message; a message in a conversation's thread is the next
one. What happens to it (stored, answered, a notice, silence) is the engine's decision.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import discord
from discord.ext import commands

from bot.engine import CutTurn, Incoming
from bot.frontends.discord.bot import DISCORD_KEY_PREFIX, SupportBot, conversation_key
from bot.frontends.discord.catchup import CatchUp, HandledInOrder, Missed
from bot.frontends.discord.incoming import to_incoming
from bot.frontends.discord.opening import ThreadOpener, thread_name
from bot.frontends.discord.originals import remove_left_originals
from bot.frontends.discord.panel import help_button
from bot.frontends.discord.relay import Relay, send_quietly
from bot.frontends.discord.starting import Starter

log = logging.getLogger(__name__)


class SupportCog(commands.Cog):
    """Opens a thread for each new message in the support channel; relays the rest."""

    def __init__(self, bot: SupportBot, starter: Starter) -> None:
        self.bot = bot
        # New conversations are the starter's; the engine and the relay are shared with it.
        self.starter = starter
        self.engine = starter.engine
        self.relay = starter.relay
        self._handled = HandledInOrder()
        # The panel's form opens a private conversation with what the customer wrote.
        self._help_button = help_button(starter.from_form)
        self._cut: list[CutTurn] = []
        self._started = False
        self.catch_up = CatchUp(bot, self.engine.backlog, DISCORD_KEY_PREFIX)
        self._resumed: set[asyncio.Task[None]] = set()  # held until done (the loop keeps weak refs)

    async def cog_load(self) -> None:
        """Before the gateway connects (so before any new message or turn): note what the
        previous process left unfinished (a cut turn, a message due an answer) and where each
        open conversation was read to; answer the panel's button (after restarts too)."""
        self.bot.add_dynamic_items(self._help_button)
        self._cut = await self.engine.recover_cut_turns(key_prefix=DISCORD_KEY_PREFIX)
        support = self.bot.get_partial_messageable(self.bot.support_channel_id)
        await remove_left_originals(support, self.engine, DISCORD_KEY_PREFIX)
        await self.catch_up.note(self.bot.support_channel_id)

    async def cog_unload(self) -> None:
        """Stop answering the panel's button."""
        self.bot.remove_dynamic_items(self._help_button)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once per process: tell each thread whose turn a stop cut short and answer what was
        left without an answer; then catch up on what was sent while the bot was down."""
        if self._started:
            return
        self._started = True
        self._spawn(self._after_start())

    async def _after_start(self) -> None:
        self.bot.track_work()
        try:
            await self._recover_and_catch_up()
        except Exception:
            log.exception("could not recover or catch up after the stop")

    async def _recover_and_catch_up(self) -> None:
        cut, self._cut = self._cut, []
        for turn in cut:
            await self._tell_cut(turn)
        async for missed in self.catch_up.threads():
            for message in missed.messages:
                # Spawned in order: the engine stores them in that order, one turn answers.
                incoming = await self._caught_up(message, missed)
                if incoming is not None:
                    self._spawn(self._relayed(missed.thread, incoming))
        channel = self.bot.get_channel(self.bot.support_channel_id)
        if isinstance(channel, discord.TextChannel):
            firsts = await self.catch_up.first_messages(channel)
            await asyncio.gather(*(self._open_conversation(m) for m in firsts))
            await self.catch_up.finish(channel.id)

    async def _tell_cut(self, turn: CutTurn) -> None:
        channel_id = turn.channel_id
        if channel_id is None:
            return
        try:
            thread = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        except discord.HTTPException:
            log.warning("thread %d of a cut reply is gone", channel_id)
            return
        if not isinstance(thread, discord.Thread):
            return
        await send_quietly(thread, turn.notice)
        if turn.unanswered:
            self._spawn(self._resume(thread))

    async def _caught_up(self, message: discord.Message, missed: Missed) -> Incoming | None:
        """A message sent while the bot was down, as the engine takes it: the customer's, or
        staff's; anyone else is not heard."""
        author = await self.catch_up.author(message, missed)
        incoming = None if author is None else self._incoming(message, missed.thread, author=author)
        if incoming and (incoming.author_id == missed.customer_id or incoming.author_is_staff):
            return incoming
        return None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._resumed.add(task)
        task.add_done_callback(self._resumed.discard)

    async def _relayed(self, thread: discord.Thread, incoming: Incoming) -> None:
        self.bot.track_work()
        await self.relay(thread, self.engine.receive(incoming))

    async def _resume(self, thread: discord.Thread) -> None:
        self.bot.track_work()
        events = self.engine.resume(conversation_key(thread.id), link=thread.jump_url)
        await self.relay(thread, events)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A person's message: a new conversation, or the next message of one."""
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        self.bot.track_work()
        if message.channel.id == self.bot.support_channel_id:
            await self._open_conversation(message)
            return
        # No await before the engine's: messages are stored in the order they arrived.
        incoming = self._incoming(message, message.channel)
        await self.relay(message.channel, self.engine.receive(incoming))

    async def _open_conversation(self, message: discord.Message) -> None:
        """A message in the support channel opens the customer's thread and is its first;
        once handled, the channel's mark moves past it, never past one still being handled
        (a start reads only newer ones)."""
        self._handled.begin(message.id)
        try:
            await self._open(message)
        finally:
            newest = self._handled.end(message.id)
        if newest is None:
            return
        try:
            await self.engine.backlog.advance(message.channel.id, newest)
        except Exception:
            log.exception("could not note message %d as handled", newest)

    async def _open(self, message: discord.Message) -> None:
        if not self.bot.private_threads:
            try:
                public = await message.create_thread(
                    name=thread_name(message.author), auto_archive_duration=1440
                )
            except discord.HTTPException:
                log.exception("could not open a thread for message %d", message.id)
                return
            incoming = self._incoming(message, public, opens=True)
            await self.relay(public, self.engine.receive(incoming))
            return
        if isinstance(message.channel, discord.TextChannel):
            await self.starter.from_message(message, message.channel)

    def _incoming(
        self,
        message: discord.Message,
        channel: discord.abc.Messageable,
        *,
        opens: bool = False,
        author: discord.abc.User | None = None,
    ) -> Incoming:
        """The message as the engine takes it: who wrote what, where, and their standing."""
        return to_incoming(message, channel, self.bot.staff_role_id, opens=opens, author=author)


async def setup(bot: commands.Bot) -> None:
    """Add the support cog, with the engine and the bot's request budgets."""
    assert isinstance(bot, SupportBot)
    budgets = bot.edit_budgets
    opener = ThreadOpener(budgets.requests, bot.threads_per_minute, bot.thread_cooldowns)
    await bot.add_cog(SupportCog(bot, Starter(bot, bot.engine, opener, Relay(budgets))))
