"""The seam between the agent loop and a chat model."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from openai import AsyncOpenAI, AsyncStream, Omit, omit
from openai.types import ReasoningEffort
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionToolUnionParam,
)

from bot.llm.client import ModelCaller
from bot.llm.errors import CUT_OFF, LLMError, is_api_failure, is_transport_failure, translate
from bot.llm.stream import StreamFolder, TokenUsage, ToolCallRequest

log = logging.getLogger(__name__)

# xAI serves a repeated prompt prefix from its cache for requests carrying the same value.
CONVERSATION_HEADER = "x-grok-conv-id"
# The openai SDK's backoff (openai._constants), used for retries it cannot make itself.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0


@dataclass(frozen=True)
class ModelText:
    """A piece of text the model streamed."""

    text: str


@dataclass(frozen=True)
class ModelQueued:
    """The call waits for a free slot under the cap on calls in flight (said once, before
    the call starts), so a frontend can tell the customer the answer is on its way."""


@dataclass(frozen=True)
class ModelReply:
    """The whole of one model response: text, tool calls, usage and why it ended.

    `finish_reason` is the endpoint's: "stop" and "tool_calls" are whole answers, "length"
    and "content_filter" cut ones; None when the endpoint said nothing.
    """

    text: str
    tool_calls: list[ToolCallRequest]
    usage: TokenUsage
    finish_reason: str | None = None


class ChatModel(Protocol):
    """Streams one response to a conversation: text pieces, then the whole reply."""

    name: str

    def respond(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        *,
        allow_tools: bool,
        conversation: str | None = None,
    ) -> AsyncIterator[ModelQueued | ModelText | ModelReply]:
        """Yield text as it arrives, then exactly one ModelReply (a ModelQueued first when
        the call has to wait for a slot).

        `conversation` names the conversation, for endpoints that cache its prompt prefix.
        """
        ...


class OpenAIChatModel(ModelCaller):
    """A ChatModel over any OpenAI-compatible chat completions endpoint."""

    def __init__(
        self,
        client: AsyncOpenAI,
        name: str,
        *,
        slots: asyncio.Semaphore | None = None,
        reasoning_effort: str = "",
        max_output_tokens: int | None = None,
    ) -> None:
        super().__init__(client, name, slots=slots, max_output_tokens=max_output_tokens)
        # Empty: not sent, for endpoints that do not know the parameter.
        self._reasoning_effort = reasoning_effort

    async def respond(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        *,
        allow_tools: bool,
        conversation: str | None = None,
    ) -> AsyncIterator[ModelQueued | ModelText | ModelReply]:
        """Stream a completion once a call slot is free (see `_stream`); a ModelQueued
        first when every slot is taken."""
        if self._slots is not None and self._slots.locked():
            yield ModelQueued()
        async with self._slot():
            async for piece in self._stream(
                messages, tools, allow_tools=allow_tools, conversation=conversation
            ):
                yield piece

    async def _stream(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        *,
        allow_tools: bool,
        conversation: str | None,
    ) -> AsyncIterator[ModelText | ModelReply]:
        """Stream a completion, folding its chunks; SDK errors become LLMError.

        The SDK retries the request until the response headers arrive. A stream that breaks
        or stalls (read timeout) after that but before any text or tool call is retried here,
        with the client's `max_retries` and the same backoff; once something arrived, the
        failure is final: "cut off", and the text already shown stays shown.
        """
        tool_choice: Literal["auto", "none"] | Omit = omit
        if tools:
            tool_choice = "auto" if allow_tools else "none"
        effort = cast("ReasoningEffort", self._reasoning_effort) if self._reasoning_effort else omit
        headers = {CONVERSATION_HEADER: conversation} if conversation else None
        budget = self._client.max_retries
        retries = 0  # taken so far, by the SDK or here: all share the client's max_retries
        while True:
            client = self._client
            if retries:
                client = client.with_options(max_retries=budget - retries)
            folder = StreamFolder()
            try:
                stream = await client.chat.completions.create(
                    model=self.name,
                    messages=cast("list[ChatCompletionMessageParam]", messages),
                    stream=True,
                    stream_options={"include_usage": True},
                    tools=cast("list[ChatCompletionToolUnionParam]", tools) or omit,
                    tool_choice=tool_choice,
                    reasoning_effort=effort,
                    max_completion_tokens=self._max_output_tokens or omit,
                    extra_headers=headers,
                )
            except Exception as exc:
                if not is_api_failure(exc):
                    raise
                raise translate(exc) from exc  # the SDK has already retried what it should
            retries += _retries_taken(stream)
            try:
                async with stream:
                    async for chunk in stream:
                        text = folder.add(chunk)
                        if text:
                            yield ModelText(text)
            except Exception as exc:
                if not is_api_failure(exc):
                    raise
                if folder.text or folder.tool_calls:
                    raise LLMError(CUT_OFF, repr(exc), passing=True) from exc
                if is_transport_failure(exc) and retries < budget:
                    retries += 1
                    delay = backoff_delay(retries)
                    log.info(
                        "stream failed before any answer (%r); retry %d of %d in %.2fs",
                        exc,
                        retries,
                        budget,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                raise translate(exc) from exc
            yield ModelReply(
                folder.text, folder.tool_calls, folder.usage or TokenUsage(), folder.finish_reason
            )
            return


def _retries_taken(stream: AsyncStream[ChatCompletionChunk]) -> int:
    """How many retries the SDK needed before this stream's response (its request header)."""
    try:
        return max(0, int(stream.response.request.headers.get("x-stainless-retry-count", "0")))
    except ValueError:
        return 0


def backoff_delay(retry: int) -> float:
    """The SDK's backoff for the n-th retry (from 1): 0.5 s doubling, at most 8 s, 0-25 % less."""
    delay = min(INITIAL_RETRY_DELAY * 2.0 ** (retry - 1), MAX_RETRY_DELAY)
    return delay * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not cryptography
