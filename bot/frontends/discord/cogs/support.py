"""Customer conversations in Discord: a message in, the engine's events out as messages.

This cog only translates. A person's message in the support channel opens a thread and
becomes the conversation's first message; a message in a conversation's thread is the next
one. What happens to it (stored, answered, a notice, silence) is the engine's decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import discord
from discord.ext import commands

from bot.frontends.discord.bot import DISCORD_KEY_PREFIX, SupportBot, conversation_key
from bot.frontends.discord.permissions import is_staff
from bot.frontends.discord.renderer import NO_MENTIONS, StreamingReply
from bot.support.conversation import CUT_BY_RESTART
from bot.support.events import (
    Attachment,
    Conversation,
    EngineEvent,
    Incoming,
    Notice,
    ReplyText,
    TurnEnded,
    TurnStarted,
)

log = logging.getLogger(__name__)

INTERRUPTED_NOTICE = "*(My reply was interrupted. Please send your message again.)*"


def thread_name(author: discord.abc.User) -> str:
    """A thread title naming the customer (Discord allows 100 characters)."""
    return f"Support · {author.display_name}"[:100]


class SupportCog(commands.Cog):
    """Opens a thread for each new message in the support channel; relays the rest."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self._cut: list[Conversation] = []

    async def cog_load(self) -> None:
        """Before the gateway connects (so before any new turn): note the replies a crash
        of the previous process cut short."""
        self._cut = await self.bot.engine.recover_cut_turns(
            CUT_BY_RESTART, key_prefix=DISCORD_KEY_PREFIX
        )

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once per process: tell each thread whose reply a crash cut short."""
        cut, self._cut = self._cut, []
        for conversation in cut:
            if conversation.channel_id is None:
                continue
            try:
                thread = self.bot.get_channel(conversation.channel_id) or (
                    await self.bot.fetch_channel(conversation.channel_id)
                )
            except discord.HTTPException:
                log.warning("thread %d of a cut reply is gone", conversation.channel_id)
                continue
            if isinstance(thread, discord.abc.Messageable):
                await _send_quietly(thread, CUT_BY_RESTART)

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
        await self._relay(message.channel, self.bot.engine.receive(incoming))

    async def _open_conversation(self, message: discord.Message) -> None:
        try:
            thread = await message.create_thread(
                name=thread_name(message.author), auto_archive_duration=1440
            )
        except discord.HTTPException:
            log.exception("could not open a thread for message %d", message.id)
            return
        incoming = self._incoming(message, thread, opens=True)
        await self._relay(thread, self.bot.engine.receive(incoming))

    def _incoming(
        self, message: discord.Message, channel: discord.abc.Messageable, *, opens: bool = False
    ) -> Incoming:
        """The message as the engine takes it: who wrote what, where, and their standing."""
        author = message.author
        staff = False
        if isinstance(author, discord.Member) and isinstance(
            channel, discord.Thread | discord.TextChannel
        ):
            staff = is_staff(author, channel.permissions_for(author), self.bot.staff_role_id)
        channel_id = getattr(channel, "id", 0)
        return Incoming(
            conversation=conversation_key(channel_id),
            author_id=str(author.id),
            author_name=author.display_name,
            text=message.content,
            attachments=[
                Attachment(a.url, a.filename, a.content_type, a.size) for a in message.attachments
            ],
            message_id=message.id,
            author_is_staff=staff,
            opens=opens,
            channel_id=channel_id,
            link=channel.jump_url if isinstance(channel, discord.Thread) else None,
        )

    async def _relay(
        self, channel: discord.abc.Messageable, events: AsyncIterator[EngineEvent]
    ) -> None:
        """Show the engine's events: notices as messages, each turn as a streamed reply."""
        reply: StreamingReply | None = None
        async with contextlib.AsyncExitStack() as typing:
            try:
                async for event in events:
                    if isinstance(event, Notice):
                        await _send_quietly(channel, event.text)
                    elif isinstance(event, TurnStarted):
                        reply = StreamingReply(
                            channel, budget=self.bot.edit_budgets.for_channel(channel)
                        )
                        if self.bot.edit_budgets.requests.quiet():
                            # Worth a request only when the budget has room to spare.
                            await typing.enter_async_context(_typing(channel))
                    elif isinstance(event, ReplyText) and reply is not None:
                        reply.append(event.text)
                    elif isinstance(event, TurnEnded) and reply is not None:
                        await typing.aclose()
                        await _finish(reply, event.notice)
                        reply = None
            finally:
                if reply is not None:
                    # Cut short (shutdown, a bug): the reply still loses its cursor.
                    await asyncio.shield(_finish(reply, INTERRUPTED_NOTICE))


async def _finish(reply: StreamingReply, notice: str) -> None:
    """Bring the reply to its final text; Discord refusing it is logged, not raised."""
    try:
        await reply.finish(notice)
    except discord.HTTPException:
        log.exception("could not deliver a reply")


async def _send_quietly(channel: discord.abc.Messageable, content: str) -> None:
    try:
        await channel.send(content, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.exception("could not send a notice")


@contextlib.asynccontextmanager
async def _typing(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Show typing while the model works; a failure to show it must not stop the reply."""
    try:
        typing = channel.typing()
        await typing.__aenter__()
    except discord.HTTPException:
        log.warning("could not show typing", exc_info=True)
        yield
        return
    try:
        yield
    finally:
        await typing.__aexit__(None, None, None)


async def setup(bot: commands.Bot) -> None:
    """Add the support cog."""
    assert isinstance(bot, SupportBot)
    await bot.add_cog(SupportCog(bot))
