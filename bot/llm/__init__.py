"""The model boundary: the only package that imports openai. `Endpoint` is its facade."""

from bot.llm.endpoint import Endpoint, EndpointError, Unreachable
from bot.llm.errors import LLMError

__all__ = ["Endpoint", "EndpointError", "LLMError", "Unreachable"]
