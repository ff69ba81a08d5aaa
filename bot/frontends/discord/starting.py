"""A customer's new private conversation: from their message in the support channel, or
from the panel's form.

Before the answer's first text, a private conversation costs three requests: the thread,
then together the customer's admission to it and their words carried in. The public
original goes once that first text is shown. When Discord makes thread creation
wait (a cooldown of minutes), the customer is told at once by a reply to their message, and
whatever they add in the channel meanwhile joins the conversation once it opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord

from bot.engine import Incoming, SupportEngine
from bot.engine.copy import (
    JOINED_THREAD,
    NO_THREAD,
    OPENED_FOR_YOU,
    OPENING_FOR_YOU,
    OPENING_NOW,
    OPENING_SOON,
    ORDER_LINE,
)
from bot.engine.events import EngineEvent
from bot.frontends.discord.attachments import is_image_attachment, to_attachments
from bot.frontends.discord.bot import DISCORD_KEY_PREFIX, SupportBot, conversation_key
from bot.frontends.discord.incoming import to_incoming
from bot.frontends.discord.opening import ThreadOpener
from bot.frontends.discord.originals import removing_after
from bot.frontends.discord.relay import Relay, send_quietly
from bot.frontends.discord.streaming.global_budget import Lane
from bot.frontends.discord.streaming.renderer import NO_MENTIONS

log = logging.getLogger(__name__)

# Seconds the pointer to a customer's conversation stays in the support channel.
POINTER_SECONDS = 60.0
# A thread that takes this long to open (a long queue in a burst; Discord's cooldown is told
# at once) gets the customer a word in the channel: within 5 s of their message, the
# request included.
TELL_AFTER = 4.0
# Discord wants an interaction answered within 3 s: the form is answered with the thread's
# link if it opens within this long, else with a word, and the link follows in an edit.
ANSWER_WITHIN = 2.0


class Starter:
    """Opens private conversations, one at a time per customer (their second message waits
    until the first is stored, then joins the same conversation)."""

    def __init__(
        self, bot: SupportBot, engine: SupportEngine, opener: ThreadOpener, relay: Relay
    ) -> None:
        self.bot = bot
        self.engine = engine
        self.opener = opener
        self.relay = relay
        self._turns: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}
        # Words in the support channel while threads open (held until done).
        self._words: set[asyncio.Task[None]] = set()

    async def from_message(self, message: discord.Message, channel: discord.TextChannel) -> None:
        """The customer's message in the support channel: their conversation under way, or a
        new private thread; either way their words are carried in and answered there."""
        customer = message.author
        async with self._customer(customer.id) as stored:
            thread = await self._ongoing_thread(customer)
            joined = thread is not None
            if thread is None:
                thread = await self._new_thread(message, channel)
            if thread is None:
                return
            removable = self.opener.may_remove(message)
            budget = self.bot.edit_budgets.for_channel(thread)
            shown = budget.replies_shown
            copy, left = await self.opener.carry_over(
                thread,
                customer,
                message.content,
                list(message.attachments),
                moved=removable,
                admit=not joined,
            )
            if joined:
                pointer = JOINED_THREAD.format(mention=customer.mention, thread=thread.mention)
                await send_quietly(channel, pointer, delete_after=POINTER_SECONDS)
            carried = [*(copy.attachments if copy else []), *left]
            incoming = to_incoming(
                message, thread, self.bot.staff_role_id, opens=not joined, attachments=carried
            )
            events = on_first(self.engine.receive(incoming), stored)
            if removable and copy is not None and not any(is_image_attachment(a) for a in left):
                # Nothing the conversation needs stays behind: the original goes once the
                # answer's first text is shown (its words are stored by then).
                events = removing_after(
                    events,
                    lambda: self.opener.take_down(message),
                    lambda: budget.shown_after(shown),
                )
            await self.relay(thread, events)

    @contextlib.asynccontextmanager
    async def _customer(self, customer_id: int) -> AsyncIterator[Callable[[], None]]:
        """One message of a customer opens (or joins) at a time; the next may go once this
        one is stored (the callable given), or when it ends."""
        lock = self._turns.setdefault(customer_id, asyncio.Lock())
        self._holders[customer_id] = self._holders.get(customer_id, 0) + 1
        await lock.acquire()
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                lock.release()

        try:
            yield release
        finally:
            release()
            self._holders[customer_id] -= 1
            if not self._holders[customer_id]:
                del self._holders[customer_id], self._turns[customer_id]

    async def _ongoing_thread(self, customer: discord.abc.User) -> discord.Thread | None:
        """The thread of the customer's conversation under way, if it is still there."""
        ongoing = await self.engine.placement.ongoing(str(customer.id), DISCORD_KEY_PREFIX)
        if ongoing is None or ongoing.channel_id is None:
            return None
        try:
            thread = self.bot.get_channel(ongoing.channel_id) or await self.bot.fetch_channel(
                ongoing.channel_id
            )
        except discord.HTTPException:
            return None
        return thread if isinstance(thread, discord.Thread) else None

    async def _new_thread(
        self, message: discord.Message, channel: discord.TextChannel
    ) -> discord.Thread | None:
        """A private thread, within THREADS_PER_MINUTE and Discord's cooldowns: over the
        first, the customer is told it opens in a moment; when it is slow to open (Discord's
        cooldown), a reply to their message says so. Their message waits meanwhile; the word
        is posted and removed in the background (the opening never waits for it)."""
        opened = asyncio.Event()
        try:
            wait = self.opener.thread_room(channel.guild.id)
            told = wait is not None
            if told:
                soon = OPENING_SOON.format(mention=message.author.mention)
                self._tell(message, soon, opened, reply=False)
                while wait is not None:
                    await asyncio.sleep(wait)
                    wait = self.opener.thread_room(channel.guild.id)
            creating = asyncio.create_task(self.opener.private_thread(channel, message.author))
            try:
                if not told and not await self._opens_soon(creating, channel.id):
                    self._tell(message, OPENING_NOW, opened, reply=True)
                return await creating
            finally:
                creating.cancel()
        finally:
            opened.set()

    def _tell(
        self, message: discord.Message, content: str, opened: asyncio.Event, *, reply: bool
    ) -> None:
        """In the background: tell the customer in the support channel (pinging nobody), and
        remove the word once their thread is open."""
        task = asyncio.create_task(self._word(message, content, opened, reply=reply))
        self._words.add(task)
        task.add_done_callback(self._words.discard)

    async def _word(
        self, message: discord.Message, content: str, opened: asyncio.Event, *, reply: bool
    ) -> None:
        channel = message.channel
        budget = self.bot.edit_budgets.for_channel(channel)
        route = ("POST", f"/channels/{channel.id}/messages")
        notice: discord.Message | None = None
        try:
            # The customer's first word from the bot: within the channel's message budget
            # (5 per 5 s at Discord), in the first-text lane.
            async with (
                budget.sends.slot() as send,
                budget.requests.slot(Lane.FIRST_TEXT, route=route) as request,
            ):
                if opened.is_set():
                    # Opened while this waited for room: no word needed (and the original
                    # it would answer may be gone).
                    send.used = request.used = False
                    return
                if reply:
                    notice = await message.reply(
                        content, allowed_mentions=NO_MENTIONS, mention_author=False
                    )
                else:
                    notice = await channel.send(content, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("could not tell a customer their conversation is opening")
        finally:
            await opened.wait()
        if notice is not None:
            await self.opener.take_down(notice)

    async def _opens_soon(
        self, creating: asyncio.Task[Any], channel_id: int, *, within: float = TELL_AFTER
    ) -> bool:
        """Whether the thread opens within `within` seconds and before a cooldown of
        Discord's is seen."""
        cooling = asyncio.create_task(self.opener.cooldowns.seen(channel_id))
        try:
            done, _ = await asyncio.wait(
                {creating, cooling}, timeout=within, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            cooling.cancel()
        return creating in done

    async def from_form(
        self,
        interaction: discord.Interaction[Any],
        problem: str,
        order: str,
        photos: list[discord.Attachment],
    ) -> None:
        """The panel's form: answered at once (the thread's link, or a word and the link in
        an edit), then a private thread with what the customer wrote as its first message
        (their photos carried in as well)."""
        self.bot.track_work()
        channel = self.bot.get_channel(self.bot.support_channel_id)
        if not isinstance(channel, discord.TextChannel):
            await interaction.response.send_message(NO_THREAD, ephemeral=True)
            return
        user = interaction.user
        creating = asyncio.create_task(self.opener.private_thread(channel, user))
        try:
            if not await self._opens_soon(creating, channel.id, within=ANSWER_WITHIN):
                await interaction.response.send_message(OPENING_FOR_YOU, ephemeral=True)
            thread = await creating
        finally:
            creating.cancel()
        answer = NO_THREAD if thread is None else OPENED_FOR_YOU.format(thread=thread.mention)
        if interaction.response.is_done():
            await interaction.edit_original_response(content=answer)
        else:
            await interaction.response.send_message(answer, ephemeral=True)
        if thread is None:
            return
        text = problem.strip()
        if order.strip():
            text += "\n" + ORDER_LINE.format(order=order.strip())
        copy, left = await self.opener.carry_over(thread, user, text, photos, admit=True)
        incoming = Incoming(
            conversation=conversation_key(thread.id),
            author_id=str(user.id),
            author_name=user.display_name,
            text=text,
            attachments=to_attachments([*(copy.attachments if copy else []), *left]),
            message_id=copy.id if copy else None,
            opens=True,
            channel_id=thread.id,
            link=thread.jump_url,
        )
        await self.relay(thread, self.engine.receive(incoming))


async def on_first(
    events: AsyncIterator[EngineEvent], call: Callable[[], None]
) -> AsyncIterator[EngineEvent]:
    """The engine's events, `call` made at the first (the message is stored by then: the
    engine stores a message before it says anything of it) or at the end."""
    try:
        async for event in events:
            call()
            yield event
    finally:
        call()
