"""Construction of the OpenAI-compatible client (xAI by default).

Retries are the openai SDK's own, and they are exactly what a chat request needs: before a
response arrives, a connection error, a timeout, 408, 409, 429 or any 5xx is retried up to
`max_retries` times with exponential backoff (0.5 s doubling, at most 8 s, minus up to 25 %
jitter); a `retry-after-ms` or `retry-after` header (seconds or an HTTP date) of up to two
minutes replaces the backoff, and a longer one is not waited out: the error is raised.
A stream that fails after its headers arrived is not retried by the SDK: see
`OpenAIChatModel.respond` for what happens then.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AbstractAsyncContextManager

from openai import AsyncOpenAI, Timeout

DEFAULT_CONNECT_TIMEOUT = 10.0
# Streaming answers pause between chunks: the read timeout bounds each pause (and the wait for
# the response headers), not the whole reply.
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 3


def make_timeout(connect_timeout: float, read_timeout: float) -> Timeout:
    """Connect timeout for opening a connection; read timeout for every other wait."""
    if connect_timeout <= 0 or read_timeout <= 0:
        raise ValueError("timeouts must be positive")
    # Writing the request and waiting for a pooled connection get the read timeout too.
    return Timeout(read_timeout, connect=connect_timeout)


def make_client(
    *,
    api_key: str,
    base_url: str,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> AsyncOpenAI:
    """An AsyncOpenAI client for any OpenAI-compatible endpoint."""
    if max_retries < 0:
        raise ValueError("max_retries must not be negative")
    return AsyncOpenAI(
        api_key=api_key,
        base_url=base_url,
        timeout=make_timeout(connect_timeout, read_timeout),
        max_retries=max_retries,
    )


class ModelCaller:
    """What every kind of call to one model holds: the client, the model's name, the cap on
    calls in flight shared by the whole process (optional) and the cap on output tokens."""

    def __init__(
        self,
        client: AsyncOpenAI,
        name: str,
        *,
        slots: asyncio.Semaphore | None = None,
        max_output_tokens: int | None = None,
    ) -> None:
        self._client = client
        self.name = name
        self._slots = slots
        # `max_completion_tokens`, not the older `max_tokens`: OpenAI refuses `max_tokens`
        # for its reasoning models; xAI and llama.cpp's server take both.
        self._max_output_tokens = max_output_tokens

    def _slot(self) -> AbstractAsyncContextManager[object]:
        """A call slot (waited for when every one is taken), or nothing when there is no cap."""
        return self._slots or contextlib.nullcontext()
