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
from typing import Any

import discord
from discord.ext import commands

from bot.engine.copy import (
    CARRIED_WORDS,
    INTERRUPTED_NOTICE,
    MOVED_HERE,
    NO_THREAD,
    OPENED_FOR_YOU,
    ORDER_LINE,
    THREAD_NAME,
)
from bot.engine.engine import CutTurn
from bot.engine.events import (
    Attachment,
    EngineEvent,
    Incoming,
    Notice,
    ReplyText,
    TurnEnded,
    TurnStarted,
)
from bot.frontends.discord.bot import DISCORD_KEY_PREFIX, SupportBot, conversation_key
from bot.frontends.discord.permissions import is_staff
from bot.frontends.discord.streaming.global_budget import Lane
from bot.frontends.discord.streaming.renderer import NO_MENTIONS, StreamingReply
from bot.tools.images import is_image

log = logging.getLogger(__name__)


def thread_name(author: discord.abc.User) -> str:
    """A thread title naming the customer (Discord allows 100 characters)."""
    return THREAD_NAME.format(name=author.display_name)[:100]


class SupportCog(commands.Cog):
    """Opens a thread for each new message in the support channel; relays the rest."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self._cut: list[CutTurn] = []
        self._reported: set[str] = set()
        self._resumed: set[asyncio.Task[None]] = set()  # held until done (the loop keeps weak refs)

    async def cog_load(self) -> None:
        """Before the gateway connects (so before any new turn): note the turns a crash
        of the previous process cut short."""
        self._cut = await self.bot.engine.recover_cut_turns(key_prefix=DISCORD_KEY_PREFIX)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once per process: tell each thread whose turn a crash cut short, and answer what
        was left without an answer."""
        cut, self._cut = self._cut, []
        for turn in cut:
            channel_id = turn.conversation.channel_id
            if channel_id is None:
                continue
            try:
                thread = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(
                    channel_id
                )
            except discord.HTTPException:
                log.warning("thread %d of a cut reply is gone", channel_id)
                continue
            if not isinstance(thread, discord.Thread):
                continue
            await _send_quietly(thread, turn.notice)
            if turn.unanswered:
                task = asyncio.create_task(self._resume(thread))
                self._resumed.add(task)
                task.add_done_callback(self._resumed.discard)

    async def _resume(self, thread: discord.Thread) -> None:
        self.bot.track_work()
        events = self.bot.engine.resume(conversation_key(thread.id), link=thread.jump_url)
        await self._relay(thread, events)

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
        """A message in the support channel opens the customer's thread and is its first."""
        if not self.bot.private_threads:
            try:
                public = await message.create_thread(
                    name=thread_name(message.author), auto_archive_duration=1440
                )
            except discord.HTTPException:
                log.exception("could not open a thread for message %d", message.id)
                return
            incoming = self._incoming(message, public, opens=True)
            await self._relay(public, self.bot.engine.receive(incoming))
            return
        if not isinstance(message.channel, discord.TextChannel):
            return
        thread = await self._private_thread(message.channel, message.author)
        if thread is None:
            return
        removable = self._may_remove(message)
        copy, left = await self._carry_over(
            thread, message.author, message.content, list(message.attachments), moved=removable
        )
        incoming = self._incoming(
            message, thread, opens=True, attachments=[*(copy.attachments if copy else []), *left]
        )
        await self._relay(thread, self.bot.engine.receive(incoming))
        if removable and copy is not None and not any(_is_image(a) for a in left):
            # Nothing the conversation needs stays behind: the original can go (after the
            # answer, which the customer waits for, has had the requests it needed).
            await self._take_down(message, thread)

    async def open_from_form(
        self,
        interaction: discord.Interaction[Any],
        problem: str,
        order: str,
        photos: list[discord.Attachment],
    ) -> None:
        """The panel's form: a private thread with what the customer wrote as its first
        message (their photos carried into the thread as well)."""
        self.bot.track_work()
        channel = self.bot.get_channel(self.bot.support_channel_id)
        if not isinstance(channel, discord.TextChannel):
            await interaction.response.send_message(NO_THREAD, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        thread = await self._private_thread(channel, interaction.user)
        if thread is None:
            await interaction.followup.send(NO_THREAD, ephemeral=True)
            return
        text = problem.strip()
        if order.strip():
            text += "\n" + ORDER_LINE.format(order=order.strip())
        copy, left = await self._carry_over(thread, interaction.user, text, photos)
        await interaction.followup.send(
            OPENED_FOR_YOU.format(thread=thread.mention), ephemeral=True
        )
        user = interaction.user
        incoming = Incoming(
            conversation=conversation_key(thread.id),
            author_id=str(user.id),
            author_name=user.display_name,
            text=text,
            attachments=_attachments([*(copy.attachments if copy else []), *left]),
            message_id=copy.id if copy else None,
            opens=True,
            channel_id=thread.id,
            link=thread.jump_url,
        )
        await self._relay(thread, self.bot.engine.receive(incoming))

    async def _private_thread(
        self, channel: discord.TextChannel, customer: discord.abc.User
    ) -> discord.Thread | None:
        """A private thread in the support channel with the customer added (staff who may
        manage threads see it anyway; nobody else can)."""
        try:
            thread = await channel.create_thread(
                name=thread_name(customer),
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=1440,
            )
            await thread.add_user(discord.Object(customer.id))
        except discord.Forbidden:
            self._report_once(
                "Create Private Threads",
                "cannot open private threads in the support channel: grant the bot Create"
                " Private Threads (and Send Messages in Threads)",
            )
            return None
        except discord.HTTPException:
            log.exception("could not open a private thread for %s", customer.id)
            return None
        return thread

    async def _carry_over(
        self,
        thread: discord.Thread,
        author: discord.abc.User,
        text: str,
        attachments: list[discord.Attachment],
        *,
        moved: bool = False,
    ) -> tuple[discord.Message | None, list[discord.Attachment]]:
        """Post the customer's first words (and photos) in their thread.

        The original may be removed from the support channel, and Discord's links to its
        attachments with it: the thread's copies of the photos are the ones the
        conversation keeps. Returns the copy and the attachments it does not carry (files
        that are not images, or too large to upload again), which stay as they were.
        """
        limit = thread.guild.filesize_limit
        files: list[discord.File] = []
        left: list[discord.Attachment] = []
        for attachment in attachments:
            image = is_image(
                Attachment(
                    attachment.url, attachment.filename, attachment.content_type, attachment.size
                )
            )
            if not image or attachment.size > limit:
                left.append(attachment)
                continue
            try:
                files.append(await attachment.to_file())
            except discord.HTTPException:
                log.warning("could not copy attachment %s", attachment.filename)
                left.append(attachment)
        quoted = "\n".join(f"> {line}" for line in text.splitlines()) if text.strip() else ""
        name = discord.utils.escape_markdown(author.display_name)
        content = f"{CARRIED_WORDS.format(name=name)}\n{quoted}"
        if moved:
            content = f"{content[: 1999 - len(MOVED_HERE)]}\n{MOVED_HERE}"
        requests = self.bot.edit_budgets.requests
        try:
            # Part of opening the conversation: it goes in the opening lane.
            async with requests.slot(
                Lane.FIRST_TEXT, route=("POST", f"/channels/{thread.id}/messages")
            ):
                copy = await thread.send(content[:2000], files=files, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("could not carry the first message into thread %d", thread.id)
            return None, attachments
        return copy, left

    def _may_remove(self, message: discord.Message) -> bool:
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

    async def _take_down(self, message: discord.Message, thread: discord.Thread) -> None:
        """Remove the public original (the thread already says it was moved)."""
        try:
            await message.delete()
        except discord.HTTPException:
            log.warning("could not remove message %d from the support channel", message.id)

    def _report_once(self, permission: str, consequence: str) -> None:
        if permission not in self._reported:
            self._reported.add(permission)
            log.error("Missing permission %s: %s", permission, consequence)

    def _incoming(
        self,
        message: discord.Message,
        channel: discord.abc.Messageable,
        *,
        opens: bool = False,
        attachments: list[discord.Attachment] | None = None,
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
            attachments=_attachments(message.attachments if attachments is None else attachments),
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


def _attachments(attachments: list[discord.Attachment]) -> list[Attachment]:
    return [Attachment(a.url, a.filename, a.content_type, a.size) for a in attachments]


def _is_image(attachment: discord.Attachment) -> bool:
    return is_image(_attachments([attachment])[0])


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
