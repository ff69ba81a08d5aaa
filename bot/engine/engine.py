"""The support engine: every message of every frontend goes in through `receive`.

The engine owns every conversation rule: the message is stored first, whatever follows;
who may speak (the customer, staff, nobody else); limits, attachments, quiet while staff
hold the ticket; the turn, and its notices. Messages that arrive while a turn runs are
stored at once and answered together by the next turn: nobody is asked to resend."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import re
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.desk.desk import DeskError, Person, TicketDesk, TicketStatus
from bot.engine.copy import (
    ALREADY_WITH_STAFF,
    CUT_BY_RESTART,
    CUT_NOTICES,
    EMPTY_MESSAGE_REPLY,
    FAILED_NOTICE,
    HANDED_OFF,
    NOT_YOURS,
    OUR_FAULT,
    OVER_DAILY_BUDGET,
    RESUMING,
    too_long_text,
)
from bot.engine.events import (
    EngineEvent,
    Incoming,
    Notice,
    ReplyText,
    ToolFinished,
    ToolStarted,
    TurnEnded,
    TurnStarted,
)
from bot.engine.limiter import SlidingWindowLimiter
from bot.engine.limits import CustomerLimits
from bot.helpcenter.index import HelpCenter
from bot.llm import agent as agent_events
from bot.llm import history
from bot.llm.agent import Agent
from bot.llm.context import fit_to_budget, leading_system_count, stable_start
from bot.llm.errors import LLMError
from bot.store import Attachment, Conversation, NewMessage, Store, Ticket, Usage
from bot.tools.context import Customer, Services, SupportContext
from bot.tools.images import triage

log = logging.getLogger(__name__)

INTERRUPTED_MARK = "[reply interrupted]"
DEFAULT_CONTEXT_BUDGET = 32_000
# The system prompt explains this mark: staff talk to the customer, not to the assistant.
STAFF_PREFIX = "[staff · "


async def request_history(store: Store, conversation_id: int, budget: int) -> list[dict[str, Any]]:
    """The stored history as the next request carries it: repaired, trimmed to the budget.

    The store keeps everything; the request carries the history from the conversation's
    context start on. When that outgrows the budget, the start moves ahead in one large
    step (see `stable_start`) and is kept, so the prefix the provider caches stays the same
    for many turns.
    """
    stored = await store.load_history(conversation_id, from_context_start=True)
    chats = [m.to_chat() for m in stored]
    cut = stable_start(chats, budget)
    lead = leading_system_count(chats)
    if cut is not None and cut > lead:
        await store.move_context_start(conversation_id, stored[cut].id)
        chats = chats[:lead] + chats[cut:]
    return fit_to_budget(history.repair(chats), budget)


# Over the daily budget, the customer asks for a person in words (the model is not asked).
ASKS_FOR_PERSON = re.compile(r"\b(person|human|agent|staff|someone)\b", re.IGNORECASE)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CutTurn:
    """A turn a crash cut short: its conversation, and whether its customer's last words
    have no answer at all (then `resume` answers them)."""

    conversation: Conversation
    unanswered: bool

    @property
    def notice(self) -> str:
        """What to tell the customer first."""
        return RESUMING if self.unanswered else CUT_BY_RESTART


class Role(enum.StrEnum):
    """How the engine treats a message's author in a conversation."""

    CUSTOMER = "customer"
    STAFF = "staff"
    OTHER = "other"  # anyone else: not heard


@dataclass(frozen=True)
class _Admitted:
    """What receiving a message decided: notices to show, and whether to answer it."""

    notices: tuple[str, ...] = ()
    answer: bool = False


class _ConversationState:
    """In-memory bookkeeping of one conversation while messages are being received."""

    def __init__(self) -> None:
        # Taken before any other await of `receive`: messages are stored in arrival order.
        self.storing = asyncio.Lock()
        # Held while a reply is written, so a notice from outside waits for its end. Taken
        # before `storing` wherever both are held.
        self.replying = asyncio.Lock()
        self.answering = False
        # Answerable messages stored, and how many of them a turn has read.
        self.received = 0
        self.answered = 0
        # Ids of the messages stored while a turn was answering (None: no turn is): they
        # move behind its reply once it is stored, so the next turn reads them after it.
        self.during_turn: list[int] | None = None


