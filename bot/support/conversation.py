"""A support conversation's turns: stored history in, agent events out, every round stored."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.llm import agent as agent_events
from bot.llm import history
from bot.llm.agent import Agent
from bot.llm.context import fit_to_budget, leading_system_count, stable_start
from bot.llm.errors import LLMError
from bot.store import Attachment, Conversation, NewMessage, Store, Usage
from bot.support.context import Customer, Services, SupportContext
from bot.support.desk import Person
from bot.support.events import EngineEvent, ReplyText, ToolFinished, ToolStarted, TurnEnded

log = logging.getLogger(__name__)

INTERRUPTED_MARK = "[reply interrupted]"
CUT_BY_RESTART = (
    "⚠️ I was restarted while answering your last message, so my reply above may be"
    " incomplete. Your message is saved; send it again if you still need an answer."
)
DEFAULT_CONTEXT_BUDGET = 32_000
# The system prompt explains this mark: staff talk to the customer, not to the assistant.
STAFF_PREFIX = "[staff · "


FAILED_NOTICE = "⚠️ {reason} Your message is saved; please try again in a moment."
OUR_FAULT = "Something went wrong on our side."
CUT_NOTICES = {
    "length": "⚠️ My answer was cut off because it got too long. Ask me to go on, or to be brief.",
    "content_filter": (
        "⚠️ My answer was stopped by a content filter. Please put your question another way,"
        " or ask for a person."
    ),
}
EMPTY_ANSWER = "Sorry, I have no answer to that. Could you say it another way?"


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


@dataclass(frozen=True)
class UserTurn:
    """What the customer sent: text (with 'Attached image:' lines) and its attachments."""

    text: str
    customer: Customer
    images: Sequence[Attachment] = ()
    discord_message_id: int | None = None


class SupportEngine:
    """Runs turns of stored conversations; knows nothing of Discord or the terminal."""

    def __init__(
        self,
        services: Services,
        agent: Agent[SupportContext],
        system_prompt: str,
        *,
        context_budget: int = DEFAULT_CONTEXT_BUDGET,
    ) -> None:
        self.services = services
        self.agent = agent
        self.system_prompt = system_prompt
        self.context_budget = context_budget
        # Weak: a lock lives while a turn holds or awaits it, so idle conversations cost nothing.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def open_conversation(
        self,
        key: str,
        *,
        channel_id: int | None = None,
        customer: Customer | None = None,
    ) -> Conversation:
        """The conversation with this key; a new one starts with the system prompt."""
        store = self.services.store
        existing = await store.get_conversation(key)
        if existing is not None:
            return existing
        conversation = await store.get_or_create_conversation(
            key,
            channel_id=channel_id,
            customer_id=customer.id if customer else None,
            customer_name=customer.display_name if customer else None,
        )
        if not await store.load_history(conversation.id):
            await store.append_messages(
                conversation.id, [NewMessage(role="system", content=self.system_prompt)]
            )
        return conversation

    def lock(self, conversation: Conversation) -> asyncio.Lock:
        """The lock that keeps one turn at a time in a conversation (FIFO for waiters)."""
        lock = self._locks.get(conversation.id)
        if lock is None:
            lock = self._locks[conversation.id] = asyncio.Lock()
        return lock

    async def turn(
        self, conversation: Conversation, user: UserTurn, *, thread_url: str | None = None
    ) -> AsyncIterator[EngineEvent]:
        """Store the user's message, run the agent over the history, store each round.

        Callers hold `lock(conversation)` around the iteration. The last event is always a
        TurnEnded: a failure of any kind ends the turn with a notice, and the text already
        shown is stored, marked interrupted. Only cancellation propagates (after the same
        storing), so a frontend never sees a turn hang or vanish.
        """
        store = self.services.store
        shown = ""
        pending_text = ""
        started = False
        try:
            await self.record_user_message(conversation, user)
            await store.turn_started(conversation.id)
            started = True
            messages = await request_history(store, conversation.id, self.context_budget)
            context = SupportContext(self.services, conversation, user.customer, thread_url)
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
            if started:
                await asyncio.shield(self._turn_finished(conversation))

    async def _turn_finished(self, conversation: Conversation) -> None:
        try:
            await self.services.store.turn_finished(conversation.id)
        except Exception:
            log.exception("could not mark the turn in conversation %d finished", conversation.id)

    async def recover_cut_turn(self, conversation: Conversation, notice: str) -> bool:
        """After a crash: if this conversation's reply was cut, note it; say whether it was."""
        if not await self.services.store.turn_in_flight(conversation.id):
            return False
        await self.record_notice(conversation, notice)
        await self.services.store.turn_finished(conversation.id)
        return True

    async def recover_cut_turns(self, notice: str, key_prefix: str = "") -> list[Conversation]:
        """After a crash: note in each conversation whose reply was cut that it was."""
        cut = await self.services.store.turns_cut_short(key_prefix)
        for conversation in cut:
            await self.record_notice(conversation, notice)
            await self.services.store.turn_finished(conversation.id)
        return cut

    async def record_user_message(
        self, conversation: Conversation, user: UserTurn, *, author_kind: str = "customer"
    ) -> None:
        """Store a message without answering it (a turn, or while staff have the thread)."""
        store = self.services.store
        if user.images:
            await store.add_attachments(
                conversation.id, user.images, discord_message_id=user.discord_message_id
            )
        await store.append_messages(
            conversation.id,
            [
                NewMessage(
                    role="user",
                    content=user.text,
                    author_id=user.customer.id,
                    discord_message_id=user.discord_message_id,
                    author_kind=author_kind,
                )
            ],
        )

    async def record_staff_message(
        self, conversation: Conversation, staff: Person, text: str, message_id: int | None
    ) -> None:
        """Store what a staff member wrote in the thread, marked as staff, for later turns."""
        await self.record_user_message(
            conversation,
            UserTurn(
                f"{STAFF_PREFIX}{staff.display_name}] {text}",
                Customer(staff.id, staff.display_name),
                discord_message_id=message_id,
            ),
            author_kind="staff",
        )

    async def record_notice(self, conversation: Conversation, text: str) -> None:
        """Store a notice the bot showed the customer (a ticket claimed or resolved)."""
        await self.services.store.append_messages(
            conversation.id, [NewMessage(role="assistant", content=text)]
        )

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
