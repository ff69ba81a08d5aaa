"""The context budget: which part of a stored history is sent to the model.

The store keeps the whole conversation; only the request is trimmed. What is sent is always a
valid chat history: the leading system prompt(s), then the newest whole turns (a turn is a
user message and everything after it up to the next user message: assistant answers, tool
calls and their results), oldest dropped first. Cutting only in front of a user message
keeps every assistant tool call with its results, never starts with a tool result or an
answer to a question that is gone, and suits chat templates that want system, user, ...
The last user message and what follows it are always sent, even alone over the budget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

#: Role, separators and framing the API adds to every message.
MESSAGE_OVERHEAD_TOKENS = 4
#: Per tool call: its id, type and the function framing.
TOOL_CALL_OVERHEAD_TOKENS = 8
#: A flat guess per image part (providers charge roughly 256 to 1800 tokens per image).
IMAGE_TOKENS = 1000
#: About four bytes of UTF-8 per token for English; more tokens per character in other scripts.
BYTES_PER_TOKEN = 4

SYSTEM_ROLES = frozenset({"system", "developer"})

TokenCounter = Callable[[dict[str, Any]], int]


def _text_tokens(text: object) -> int:
    if not isinstance(text, str) or not text:
        return 0
    size = len(text.encode("utf-8", errors="replace"))
    return -(-size // BYTES_PER_TOKEN)  # ceiling division


def estimate_tokens(message: Mapping[str, Any]) -> int:
    """A cheap, dependency-free estimate of the tokens one chat message costs.

    Counts the text (string content or text parts), a flat cost per image part (a data URL
    is not counted by its length), tool call names and arguments, and the tool call id of
    a tool result. Real tokenizers differ by model; keep the budget some way below the
    model's context window.
    """
    tokens = MESSAGE_OVERHEAD_TOKENS + _text_tokens(message.get("name"))
    content = message.get("content")
    if isinstance(content, str):
        tokens += _text_tokens(content)
    elif isinstance(content, list):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            if part.get("type") in ("image_url", "input_image", "image"):
                tokens += IMAGE_TOKENS
            else:
                tokens += _text_tokens(part.get("text"))
    for call in message.get("tool_calls") or ():
        if not isinstance(call, Mapping):
            continue
        function = call.get("function")
        tokens += TOOL_CALL_OVERHEAD_TOKENS + _text_tokens(call.get("id"))
        if isinstance(function, Mapping):
            tokens += _text_tokens(function.get("name")) + _text_tokens(function.get("arguments"))
    tokens += _text_tokens(message.get("tool_call_id"))
    return tokens


def fit_to_budget(
    messages: list[dict[str, Any]], max_tokens: int, count: TokenCounter = estimate_tokens
) -> list[dict[str, Any]]:
    """The part of `messages` to send so that it costs at most `max_tokens` when possible.

    Returns a new list (the same message dicts; neither the list nor a message is changed):
    the leading system messages, then the longest run of newest whole turns that fits. The
    last user message and everything after it are kept whatever they cost; a history with
    no user message loses nothing. A history within budget is returned whole.
    """
    start = 0
    while start < len(messages) and messages[start].get("role") in SYSTEM_ROLES:
        start += 1
    costs = [count(message) for message in messages]
    total = sum(costs)
    if total <= max_tokens:
        return list(messages)
    # Where the kept part may begin: in front of a user message, the last one at the latest.
    cuts = [i for i in range(start, len(messages)) if messages[i].get("role") == "user"]
    if not cuts:
        return list(messages)
    cost = total
    dropped_to = start
    for cut in cuts:
        # Dropping messages[dropped_to:cut] leaves the history from `cut` on.
        cost -= sum(costs[dropped_to:cut])
        dropped_to = cut
        if cost <= max_tokens:
            break
    kept = messages[:start] + messages[dropped_to:]
    log.info(
        "context budget %d: sending %d of %d messages (about %d tokens of %d)",
        max_tokens,
        len(kept),
        len(messages),
        cost,
        total,
    )
    return kept


#: When a history outgrows the budget, it is cut to this share of it: the start of what is
#: sent then stays put for many turns, so the provider's prompt cache keeps serving the
#: prefix (a cut of one turn at a time would shift it, and miss the cache, every turn).
RETAIN_SHARE = 0.5


def leading_system_count(messages: list[dict[str, Any]]) -> int:
    """How many system (or developer) messages open the history."""
    count = 0
    while count < len(messages) and messages[count].get("role") in SYSTEM_ROLES:
        count += 1
    return count


def stable_start(
    messages: list[dict[str, Any]], max_tokens: int, count: TokenCounter = estimate_tokens
) -> int | None:
    """Where the sent history should now begin, or None to keep the current start.

    Within budget: None. Over it: the index of the first user message from which the rest
    costs at most `RETAIN_SHARE` of what the budget leaves beside the leading system
    messages (the last user message at the latest), so the start moves rarely and in large
    steps. Leading system messages are never cut.
    """
    start = leading_system_count(messages)
    costs = [count(message) for message in messages[start:]]
    remaining = sum(costs)
    system = sum(count(m) for m in messages[:start])
    if remaining + system <= max_tokens:
        return None
    target = max(max_tokens - system, 0) * RETAIN_SHARE
    last_user: int | None = None
    for offset, cost in enumerate(costs):
        index = start + offset
        if messages[index].get("role") == "user":
            last_user = index
            if remaining <= target:
                return index
        remaining -= cost
    return last_user
