"""Folds streamed chat chunks into text and whole tool calls."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from openai.types.chat import ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import ChoiceDeltaToolCall


@dataclass
class ToolCallRequest:
    """One tool call the model asked for, assembled from the stream."""

    id: str
    name: str
    arguments: str

    def to_chat(self) -> dict[str, object]:
        """The call as the chat API takes it back in the assistant message."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


def new_call_id() -> str:
    """A tool-call id for a call that came without one, unique like the providers' own."""
    return f"call_{secrets.token_hex(12)}"


@dataclass
class TokenUsage:
    """Tokens a request used; `cached_tokens` of the prompt were served from the cache."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0

    def __iadd__(self, other: TokenUsage) -> TokenUsage:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.cached_tokens += other.cached_tokens
        return self


@dataclass
class StreamFolder:
    """Accumulates chunks: text, tool calls (whole or fragmented, parallel) and usage."""

    text: str = ""
    finish_reason: str | None = None
    usage: TokenUsage | None = None
    _calls: list[ToolCallRequest] = field(default_factory=list)
    _open_by_index: dict[int, ToolCallRequest] = field(default_factory=dict)

    def add(self, chunk: ChatCompletionChunk) -> str:
        """Fold one chunk in; return the text it adds."""
        if chunk.usage is not None:
            details = chunk.usage.prompt_tokens_details
            self.usage = TokenUsage(
                chunk.usage.prompt_tokens,
                chunk.usage.completion_tokens,
                chunk.usage.total_tokens,
                (details.cached_tokens or 0) if details is not None else 0,
            )
        added = ""
        # The usage chunk at the end has no choices at all.
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta.content:
                added += delta.content
            for call_delta in delta.tool_calls or ():
                self._add_call_delta(call_delta)
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        self.text += added
        return added

    def _add_call_delta(self, delta: ChoiceDeltaToolCall) -> None:
        function = delta.function
        name = function.name if function and function.name else ""
        arguments = function.arguments if function and function.arguments else ""
        current = self._open_by_index.get(delta.index)
        # OpenAI sends id and name once, then argument fragments under the same index;
        # xAI sends every call whole, sometimes all under index 0: a new id is a new call.
        if current is None or (delta.id and delta.id != current.id):
            # Some servers send no id at all: the history still needs one that is unique.
            current = ToolCallRequest(id=delta.id or new_call_id(), name=name, arguments=arguments)
            self._open_by_index[delta.index] = current
            self._calls.append(current)
            return
        if name and not current.name:
            current.name = name
        current.arguments += arguments

    @property
    def tool_calls(self) -> list[ToolCallRequest]:
        """The tool calls, in the order the model made them."""
        return list(self._calls)
