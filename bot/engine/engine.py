"""The support engine: every message of every frontend goes in through `receive`.

The engine owns every conversation rule: the message is stored first, whatever follows;
who may speak (the customer, staff, nobody else); limits, attachments, quiet while staff
hold the ticket; the turn, and its notices. Messages that arrive while a turn runs are
stored at once and answered together by the next turn: nobody is asked to resend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import KW_ONLY, InitVar, dataclass

from bot.desk.desk import DeskError, Person
from bot.desk.operations import Operations
from bot.engine import copy
from bot.engine.admission import Verdict, admit
from bot.engine.events import EngineEvent, Incoming, Notice, TurnEnded, Waiting
from bot.engine.history import request_window
from bot.engine.limiter import SlidingWindowLimiter
from bot.engine.limits import CustomerLimits
from bot.engine.lookups import Lookups
from bot.engine.placement import Placement
from bot.engine.recovery import Backlog, CutTurn, recover
from bot.engine.state import ConversationState, ConversationStates
from bot.engine.turn import finish_turn, run_turn
from bot.llm.agent import Agent
from bot.store import Conversation, NewMessage, Standing, TicketStatus
from bot.tools.context import Customer, Services, SupportContext

# How many times one answer may start over because the customer wrote again.
MAX_RESTARTS = 2


@dataclass(eq=False, repr=False)
class SupportEngine(Lookups):
    """Receives messages of stored conversations and answers them; knows nothing of Discord
    or the terminal."""

    services: Services
    agent: Agent[SupportContext]
    system_prompt: str
    _: KW_ONLY
    context_budget: int
    limits: CustomerLimits
    # Ratings, prices and archiving: the support lead's side.
    operations: Operations
    clock: InitVar[Callable[[], float]] = time.monotonic

    def __post_init__(self, clock: Callable[[], float]) -> None:
        # The turn budget: a turn over it waits; the messages of the wait share one turn.
        self.turn_pace = SlidingWindowLimiter(self.limits.turns_per_minute, 60.0, clock)
        self.placement = Placement(self.services.store)
        # What a frontend reads to catch up on messages sent while the bot was down.
        self.backlog = Backlog(self.services.store)
        self._states = ConversationStates()
        self._accepting = True

    # ------------------------------------------------------------------ the entry

    async def receive(self, incoming: Incoming) -> AsyncIterator[EngineEvent]:
        """Take one message of a conversation; yield what the frontend should show.

        The message is stored before anything else happens. Then, by who wrote it and the
        conversation's standing: a notice, nothing (staff words, a ticket staff hold), or
        the assistant's answer. A message that arrives while the conversation's turn runs
        is answered by the next turn, which the earlier `receive` runs: its caller gets the
        events of every turn until the conversation is caught up.
        """
        state = self._states[incoming.conversation]
        async with state.storing:
            standing = await self._standing(incoming)
            if standing is None:
                return
            decision = admit(standing, incoming, self.limits)
            if decision.keep is not None:
                message_id = await self.services.store.store_message(
                    standing.conversation.id, decision.keep, decision.images
                )
                if message_id is None:
                    # Stored already (read again after a restart): it was handled then.
                    return
                if state.during_turn is not None:
                    state.during_turn.append(message_id)
            answer = decision.verdict is Verdict.ANSWER
            if answer:
                # Stored due: shutting down, or killed before its turn, the next start answers.
                state.received += 1
                if state.during_turn is not None and self._accepting:
                    state.follow_up.set()
        for notice in decision.notices:
            yield Notice(notice)
        if decision.verdict is Verdict.HAND_OFF:
            yield Notice(await self._hand_off_over_budget(standing.conversation, incoming))
        if not answer or state.answering or not self._accepting:
            return
        async for event in self._answer(standing.conversation, state, incoming.link):
            yield event

    def stop_accepting(self) -> None:
        """From now on messages are stored but no new turn starts (shutting down)."""
        self._accepting = False

    async def _standing(self, incoming: Incoming) -> Standing | None:
        store = self.services.store
        if not incoming.opens:
            return await store.standing(incoming.conversation)
        return await store.open_conversation(
            incoming.conversation,
            channel_id=incoming.channel_id,
            customer_id=incoming.author_id,
            customer_name=incoming.author_name,
            system_prompt=self.system_prompt,
        )

    async def _hand_off_over_budget(self, conversation: Conversation, incoming: Incoming) -> str:
        """Over the cost cap, the customer asked for a person: hand over, say so."""
        return await self.hand_off(
            conversation.key,
            Person(incoming.author_id, incoming.author_name),
            reason="The customer reached the assistant's daily limit.",
            request_id=f"budget:{incoming.message_id or incoming.text}",
            link=incoming.link,
        )

    # ------------------------------------------------------------------ turns

    async def _answer(
        self, conversation: Conversation, state: ConversationState, link: str | None
    ) -> AsyncIterator[EngineEvent]:
        state.answering = True
        try:
            async for event in self._answer_until_caught_up(conversation, state, link):
                yield event
        finally:
            state.answering = False

    async def _answer_until_caught_up(
        self, conversation: Conversation, state: ConversationState, link: str | None
    ) -> AsyncIterator[EngineEvent]:
        """Turns until every stored message is answered, at the customer's turn pace."""
        store = self.services.store
        customer = Customer(conversation.customer_id or "", conversation.customer_name or "")
        retried = False
        # Times the answer under way started over because the customer wrote again: a few at
        # most, so someone who keeps writing still gets an answer.
        restarts = 0
        again = False
        # An answer tried again or started over goes on while stopping: it is the same answer.
        while state.answered < state.received and (self._accepting or again):
            wait = None if again else self.turn_pace.hit(customer.id)
            if wait is not None:
                # Over the turn budget: more messages may gather; one turn answers them all.
                # Said first, so the frontend shows the customer the answer is coming.
                yield Waiting(wait)
                await asyncio.sleep(wait)
                continue
            async with state.replying:
                async with state.storing:
                    answering = state.received
                    turn = await store.begin_turn(conversation.id)
                    through = turn.history[-1].id
                    ticket = turn.active_ticket
                    held = ticket is not None and ticket.status == TicketStatus.CLAIMED
                    if held or not turn.due:
                        # Staff hold the conversation (their words, not ours), or nothing is
                        # left to answer (answered before a restart): no turn.
                        await finish_turn(store, conversation, None, through)
                        state.answered = answering
                        return
                    messages, new_start = request_window(turn.history, self.context_budget)
                    state.during_turn = []
                    state.follow_up.clear()
                # Named by the newest message it answers: a retry after a crash is the same.
                context = SupportContext(
                    self.services, conversation, customer, link, turn=f"turn:{through}"
                )
                ended: TurnEnded | None = None
                follow_up = state.follow_up if restarts < MAX_RESTARTS else None
                try:
                    async for event in run_turn(
                        self.agent,
                        context,
                        messages,
                        answers=through,
                        last_try=retried,
                        follow_up=follow_up,
                    ):
                        ended = event if isinstance(event, TurnEnded) else ended
                        yield event
                finally:
                    # A turn tried again or started over leaves its messages due (a crash
                    # meanwhile answers them).
                    again = ended is not None and (ended.retrying or ended.replaced)
                    answered = None if again else through
                    await asyncio.shield(self._after_turn(conversation, state, new_start, answered))
            if again:
                assert ended is not None
                retried = retried or ended.retrying
                restarts += ended.replaced
                continue
            retried = False
            restarts = 0
            state.answered = answering
        # Stopped with messages unanswered: they are stored due, and the next start answers.

    async def _after_turn(
        self,
        conversation: Conversation,
        state: ConversationState,
        new_start: int | None,
        through: int | None,
    ) -> None:
        """Messages that arrived during the turn move behind its reply; the turn is over
        (and what it read answered, unless `through` is None: the turn is tried again)."""
        async with state.storing:
            arrived, state.during_turn = state.during_turn, None
            if arrived:
                await self.services.store.move_to_end(conversation.id, arrived)
        await finish_turn(self.services.store, conversation, new_start, through)

    # ------------------------------------------------------------------ for frontends

    async def hand_off(
        self, key: str, person: Person, *, reason: str, request_id: str, link: str | None
    ) -> str:
        """`person` (the customer, or staff in the customer's conversation) wants a person
        for the customer: their active ticket, or a new one, always naming the conversation's
        customer; the notice to show (stored, so the history matches the thread). DeskError
        when it cannot be."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None:
            raise DeskError("This is not a support conversation.")
        customer = Customer(person.id, person.display_name)
        if conversation.customer_id is not None and conversation.customer_id != person.id:
            customer = Customer(
                conversation.customer_id, conversation.customer_name or conversation.customer_id
            )
        ticket, created = await self.services.desk.hand_off(
            conversation,
            customer,
            reason=reason,
            request_id=request_id,
            thread_url=link,
            by_staff=person if customer.id != person.id else None,
        )
        text = (copy.HANDED_OFF if created else copy.ALREADY_WITH_STAFF).format(ticket=ticket.id)
        back = self.services.desk.when_staff_back()
        if back is not None:
            text = f"{text} {copy.OUT_OF_HOURS.format(when=back)}"
        await self.record_notice(key, text)
        return text

    async def tell(self, key: str, text: str, show: Callable[[str], Awaitable[None]]) -> None:
        """A notice from outside the conversation (staff claimed or resolved its ticket):
        stored, then shown with `show`, never in the middle of a reply being written (it
        waits for the reply's end, and the next turn waits for it)."""
        state = self._states[key]
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

    # ------------------------------------------------------------------ after a crash

    async def recover_cut_turn(self, key: str) -> CutTurn | None:
        """After a stop: this conversation's cut turn or unanswered message, if any."""
        store = self.services.store
        found = await store.unfinished(key=key)
        return await recover(store, found[0]) if found else None

    async def recover_cut_turns(self, key_prefix: str = "") -> list[CutTurn]:
        """After a stop, before any new turn: every conversation whose turn was cut or whose
        customer waits for an answer (behind a turn, for the turn pace, for the start)."""
        store = self.services.store
        recovered = [await recover(store, found) for found in await store.unfinished(key_prefix)]
        return [turn for turn in recovered if turn is not None]

    async def resume(self, key: str, *, link: str | None = None) -> AsyncIterator[EngineEvent]:
        """Answer what a cut turn left unanswered (`CutTurn.unanswered`), as `receive` would."""
        conversation = await self.services.store.get_conversation(key)
        if conversation is None:
            return
        state = self._states[key]
        async with state.storing:
            state.received += 1
        if state.answering or not self._accepting:
            return
        async for event in self._answer(conversation, state, link):
            yield event
