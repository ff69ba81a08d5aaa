"""Structured output: a pydantic model in, a validated instance out."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, TypeVar, cast

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ValidationError

from bot.llm.errors import LLMError, translate

ModelT = TypeVar("ModelT", bound=BaseModel)


class StructuredModel:
    """Asks a model for JSON matching a pydantic model's schema (`response_format`)."""

    def __init__(
        self, client: AsyncOpenAI, name: str, *, slots: asyncio.Semaphore | None = None
    ) -> None:
        self._client = client
        self.name = name
        self._slots = slots

    async def parse(self, messages: list[dict[str, Any]], schema: type[ModelT]) -> ModelT:
        """The model's answer validated as `schema`; LLMError when there is none."""
        async with self._slots or contextlib.nullcontext():
            return await self._parse(messages, schema)

    async def _parse(self, messages: list[dict[str, Any]], schema: type[ModelT]) -> ModelT:
        try:
            completion = await self._client.chat.completions.parse(
                model=self.name,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                response_format=schema,
            )
        except (ValidationError, openai.LengthFinishReasonError) as exc:
            raise LLMError("The model gave no answer in the expected format.", str(exc)) from exc
        except openai.OpenAIError as exc:
            raise translate(exc) from exc
        message = completion.choices[0].message
        if message.parsed is None:
            reason = message.refusal or "no structured answer"
            raise LLMError("The model gave no answer in the expected format.", reason)
        return message.parsed
