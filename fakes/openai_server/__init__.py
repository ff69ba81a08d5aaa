"""A fake OpenAI-compatible chat server speaking real HTTP + SSE on loopback, for tests."""

from fakes.openai_server.script import (
    CONVERSATION_HEADER,
    FAST_RETRY_HEADERS,
    ID_STYLES,
    JSON,
    BrokenStream,
    Call,
    CIHeaders,
    Fault,
    MalformedStream,
    Reply,
    Structured,
    ToolCalls,
)
from fakes.openai_server.server import FakeLLM

__all__ = [
    "CONVERSATION_HEADER",
    "FAST_RETRY_HEADERS",
    "ID_STYLES",
    "JSON",
    "BrokenStream",
    "CIHeaders",
    "Call",
    "FakeLLM",
    "Fault",
    "MalformedStream",
    "Reply",
    "Structured",
    "ToolCalls",
]
