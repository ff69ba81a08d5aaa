"""Request checks: refusing what OpenAI refuses, with its error shapes; cached tokens."""

from __future__ import annotations

import json
from typing import Any

from fakes.openai_server.script import JSON, _error_body


class Checks:
    """Refusing requests as the real API refuses them, and prompt caching."""

    def _refusal(self, body: JSON) -> tuple[int, JSON] | None:
        """What the real API answers to a request it refuses, or None to serve it.

        OpenAI refuses an unknown model (404), an assistant message with neither content
        nor tool calls, a tool result that answers no call of the assistant message before
        it, and tool calls not followed by a result for each id (400): a history holding
        one of these kills the conversation.
        """
        model = body.get("model")
        if model not in self.models:
            return 404, _error_body(
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        for param in ("max_completion_tokens", "max_tokens"):
            problem = self._token_cap_problem(body, param)
            if problem is not None:
                return 400, problem
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return 400, _error_body(
                "Invalid 'messages': empty array.", "invalid_request_error", param="messages"
            )
        for index, message in enumerate(messages):
            problem = self._message_problem(messages, index, message)
            if problem is not None:
                text, param = problem
                return 400, _error_body(text, "invalid_request_error", param=param)
        return None

    @staticmethod
    def _token_cap_problem(body: JSON, param: str) -> JSON | None:
        """OpenAI's error for a token cap that is not a positive integer (null: no cap)."""
        value = body.get(param)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            kind = {str: "a string", float: "a decimal", list: "an array", dict: "an object"}
            return _error_body(
                f"Invalid type for '{param}': expected an integer, but got"
                f" {kind.get(type(value), 'a boolean')} instead.",
                "invalid_request_error",
                "invalid_type",
                param=param,
            )
        if value < 1:
            return _error_body(
                f"Invalid '{param}': integer below minimum value. Expected a value >= 1, but"
                f" got {value} instead.",
                "invalid_request_error",
                "integer_below_min_value",
                param=param,
            )
        return None

    @staticmethod
    def _message_problem(messages: list[Any], index: int, message: Any) -> tuple[str, str] | None:
        """(error message, param) for a message the real API refuses, else None."""
        where = f"messages.[{index}]"
        if not isinstance(message, dict):
            return f"Invalid type for '{where}': expected an object.", where
        role = message.get("role")
        calls = message.get("tool_calls") or []
        if role == "assistant":
            if message.get("content") is None and not calls:
                return (
                    "Invalid value for 'content': expected a string, got null.",
                    f"{where}.content",
                )
            answered = set()
            for following in messages[index + 1 :]:
                if not isinstance(following, dict) or following.get("role") != "tool":
                    break
                answered.add(following.get("tool_call_id"))
            missing = [c.get("id") for c in calls if c.get("id") not in answered]
            if missing:
                return (
                    "An assistant message with 'tool_calls' must be followed by tool messages"
                    " responding to each 'tool_call_id'. The following tool_call_ids did not"
                    f" have response messages: {', '.join(map(str, missing))}",
                    f"{where}.role",
                )
        if role == "tool":
            owner = index - 1
            while owner >= 0 and messages[owner].get("role") == "tool":
                owner -= 1
            owner_calls = (messages[owner].get("tool_calls") or []) if owner >= 0 else []
            if message.get("tool_call_id") not in {c.get("id") for c in owner_calls}:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a"
                    " preceeding message with 'tool_calls'.",
                    f"{where}.role",
                )
        return None

    def _account_cache(self, body: JSON, conversation: str | None) -> None:
        """Count the prompt served from cache: the messages the conversation's previous
        request began with, unchanged (about 4 characters a token), as xAI does per header."""
        messages: list[JSON] = body.get("messages") or []
        cached = 0
        if conversation:
            previous = self._last_by_conversation.get(conversation, [])
            for old, new in zip(previous, messages, strict=False):
                if old != new:
                    break
                cached += len(json.dumps(new)) // 4
            self._last_by_conversation[conversation] = messages
        self.cached_tokens.append(cached)


def history_problem(messages: list[Any]) -> str | None:
    """What the real API would refuse in these chat messages (the check `_refusal` runs on a
    request's history), or None: for judging a stored history from outside (bench.soak)."""
    for index, message in enumerate(messages):
        problem = Checks._message_problem(messages, index, message)
        if problem is not None:
            return f"{problem[1]}: {problem[0]}"
    return None
