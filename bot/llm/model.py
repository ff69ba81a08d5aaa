"""The seam between the agent loop and a chat model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

import openai
from openai import AsyncOpenAI, Omit, omit
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolUnionParam

from bot.llm.errors import LLMError, translate
from bot.llm.stream import StreamFolder, TokenUsage, ToolCallRequest


@dataclass(frozen=True)
class ModelText:
    """A piece of text the model streamed."""

    text: str


@dataclass(frozen=True)
class ModelReply:
    """The whole of one model response: text, tool calls and usage."""

    text: str
    tool_calls: list[ToolCallRequest]
    usage: TokenUsage


class ChatModel(Protocol):
    """Streams one response to a conversation: text pieces, then the whole reply."""

    name: str

    def respond(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, allow_tools: bool
    ) -> AsyncIterator[ModelText | ModelReply]:
        """Yield text as it arrives, then exactly one ModelReply."""
        ...


class OpenAIChatModel:
    """A ChatModel over any OpenAI-compatible chat completions endpoint."""

    def __init__(self, client: AsyncOpenAI, name: str) -> None:
        self._client = client
        self.name = name

    async def respond(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, allow_tools: bool
    ) -> AsyncIterator[ModelText | ModelReply]:
        """Stream a completion, folding its chunks; SDK errors become LLMError."""
        folder = StreamFolder()
        tool_choice: Literal["auto", "none"] | Omit = omit
        if tools:
            tool_choice = "auto" if allow_tools else "none"
        try:
            stream = await self._client.chat.completions.create(
                model=self.name,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                stream=True,
                stream_options={"include_usage": True},
                tools=cast("list[ChatCompletionToolUnionParam]", tools) or omit,
                tool_choice=tool_choice,
            )
            async with stream:
                async for chunk in stream:
                    text = folder.add(chunk)
                    if text:
                        yield ModelText(text)
        except Exception as exc:
            # httpx errors escaping mid-stream (a dropped connection) are API failures too.
            api_failure = isinstance(exc, openai.OpenAIError) or type(exc).__module__.startswith(
                ("httpx", "httpcore")
            )
            if not api_failure:
                raise
            if folder.text or folder.tool_calls:
                raise LLMError("The assistant's answer was cut off.", repr(exc)) from exc
            raise translate(exc) from exc
        yield ModelReply(folder.text, folder.tool_calls, folder.usage or TokenUsage())
