"""Construction of the OpenAI-compatible client (xAI by default)."""

from __future__ import annotations

from openai import AsyncOpenAI, Timeout

# Streaming answers can pause between chunks; the read timeout bounds each pause, not the reply.
DEFAULT_TIMEOUT = Timeout(60.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2


def make_client(
    *,
    api_key: str,
    base_url: str,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> AsyncOpenAI:
    """An AsyncOpenAI client for any OpenAI-compatible endpoint."""
    return AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
