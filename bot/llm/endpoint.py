"""The facade of the model boundary: one OpenAI-compatible endpoint and what it serves.

Everything outside `bot.llm` reaches the model through an `Endpoint`: it owns the SDK
client (base URL, timeouts, retries), the optional cap on calls in flight, and hands out
the chat and structured-output models; `list_models` is what `check` asks.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Self

import openai

from bot.llm.client import make_client
from bot.llm.model import OpenAIChatModel
from bot.llm.structured import StructuredModel


class Unreachable(enum.Enum):
    """Why the endpoint could not list its models."""

    REFUSED_KEY = "refused_key"
    NO_CONNECTION = "no_connection"
    HTTP_ERROR = "http_error"


class EndpointError(Exception):
    """The endpoint did not answer as it should; `reason` says how, `status` the HTTP code."""

    def __init__(self, reason: Unreachable, status: int | None = None) -> None:
        super().__init__(reason.value if status is None else f"{reason.value} {status}")
        self.reason = reason
        self.status = status


class Endpoint:
    """An OpenAI-compatible endpoint: the client, its limits, and the models it serves."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        max_retries: int,
        max_concurrent_calls: int,
    ) -> None:
        self.base_url = base_url
        self._client = make_client(
            api_key=api_key,
            base_url=base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
        )
        # 0: no cap; the provider's 429s, retried by the SDK with backoff, pace the calls.
        self._slots = asyncio.Semaphore(max_concurrent_calls) if max_concurrent_calls else None

    def chat_model(
        self, name: str, *, reasoning_effort: str = "", max_output_tokens: int | None = None
    ) -> OpenAIChatModel:
        """A streaming chat model on this endpoint (`reasoning_effort` "" is not sent, nor
        `max_output_tokens` None)."""
        return OpenAIChatModel(
            self._client,
            name,
            slots=self._slots,
            reasoning_effort=reasoning_effort,
            max_output_tokens=max_output_tokens,
        )

    def structured_model(
        self, name: str, *, max_output_tokens: int | None = None
    ) -> StructuredModel:
        """A model answering in a pydantic model's JSON schema on this endpoint."""
        return StructuredModel(
            self._client, name, slots=self._slots, max_output_tokens=max_output_tokens
        )

    async def list_models(self) -> set[str]:
        """The ids of the models the endpoint offers (one quick try: this is a check)."""
        client = self._client.with_options(max_retries=1)
        try:
            return {model.id async for model in client.models.list()}
        except openai.AuthenticationError:
            raise EndpointError(Unreachable.REFUSED_KEY) from None
        except openai.APIConnectionError:
            raise EndpointError(Unreachable.NO_CONNECTION) from None
        except openai.APIStatusError as exc:
            raise EndpointError(Unreachable.HTTP_ERROR, exc.status_code) from None

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
