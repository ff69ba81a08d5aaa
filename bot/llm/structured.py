"""Structured output: a pydantic model in, a validated instance out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import openai
from openai import omit
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ValidationError

from bot.llm.client import ModelCaller
from bot.llm.errors import LLMError, translate
from bot.llm.stream import TokenUsage

ModelT = TypeVar("ModelT", bound=BaseModel)
UsageSink = Callable[[TokenUsage], Awaitable[None]]


class StructuredModel(ModelCaller):
    """Asks a model for JSON matching a pydantic model's schema (`response_format`)."""

    async def parse(
        self,
        messages: list[dict[str, Any]],
        schema: type[ModelT],
        *,
        on_usage: UsageSink | None = None,
    ) -> ModelT:
        """The model's answer validated as `schema`; LLMError when there is none.

        `on_usage` is told the tokens of every response that came back, a refusal or an
        answer cut at the length limit included: they are spent all the same.
        """
        async with self._slot():
            return await self._parse(messages, schema, on_usage)

    async def _parse(
        self, messages: list[dict[str, Any]], schema: type[ModelT], on_usage: UsageSink | None
    ) -> ModelT:
        try:
            completion = await self._client.chat.completions.parse(
                model=self.name,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                response_format=schema,
                max_completion_tokens=self._max_output_tokens or omit,
            )
        except openai.LengthFinishReasonError as exc:
            await _tell(on_usage, exc.completion.usage)
            raise LLMError("The model gave no answer in the expected format.", str(exc)) from exc
        except ValidationError as exc:
            raise LLMError("The model gave no answer in the expected format.", str(exc)) from exc
        except openai.OpenAIError as exc:
            raise translate(exc) from exc
        await _tell(on_usage, completion.usage)
        message = completion.choices[0].message
        if message.parsed is None:
            reason = message.refusal or "no structured answer"
            raise LLMError("The model gave no answer in the expected format.", reason)
        return message.parsed


async def _tell(on_usage: UsageSink | None, usage: CompletionUsage | None) -> None:
    """Hand a response's token usage to `on_usage` (nothing when the endpoint gave none)."""
    if on_usage is None or usage is None:
        return
    details = usage.prompt_tokens_details
    await on_usage(
        TokenUsage(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            (details.cached_tokens or 0) if details else 0,
        )
    )