class SupportEngine:
    """Receives messages of stored conversations and answers them; knows nothing of Discord
    or the terminal."""

    def __init__(
        self,
        services: Services,
        agent: Agent[SupportContext],
        system_prompt: str,
        *,
        context_budget: int = DEFAULT_CONTEXT_BUDGET,
        limits: CustomerLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.agent = agent
        self.system_prompt = system_prompt
        self.context_budget = context_budget
        self.limits = limits or CustomerLimits()
        # The turn budget: a turn over it waits; the messages of the wait share one turn.
        self.turn_pace = SlidingWindowLimiter(self.limits.turns_per_minute, 60.0, clock)
        # Weak: state lives while a `receive` holds it, so idle conversations cost nothing.
        self._states: weakref.WeakValueDictionary[str, _ConversationState] = (
            weakref.WeakValueDictionary()
        )
        self._accepting = True

    # ------------------------------------------------------------------ the entry

    async def receive(self, incoming: Incoming) -> AsyncIterator[EngineEvent]:
        """Take one message of a conversation; yield what the frontend should show.

        The message is stored before anything else happens. Then, by who wrote it and the
        conversation's state: a notice, nothing (staff words, a ticket staff hold), or the
        assistant's answer. A message that arrives while the conversation's turn runs is
        answered by the next turn, which the earlier `receive` runs: its caller gets the
        events of every turn until the conversation is caught up.
        """
        state = self._states.get(incoming.conversation)
        if state is None:
            state = self._states[incoming.conversation] = _ConversationState()
        async with state.storing:
            conversation = await self._conversation_for(incoming)
            if conversation is None:
                return
            admitted = await self._admit(conversation, incoming, state)
            if admitted.answer:
                state.received += 1
                if not self._accepting:
                    # Shutting down: kept, and explained at the next start.
                    await self.services.store.turn_started(conversation.id)
        for notice in admitted.notices:
            yield Notice(notice)
        if not admitted.answer or state.answering or not self._accepting:
            return
        state.answering = True
        try:
            async for event in self._answer_until_caught_up(conversation, state, incoming.link):
                yield event
        finally:
            state.answering = False

    def stop_accepting(self) -> None:
        """From now on messages are stored but no new turn starts (shutting down)."""
        self._accepting = False

    # ------------------------------------------------------------------ admission

    async def _conversation_for(self, incoming: Incoming) -> Conversation | None:
        store = self.services.store
        conversation = await store.get_conversation(incoming.conversation)
        if conversation is not None or not incoming.opens:
            return conversation
        conversation = await store.get_or_create_conversation(
            incoming.conversation,
            channel_id=incoming.channel_id,
            customer_id=incoming.author_id,
            customer_name=incoming.author_name,
        )
        if not await store.load_history(conversation.id):
            await store.append_messages(
                conversation.id, [NewMessage(role="system", content=self.system_prompt)]
            )
        return conversation

    @staticmethod
    def role_of(conversation: Conversation, incoming: Incoming) -> Role:
        """The customer is always the customer; staff are staff; anyone else is not heard."""
        if incoming.author_id == conversation.customer_id:
            return Role.CUSTOMER
        if incoming.author_is_staff:
            return Role.STAFF
        return Role.OTHER

    async def _admit(
        self, conversation: Conversation, incoming: Incoming, state: _ConversationState
    ) -> _Admitted:
        """Store what should be kept and decide what follows (the caller holds `storing`)."""
        role = self.role_of(conversation, incoming)
        if role is Role.OTHER:
            return _Admitted((NOT_YOURS,))
        if role is Role.STAFF:
            await self._store_message(
                conversation,
                state,
                incoming,
                f"{STAFF_PREFIX}{incoming.author_name}] {incoming.text}",
                author_kind="staff",
            )
            return _Admitted()
        sorted_out = triage(list(incoming.attachments), self.limits.max_images)
        notices = ["\n".join(f"ℹ️ {note}" for note in sorted_out.notes)] if sorted_out.notes else []
        lines = [incoming.text.strip()] if incoming.text.strip() else []
        lines += [f"Attached image: {image.url}" for image in sorted_out.images]
        lines += [f"(Attachment note: {note})" for note in sorted_out.notes]
        if not lines:
            return _Admitted((EMPTY_MESSAGE_REPLY,))
        await self._store_message(
            conversation, state, incoming, "\n".join(lines), images=sorted_out.images
        )
        limit = self.limits.max_message_chars
        if len(incoming.text) > limit:
            return _Admitted((*notices, too_long_text(len(incoming.text), limit)))
        if await self._held_by_staff(conversation):
            return _Admitted(tuple(notices))  # staff have the thread: kept, said nothing
        if await self._over_daily_budget(conversation):
            return _Admitted((*notices, await self._over_budget_reply(conversation, incoming)))
        return _Admitted(tuple(notices), answer=True)

    async def _store_message(
        self,
        conversation: Conversation,
        state: _ConversationState,
        incoming: Incoming,
        content: str,
        *,
        author_kind: str = "customer",
        images: Sequence[Attachment] = (),
    ) -> None:
        store = self.services.store
        if images:
            await store.add_attachments(
                conversation.id, images, discord_message_id=incoming.message_id
            )
        ids = await store.append_messages(
            conversation.id,
            [
                NewMessage(
                    role="user",
                    content=content,
                    author_id=incoming.author_id,
                    discord_message_id=incoming.message_id,
                    author_kind=author_kind,
                )
            ],
        )
        if state.during_turn is not None:
            state.during_turn += ids

    async def _held_by_staff(self, conversation: Conversation) -> bool:
        ticket = await self.services.store.active_ticket(conversation.id)
        return ticket is not None and ticket.status == TicketStatus.CLAIMED

    async def _over_daily_budget(self, conversation: Conversation) -> bool:
        budget = self.limits.daily_tokens
        if not budget or conversation.customer_id is None:
            return False
        since = dt.datetime.now(dt.UTC) - DAY
        used = await self.services.store.tokens_used_by_customer(conversation.customer_id, since)
        return used >= budget

    async def _over_budget_reply(self, conversation: Conversation, incoming: Incoming) -> str:
        """Over the cost cap: say so plainly, and hand over to a person when asked."""
        if not ASKS_FOR_PERSON.search(incoming.text):
            return OVER_DAILY_BUDGET
        return await self.hand_off(
            conversation.key,
            Person(incoming.author_id, incoming.author_name),
            reason="The customer reached the assistant's daily limit.",
            request_id=f"budget:{incoming.message_id or incoming.text}",
            link=incoming.link,
        )

    # ------------------------------------------------------------------ turns

    async def _answer_until_caught_up(
        self, conversation: Conversation, state: _ConversationState, link: str | None
    ) -> AsyncIterator[EngineEvent]:
        """Turns until every stored message is answered, at the customer's turn pace."""
        customer = Customer(conversation.customer_id or "", conversation.customer_name or "")
        while state.answered < state.received and self._accepting:
            wait = self.turn_pace.hit(customer.id)
            if wait is not None:
                # Over the turn budget: more messages may gather; one turn answers them all.
                await asyncio.sleep(wait)
                continue
            async with state.replying:
                async with state.storing:
                    answering = state.received
                    if await self._held_by_staff(conversation):
                        state.answered = answering
                        return
                    await self.services.store.turn_started(conversation.id)
                    history = await request_history(
                        self.services.store, conversation.id, self.context_budget
                    )
                    state.during_turn = []
                try:
                    async for event in self._turn(conversation, customer, history, link):
                        yield event
                finally:
                    async with state.storing:
                        arrived, state.during_turn = state.during_turn, None
                        if arrived:
                            await asyncio.shield(
                                self.services.store.move_to_end(conversation.id, arrived)
                            )
            state.answered = answering
        if state.answered < state.received:
            # Stopped with messages still unanswered: the next start answers them.
            await self.services.store.turn_started(conversation.id)

    async def _turn(
        self,
        conversation: Conversation,
        customer: Customer,
        messages: list[dict[str, Any]],
        link: str | None,
    ) -> AsyncIterator[EngineEvent]:
        """Run the agent over the history and store each round.

        The last event is always a TurnEnded: a failure of any kind ends the turn with a
        notice, and the text already shown is stored, marked interrupted. Only cancellation
        propagates (after the same storing), so a frontend never sees a turn hang or vanish.
        """
        store = self.services.store
        shown = ""
        pending_text = ""
        yield TurnStarted()
        try:
            context = SupportContext(self.services, conversation, customer, link)
            async for event in self.agent.run_turn(
                messages, context, conversation=conversation.key
            ):
                if isinstance(event, agent_events.TextDelta):
                    pending_text += event.text
                    shown += event.text
                    yield ReplyText(event.text)
                elif isinstance(event, agent_events.ToolStarted):
                    yield ToolStarted(event.call.name)
                elif isinstance(event, agent_events.ToolFinished):
                    yield ToolFinished(event.call.name, event.ok, event.content)
                elif isinstance(event, agent_events.RoundCompleted):
                    await store.append_messages(
                        conversation.id, [NewMessage.from_chat(m) for m in event.messages]
                    )
                    pending_text = ""
                elif isinstance(event, agent_events.TurnDone):
                    await store.record_usage(
                        conversation.id,
                        Usage(
                            self.agent.model.name,
                            event.usage.prompt_tokens,
                            event.usage.completion_tokens,
                            event.usage.total_tokens,
                            event.rounds,
                            event.usage.cached_tokens,
                        ),
                    )
                    yield TurnEnded(shown, CUT_NOTICES.get(event.finish_reason or "", ""))
        except asyncio.CancelledError:
            await asyncio.shield(self._keep_interrupted(conversation, pending_text))
            raise
        except LLMError as exc:
            log.warning("turn failed in conversation %d: %s", conversation.id, exc)
            await self._keep_interrupted(conversation, pending_text)
            yield TurnEnded(shown, FAILED_NOTICE.format(reason=exc.user_message))
        except Exception:
            log.exception("turn failed in conversation %d", conversation.id)
            await self._keep_interrupted(conversation, pending_text)
            yield TurnEnded(shown, FAILED_NOTICE.format(reason=OUR_FAULT))
        finally:
            # A crash skips this: the row left behind tells the next start to explain.
            await asyncio.shield(self._turn_finished(conversation))

    async def _turn_finished(self, conversation: Conversation) -> None:
        try:
            await self.services.store.turn_finished(conversation.id)
        except Exception:
            log.exception("could not mark the turn in conversation %d finished", conversation.id)

    async def _keep_interrupted(self, conversation: Conversation, text: str) -> None:
        """Keep what the customer already saw, so the history matches the thread.

        Best effort: when the store itself is what failed, the failure is logged, and the
        turn still ends with its notice.
        """
        if not text.strip():
            return
        try:
            await self.services.store.append_messages(
                conversation.id,
                [
                    NewMessage(
                        role="assistant",
                        content=f"{text.strip()}\n{INTERRUPTED_MARK}",
                        status="interrupted",
                    )
                ],
            )
        except Exception:
            log.exception(
                "could not store the interrupted reply of conversation %d", conversation.id
            )

    # ------------------------------------------------------------------ for frontends

    async def prepare(self) -> None:
        """Work best done before the first customer: the help-center index."""
        if self.services.help_center is not None:
            await self.services.help_center.refresh()

    @property
    def desk(self) -> TicketDesk:
        """The staff desk: ticket lifecycle, pages and statistics."""
        return self.services.desk

    @property
    def help_center(self) -> HelpCenter:
        """The help center: its index and the questions it could not answer."""
        if self.services.help_center is None:
            raise RuntimeError("this engine has no help center")
        return self.services.help_center

    async def customer_id(self, key: str) -> str | None:
        """The id of the conversation's customer, if the conversation exists."""
        conversation = await self.services.store.get_conversation(key)
        return conversation.customer_id if conversation else None

    async def user_messages(self, key: str) -> int:
        """How many user messages the conversation holds (0 if there is none)."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None:
            return 0
        history = await self.services.store.load_history(conversation.id)
        return sum(1 for m in history if m.role == "user")

    async def tickets(self, key: str) -> list[Ticket]:
        """The conversation's tickets, oldest first."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None:
            return []
        return await self.services.store.tickets_for_conversation(conversation.id)

    async def hand_off(
        self, key: str, person: Person, *, reason: str, request_id: str, link: str | None
    ) -> str:
        """The customer wants a person: their active ticket, or a new one; the notice to
        show (stored, so the history matches the thread). DeskError when it cannot be."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None:
            raise DeskError("This is not a support conversation.")
        ticket, created = await self.services.desk.hand_off(
            conversation,
            Customer(person.id, person.display_name),
            reason=reason,
            request_id=request_id,
            thread_url=link,
        )
        text = (HANDED_OFF if created else ALREADY_WITH_STAFF).format(ticket=ticket.id)
        await self.record_notice(key, text)
        return text

    async def tell(self, key: str, text: str, show: Callable[[str], Awaitable[None]]) -> None:
        """A notice from outside the conversation (staff claimed or resolved its ticket):
        stored, then shown with `show`, never in the middle of a reply being written (it
        waits for the reply's end, and the next turn waits for it)."""
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _ConversationState()
        async with state.replying, state.storing:
            await self.record_notice(key, text)
            await show(text)

    async def record_notice(self, key: str, text: str) -> None:
        """Store a notice shown in the conversation (a ticket claimed or resolved)."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is not None:
            await self.services.store.append_messages(
                conversation.id, [NewMessage(role="assistant", content=text)]
            )

    async def recover_cut_turn(self, key: str) -> CutTurn | None:
        """After a crash: this conversation's cut turn, if it had one (see `recover_cut_turns`)."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None or not await self.services.store.turn_in_flight(conversation.id):
            return None
        return await self._recover(conversation)

    async def recover_cut_turns(self, key_prefix: str = "") -> list[CutTurn]:
        """After a crash, before any new turn: every conversation whose turn was cut.

        Where the customer's last words have no answer at all, `resume` answers them (the
        frontend shows `RESUMING` first); where part of a reply was kept, the conversation
        notes that it was cut (`CUT_BY_RESTART`).
        """
        return [
            await self._recover(conversation)
            for conversation in await self.services.store.turns_cut_short(key_prefix)
        ]

    async def _recover(self, conversation: Conversation) -> CutTurn:
        store = self.services.store
        history = await store.load_history(conversation.id, from_context_start=True)
        unanswered = (
            bool(history)
            and history[-1].role == "user"
            and not await self._held_by_staff(conversation)
        )
        if not unanswered:
            await self.record_notice(conversation.key, CUT_BY_RESTART)
        await store.turn_finished(conversation.id)
        return CutTurn(conversation, unanswered)

    async def resume(self, key: str, *, link: str | None = None) -> AsyncIterator[EngineEvent]:
        """Answer what a cut turn left unanswered (`CutTurn.unanswered`), as `receive` would."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None:
            return
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _ConversationState()
        async with state.storing:
            state.received += 1
        if state.answering or not self._accepting:
            return
        state.answering = True
        try:
            async for event in self._answer_until_caught_up(conversation, state, link):
                yield event
        finally:
            state.answering = False
