"""One turn of a conversation: stream, run the tools asked for, and again, within bounds.

ReplyText, ToolStarted and ToolFinished reach the frontends as they are (the engine's events
re-export them); the engine stores and translates the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Generic

from bot.llm.model import ChatModel, ModelQueued, ModelReply, ModelText
from bot.llm.stream import TokenUsage
from bot.llm.tools import ContextT, ToolRegistry

DEFAULT_MAX_ROUNDS = 5
ROUND_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class ReplyText:
    """A piece of the reply, to show as it comes."""

    text: str


@dataclass(frozen=True)
class Queued:
    """The model call waits for a free slot under the cap on calls in flight."""


@dataclass(frozen=True)
class ToolStarted:
    """The assistant called a tool (by its name)."""

    name: str


@dataclass(frozen=True)
class ToolFinished:
    """A tool call finished; `result` is what the assistant got back."""

    name: str
    ok: bool
    result: str


@dataclass(frozen=True)
class RoundCompleted:
    """Messages one round added to the history: the assistant's, then each tool result."""

    messages: list[dict[str, Any]]


@dataclass(frozen=True)
class TurnDone:
    """The turn is over: the whole reply text shown, tokens used and rounds made.

    `finish_reason` is the last response's ("length" or "content_filter": the answer was cut).
    """

    text: str
    usage: TokenUsage
    rounds: int
    finish_reason: str | None = None


AgentEvent = Queued | ReplyText | ToolStarted | ToolFinished | RoundCompleted | TurnDone


@dataclass
class Agent(Generic[ContextT]):
    """Runs turns against a chat model with a bounded tool loop."""

    model: ChatModel
    tools: ToolRegistry[ContextT]
    # Stored and shown when the model answers with neither text nor a tool call: an assistant
    # message with no content is refused by the real API, and silence tells the customer
    # nothing. The words are the engine's (bot/engine/copy.py).
    empty_reply: str
    max_rounds: int = DEFAULT_MAX_ROUNDS

    async def run_turn(
        self, history: list[dict[str, Any]], context: ContextT, *, conversation: str | None = None
    ) -> AsyncGenerator[AgentEvent, None]:
        """Answer the last user message of `history`; yield events as the turn goes.

        Every RoundCompleted holds an assistant message together with a result for each of
        its tool calls, so a history that stores them stays valid for the next request; an
        assistant message always has text or tool calls (`empty_reply` stands in for none).
        """
        messages = list(history)
        usage = TokenUsage()
        shown = ""
        for round_number in range(1, self.max_rounds + 1):
            # On the last round the model must answer in words: no tool call can be left open.
            allow_tools = round_number < self.max_rounds
            separator = ROUND_SEPARATOR if shown and not shown.endswith("\n") else ""
            reply: ModelReply | None = None
            async for piece in self.model.respond(
                # Asked each round: a tool may stop being offered for a while (a failing API).
                messages,
                self.tools.schemas(),
                allow_tools=allow_tools,
                conversation=conversation,
            ):
                if isinstance(piece, ModelQueued):
                    yield Queued()
                elif isinstance(piece, ModelText):
                    text = separator + piece.text
                    separator = ""
                    shown += text
                    yield ReplyText(text)
                else:
                    reply = piece
            assert reply is not None, "a ChatModel must end with a ModelReply"
            usage += reply.usage
            calls = reply.tool_calls if allow_tools else []
            text = reply.text
            if not text.strip() and not calls:
                text = separator + self.empty_reply
                shown += text
                yield ReplyText(text)
                text = reply.text + self.empty_reply
            assistant: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                assistant["tool_calls"] = [call.to_chat() for call in calls]
            round_messages = [assistant]
            for call in calls:
                yield ToolStarted(call.name)
            outcomes = await asyncio.gather(*(self.tools.dispatch(c, context) for c in calls))
            for call, outcome in zip(calls, outcomes, strict=True):
                yield ToolFinished(call.name, outcome.ok, outcome.content)
                round_messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": outcome.content}
                )
            messages.extend(round_messages)
            yield RoundCompleted(round_messages)
            if not calls:
                yield TurnDone(shown, usage, round_number, reply.finish_reason)
                return
        raise AssertionError("unreachable: the last round offers no tools")
