"""One turn: the agent runs over the history, each round is stored, events go out.

The last event is always a TurnEnded: a failure of any kind ends the turn with a notice,
and the text already shown is stored, marked interrupted. Only cancellation propagates
(after the same storing), so a frontend never sees a turn hang or vanish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from bot.engine import copy
from bot.engine.events import (
    EngineEvent,
    ReplyText,
    ToolStarted,
    TurnEnded,
    TurnStarted,
    Waiting,
)
from bot.llm import agent as agent_events
from bot.llm.agent import Agent
from bot.llm.errors import LLMError
from bot.store import Conversation, NewMessage, Store, Usage
from bot.tools.context import SupportContext

log = logging.getLogger(__name__)

INTERRUPTED_MARK = "[reply interrupted]"
# A reply that has shown no more than this, called no tool and stored nothing starts over
# when the customer writes again: they have hardly begun reading it, and one answer to
# everything they said beats an answer to half of it followed by another.
RESTART_WITHIN_CHARS = 400
_FOLLOW_UP = object()


async def run_turn(
    agent: Agent[SupportContext],
    context: SupportContext,
    messages: list[dict[str, Any]],
    *,
    answers: int | None = None,
    last_try: bool = True,
    follow_up: asyncio.Event | None = None,
) -> AsyncIterator[EngineEvent]:
    """Run the agent over `messages` for the context's conversation; store each round and
    the turn's usage; yield what the customer should see.

    `answers` is the id of the newest stored message the turn read: the final round (the
    answer in words) is stored together with the note that everything up to it is answered,
    so a crash either leaves the question due or the answer stored, never both or neither.

    When `follow_up` is set while the reply is young (see RESTART_WITHIN_CHARS), the turn
    stops at once, stores nothing and ends with `TurnEnded(replaced=True)`.
    """
    store = context.services.store
    conversation = context.conversation
    shown = ""
    pending_text = ""
    young = follow_up is not None
    yield TurnStarted()
    events = agent.run_turn(messages, context, conversation=conversation.key)
    try:
        while True:
            young = young and len(shown) <= RESTART_WITHIN_CHARS
            event = await _next_unless(events, follow_up if young else None, race=not shown)
            if event is None:
                break
            if event is _FOLLOW_UP:
                yield TurnEnded(shown, replaced=True)
                return
            if isinstance(event, agent_events.RoundCompleted):
                young = False
                await _store_round(store, conversation, event, answers)
                pending_text = ""
            elif isinstance(event, agent_events.TurnDone):
                await _record_usage(store, conversation, agent.model.name, event)
                yield TurnEnded(shown, copy.CUT_NOTICES.get(event.finish_reason or "", ""))
            elif isinstance(event, agent_events.Queued):
                yield Waiting()
            else:
                if isinstance(event, ReplyText):
                    pending_text += event.text
                    shown += event.text
                young = young and not isinstance(event, ToolStarted)
                yield event
    except asyncio.CancelledError:
        await asyncio.shield(keep_interrupted(store, conversation, pending_text))
        raise
    except LLMError as exc:
        log.warning("turn failed in conversation %d: %s", conversation.id, exc)
        await keep_interrupted(store, conversation, pending_text)
        if exc.passing and not last_try:
            yield TurnEnded(shown, copy.RETRYING_NOTICE.format(reason=exc.user_message), True)
        else:
            yield TurnEnded(shown, copy.FAILED_NOTICE.format(reason=exc.user_message))
    except Exception:
        log.exception("turn failed in conversation %d", conversation.id)
        await keep_interrupted(store, conversation, pending_text)
        yield TurnEnded(shown, copy.FAILED_NOTICE.format(reason=copy.OUR_FAULT))
    finally:
        # Closes the model's stream now, not when the garbage collector gets to it.
        await events.aclose()


async def _store_round(
    store: Store,
    conversation: Conversation,
    event: agent_events.RoundCompleted,
    answers: int | None,
) -> None:
    """Store a round; the final one (words, no tool call) answers the turn's messages."""
    final = not event.messages[0].get("tool_calls")
    await store.append_messages(
        conversation.id,
        [NewMessage.from_chat(m) for m in event.messages],
        answered_through=answers if final else None,
    )


async def _record_usage(
    store: Store, conversation: Conversation, model: str, event: agent_events.TurnDone
) -> None:
    usage = event.usage
    await store.record_usage(
        conversation.id,
        Usage(
            model,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            event.rounds,
            usage.cached_tokens,
        ),
    )


async def _next_unless(
    events: AsyncIterator[Any], follow_up: asyncio.Event | None, *, race: bool
) -> Any:
    """The next event, or `_FOLLOW_UP` if `follow_up` is set (None at the end). With `race`,
    a follow-up set while the next event is awaited wins at once (the pending step of
    `events` is cancelled): before the first text, the model may think for seconds. Without,
    it is looked at before the next event only: chunks of a stream come every few
    milliseconds, and racing each would cost two tasks a chunk."""
    if follow_up is not None and follow_up.is_set():
        return _FOLLOW_UP
    if follow_up is None or not race:
        return await anext(events, None)
    step = asyncio.ensure_future(anext(events, None))
    signal = asyncio.ensure_future(follow_up.wait())
    try:
        await asyncio.wait((step, signal), return_when=asyncio.FIRST_COMPLETED)
    finally:
        signal.cancel()
        if not step.done():
            step.cancel()
            # The model's stream unwinds before the turn goes on.
            await asyncio.wait((step,))
    return _FOLLOW_UP if step.cancelled() else step.result()


async def keep_interrupted(store: Store, conversation: Conversation, text: str) -> None:
    """Keep what the customer already saw, so the history matches the thread.

    Best effort: when the store itself is what failed, the failure is logged, and the turn
    still ends with its notice.
    """
    if not text.strip():
        return
    try:
        await store.append_messages(
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
        log.exception("could not store the interrupted reply of conversation %d", conversation.id)


async def finish_turn(
    store: Store, conversation: Conversation, context_start: int | None, answered: int | None
) -> None:
    """The turn is over (a crash skips this: the mark left tells the next start to explain);
    what it read is answered, or was told it failed (`answered`: the newest message it read);
    the context start moves where the turn's window began."""
    try:
        if answered is not None:
            await store.answered(conversation.id, answered)
        if context_start is not None:
            await store.move_context_start(conversation.id, context_start)
        await store.turn_finished(conversation.id)
    except Exception:
        log.exception("could not mark the turn in conversation %d finished", conversation.id)
