"""Failures of the LLM endpoint, with words a customer can read."""

from __future__ import annotations

import openai


class LLMError(Exception):
    """The model endpoint failed; `user_message` says so in plain words."""

    def __init__(self, user_message: str, detail: str = "") -> None:
        super().__init__(detail or user_message)
        self.user_message = user_message


def translate(exc: Exception) -> LLMError:
    """Turn an openai SDK exception into an LLMError a customer can be shown."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMError("The assistant took too long to answer.", str(exc))
    if isinstance(exc, openai.APIConnectionError):
        return LLMError("The assistant could not be reached.", str(exc))
    if isinstance(exc, openai.RateLimitError):
        return LLMError("The assistant is very busy right now.", str(exc))
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMError("The assistant is not configured correctly.", str(exc))
    if isinstance(exc, openai.APIStatusError):
        return LLMError(f"The assistant had an error (HTTP {exc.status_code}).", str(exc))
    return LLMError("The assistant's answer was cut off.", repr(exc))
