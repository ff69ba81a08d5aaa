"""Customer conversations: a thread per message in the support channel, a turn per message."""

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
from bot.store import Attachment, Conversation
from bot.support.context import Customer
from bot.support.conversation import CUT_BY_RESTART, UserTurn
from bot.support.desk import CLAIMED
from bot.support.events import ReplyText, TurnEnded
from bot.support.images import triage
from bot.support.limits import slow_down_text, too_long_text

log = logging.getLogger(__name__)

EMPTY_MESSAGE_REPLY = "I can read text and images (like a photo of your receipt). How can I help?"
INTERRUPTED_NOTICE = "*(My reply was interrupted. Please send your message again.)*"


def thread_name(author: discord.abc.User) -> str:
    """A thread title naming the customer (Discord allows 100 characters)."""
    return f"Support · {author.display_name}"[:100]


class SupportCog(commands.Cog):
    """Opens a thread for each new message in the support channel and answers in it."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self._recovered = False

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once per process: tell each thread whose reply a crash cut short."""
        if self._recovered:
            return
        self._recovered = True
        for conversation in await self.bot.engine.recover_cut_turns(
            CUT_BY_RESTART, key_prefix=DISCORD_KEY_PREFIX
        ):
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
        """Route a person's message: new conversation, next turn, or not ours."""
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        if message.channel.id == self.bot.support_channel_id:
            wait = self.bot.message_rate.hit(str(message.author.id))
            if wait is not None:
                await _reply_quietly(message, slow_down_text(wait))
                return
            await self._open_conversation(message)
            return
        conversation = await self.bot.engine.services.store.get_conversation(
            conversation_key(message.channel.id)
        )
        if conversation is None:
            return
        # Taken before any other await, so messages are stored in the order they arrived.
        async with self.bot.engine.lock(conversation):
            await self._next_message(message, conversation)

    async def _next_message(self, message: discord.Message, conversation: Conversation) -> None:
        """A message in a conversation's thread: staff words, quiet storage, or a turn."""
        if self._from_staff(message, conversation):
            await self.bot.engine.record_staff_message(
                conversation, _customer(message.author), message.content, message.id
            )
            return
        ticket = await self.bot.engine.services.store.active_ticket(conversation.id)
        if ticket is not None and ticket.status == CLAIMED:
            # Staff have the thread: keep the customer's words for later, say nothing.
            turn = await self._user_turn(message, message.channel, notify=False)
            if turn is not None:
                await self.bot.engine.record_user_message(conversation, turn)
            return
        wait = self.bot.message_rate.hit(str(message.author.id))
        if wait is not None:
            await self._store_unanswered(message, conversation, slow_down_text(wait))
            return
        await self._answer(message, message.channel, conversation)

    async def _store_unanswered(
        self, message: discord.Message, conversation: Conversation, notice: str
    ) -> None:
        """Keep a message the assistant will not answer now, and say why."""
        turn = await self._user_turn(message, message.channel, notify=False)
        if turn is not None:
            await self.bot.engine.record_user_message(conversation, turn)
        await _send_quietly(message.channel, notice)

    def _from_staff(self, message: discord.Message, conversation: Conversation) -> bool:
        """Staff writing in a customer's thread (the customer themself never counts as staff)."""
        if str(message.author.id) == conversation.customer_id:
            return False
        channel = message.channel
        if not isinstance(channel, discord.Thread | discord.TextChannel):
            return False
        if not isinstance(message.author, discord.Member):
            return False
        permissions = channel.permissions_for(message.author)
        return is_staff(message.author, permissions, self.bot.staff_role_id)

    async def _open_conversation(self, message: discord.Message) -> None:
        try:
            thread = await message.create_thread(
                name=thread_name(message.author), auto_archive_duration=1440
            )
        except discord.HTTPException:
            log.exception("could not open a thread for message %d", message.id)
            return
        conversation = await self.bot.engine.open_conversation(
            conversation_key(thread.id), channel_id=thread.id, customer=_customer(message.author)
        )
        async with self.bot.engine.lock(conversation):
            await self._answer(message, thread, conversation)

    async def _answer(
        self,
        message: discord.Message,
        channel: discord.abc.Messageable,
        conversation: Conversation,
    ) -> None:
        """Run a turn; the caller holds the conversation's lock."""
        task = asyncio.current_task()
        if task is not None:
            self.bot.track_turn(task)
        limit = self.bot.limits.max_message_chars
        if len(message.content) > limit:
            await self._store_unanswered(
                message, conversation, too_long_text(len(message.content), limit)
            )
            return
        turn = await self._user_turn(message, channel)
        if turn is not None:
            await self._stream_turn(channel, conversation, turn)

    async def _user_turn(
        self, message: discord.Message, channel: discord.abc.Messageable, *, notify: bool = True
    ) -> UserTurn | None:
        """The turn's text with a line per accepted image; notes on refused attachments."""
        attachments = [
            Attachment(a.url, a.filename, a.content_type, a.size) for a in message.attachments
        ]
        sorted_out = triage(attachments, self.bot.limits.max_images)
        lines = [message.content.strip()] if message.content.strip() else []
        lines += [f"Attached image: {image.url}" for image in sorted_out.images]
        lines += [f"(Attachment note: {note})" for note in sorted_out.notes]
        if sorted_out.notes and notify:
            await _send_quietly(channel, "\n".join(f"ℹ️ {note}" for note in sorted_out.notes))
        if not lines:
            if notify:
                await _send_quietly(channel, EMPTY_MESSAGE_REPLY)
            return None
        return UserTurn(
            text="\n".join(lines),
            customer=_customer(message.author),
            images=sorted_out.images,
            discord_message_id=message.id,
        )

    async def _stream_turn(
        self, channel: discord.abc.Messageable, conversation: Conversation, turn: UserTurn
    ) -> None:
        reply = StreamingReply(channel, budget=self.bot.edit_budgets.for_channel(channel))
        thread_url = channel.jump_url if isinstance(channel, discord.Thread) else None
        notice = INTERRUPTED_NOTICE
        try:
            async with _typing(channel):
                async for event in self.bot.engine.turn(conversation, turn, thread_url=thread_url):
                    if isinstance(event, ReplyText):
                        reply.append(event.text)
                    elif isinstance(event, TurnEnded):
                        notice = event.notice
        finally:
            # Whatever happened, the reply loses its cursor and its task ends.
            await asyncio.shield(_deliver(reply, conversation, notice))


async def _deliver(reply: StreamingReply, conversation: Conversation, notice: str) -> None:
    """Bring the reply to its final text; Discord refusing it is logged, not raised."""
    try:
        await reply.finish(notice)
    except discord.HTTPException:
        log.exception("could not deliver the reply in conversation %d", conversation.id)


def _customer(author: discord.abc.User) -> Customer:
    return Customer(id=str(author.id), display_name=author.display_name, mention=author.mention)


async def _reply_quietly(message: discord.Message, content: str) -> None:
    try:
        await message.reply(content, allowed_mentions=NO_MENTIONS, mention_author=False)
    except discord.HTTPException:
        log.exception("could not reply to message %d", message.id)


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
