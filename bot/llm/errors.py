"""Failures of the LLM endpoint, with words a customer can read."""

from __future__ import annotations

import openai

CUT_OFF = "The assistant's answer was cut off."


class LLMError(Exception):
    """The model endpoint failed; `user_message` says so in plain words."""

    def __init__(self, user_message: str, detail: str = "", *, passing: bool = False) -> None:
        super().__init__(detail or user_message)
        self.user_message = user_message
        # A failure that a moment later may not repeat (a timeout, a dropped connection, a
        # busy or failing server, a stream cut short); not a refusal of the request itself.
        self.passing = passing


def _from_httpx(exc: BaseException) -> bool:
    # The SDK wraps transport errors, but one escaping raw (httpx2, httpcore) is the same failure.
    return type(exc).__module__.startswith(("httpx", "httpcore"))


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, openai.APITimeoutError) or (
        _from_httpx(exc) and "Timeout" in type(exc).__name__
    )


def is_api_failure(exc: BaseException) -> bool:
    """Whether `exc` is a failure of the endpoint (SDK or transport), not a bug of ours."""
    return isinstance(exc, openai.OpenAIError) or _from_httpx(exc)


def is_transport_failure(exc: BaseException) -> bool:
    """A connection that failed, dropped or timed out: worth another try if nothing was shown."""
    return isinstance(exc, openai.APIConnectionError) or _from_httpx(exc)


def translate(exc: Exception) -> LLMError:
    """Turn an openai SDK exception into an LLMError a customer can be shown."""
    if _is_timeout(exc):
        detail = str(exc) or repr(exc)
        return LLMError("The assistant took too long to answer.", detail, passing=True)
    if isinstance(exc, openai.APIConnectionError) or _from_httpx(exc):
        detail = str(exc) or repr(exc)
        return LLMError("The assistant could not be reached.", detail, passing=True)
    if isinstance(exc, openai.RateLimitError):
        return LLMError("The assistant is very busy right now.", str(exc), passing=True)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMError("The assistant is not configured correctly.", str(exc))
    if isinstance(exc, openai.APIStatusError):
        return LLMError(
            f"The assistant had an error (HTTP {exc.status_code}).",
            str(exc),
            passing=exc.status_code >= 500,
        )
    return LLMError(CUT_OFF, repr(exc), passing=True)
