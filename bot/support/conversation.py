"""A support conversation's turns: stored history in, agent events out, every round stored."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.llm import history
from bot.llm.agent import Agent, AgentEvent, RoundCompleted, TextDelta, TurnDone
from bot.llm.context import fit_to_budget
from bot.llm.errors import LLMError
from bot.store import Attachment, Conversation, NewMessage, Store, Usage
from bot.support.context import Customer, Services, SupportContext
from bot.support.desk import Person

log = logging.getLogger(__name__)

INTERRUPTED_MARK = "[reply interrupted]"
CUT_BY_RESTART = (
    "⚠️ I was restarted while answering your last message, so my reply above may be"
    " incomplete. Your message is saved; send it again if you still need an answer."
)
DEFAULT_CONTEXT_BUDGET = 32_000
# The system prompt explains this mark: staff talk to the customer, not to the assistant.
STAFF_PREFIX = "[staff · "


# A long history is read from the newest message back, twice what the budget could hold
# (about 4 bytes a token): enough whole turns for `fit_to_budget` to choose from.
HISTORY_BYTES_PER_TOKEN = 8


async def request_history(store: Store, conversation_id: int, budget: int) -> list[dict[str, Any]]:
    """The stored history as the next request carries it: repaired, trimmed to the budget."""
    # The store keeps everything; the request carries what fits the model's context.
    stored = await store.load_history(
        conversation_id, newest_bytes=HISTORY_BYTES_PER_TOKEN * budget
    )
    return fit_to_budget(history.repair([m.to_chat() for m in stored]), budget)


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
    ) -> AsyncIterator[AgentEvent]:
        """Store the user's message, run the agent over the whole history, store each round.

        Callers hold `lock(conversation)` around the iteration. On failure or cancellation
        the text already shown is stored, marked interrupted, and the error propagates.
        """
        store = self.services.store
        await self.record_user_message(conversation, user)
        messages = await request_history(store, conversation.id, self.context_budget)
        context = SupportContext(self.services, conversation, user.customer, thread_url)
        pending_text = ""
        await store.turn_started(conversation.id)
        try:
            async for event in self.agent.run_turn(messages, context):
                if isinstance(event, TextDelta):
                    pending_text += event.text
                elif isinstance(event, RoundCompleted):
                    await store.append_messages(
                        conversation.id, [NewMessage.from_chat(m) for m in event.messages]
                    )
                    pending_text = ""
                elif isinstance(event, TurnDone):
                    await store.record_usage(
                        conversation.id,
                        Usage(
                            self.agent.model.name,
                            event.usage.prompt_tokens,
                            event.usage.completion_tokens,
                            event.usage.total_tokens,
                            event.rounds,
                        ),
                    )
                yield event
        except (LLMError, asyncio.CancelledError):
            if pending_text.strip():
                await asyncio.shield(self._store_interrupted(conversation, pending_text))
            raise
        finally:
            # A crash skips this: the row left behind tells the next start to explain.
            await asyncio.shield(store.turn_finished(conversation.id))

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

    async def _store_interrupted(self, conversation: Conversation, text: str) -> None:
        """Keep what the customer already saw, so the history matches the thread."""
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
