"""How a conversation opened: when its customer could first read the answer, and what it
cost in Discord requests until then.

A first text counts once the customer can see it: in a private thread, only when they are a
member of it (added by `PUT /channels/{thread}/thread-members/{user}`, or by a message in
the thread that really pings them). Every request of the conversation up to and including
that first text is counted: its thread's creation, everything in its thread, and what
touched the customer's original message in the support channel (a reply to it, its removal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fakes.discord_server import RecordedRequest

THREADS_ROUTE = "/channels/{channel_id}/threads"
MEMBER_ROUTE = "/channels/{channel_id}/thread-members/{user_id}"
MESSAGES_ROUTE = "/channels/{channel_id}/messages"
MESSAGE_ROUTE = "/channels/{channel_id}/messages/{message_id}"


@dataclass
class Opening:
    """One conversation's start, as the customer lived it."""

    visible_at: float | None  # when the answer's first text was there for them to read
    requests: int  # requests of the conversation up to and including that first text
    sequence: list[str]  # those requests, "METHOD route" each, in order


def pings(request: RecordedRequest, user_id: int) -> bool:
    """Whether a message create really mentions the user (in its content, and allowed)."""
    body: Any = request.json if isinstance(request.json, dict) else {}
    if f"<@{user_id}>" not in str(body.get("content") or ""):
        return False
    allowed = body.get("allowed_mentions")
    if allowed is None:
        return True
    users = {str(u) for u in allowed.get("users") or []}
    return "users" in (allowed.get("parse") or []) or str(user_id) in users


def joined_at(requests: Sequence[RecordedRequest], thread_id: int, user_id: int) -> float | None:
    """When the customer became a member of their thread (None: never, by the bot's doing)."""
    inside = f"/channels/{thread_id}/"
    for request in requests:
        if not 200 <= request.status < 300 or not request.path.startswith(inside):
            continue
        added = request.method == "PUT" and request.route == MEMBER_ROUTE
        if added and request.path.endswith(f"/{user_id}"):
            return request.at
        if request.method == "POST" and request.route == MESSAGES_ROUTE and pings(request, user_id):
            return request.at
    return None


def belongs(
    request: RecordedRequest, *, thread_id: int, thread_name: str, support_id: int, original_id: int
) -> bool:
    """Whether a request was spent on this conversation."""
    path = request.path
    if path == f"/channels/{thread_id}" or path.startswith(f"/channels/{thread_id}/"):
        return True
    body: Any = request.json if isinstance(request.json, dict) else {}
    if request.route == THREADS_ROUTE and request.method == "POST":
        return body.get("name") == thread_name
    if request.route == MESSAGE_ROUTE and path == f"/channels/{support_id}/messages/{original_id}":
        return True
    if request.route == MESSAGES_ROUTE and path == f"/channels/{support_id}/messages":
        reference = body.get("message_reference") or {}
        return str(reference.get("message_id")) == str(original_id)
    return False


def opening(
    requests: Sequence[RecordedRequest],
    first_text_at: float | None,
    *,
    thread_id: int,
    thread_name: str,
    user_id: int,
    support_id: int,
    original_id: int,
    private: bool = True,
) -> Opening:
    """The conversation's opening, from the fake's request log and its first text's time."""
    visible_at = first_text_at
    if private and first_text_at is not None:
        joined = joined_at(requests, thread_id, user_id)
        visible_at = None if joined is None else max(first_text_at, joined)
    mine = [
        r
        for r in requests
        if belongs(
            r,
            thread_id=thread_id,
            thread_name=thread_name,
            support_id=support_id,
            original_id=original_id,
        )
    ]
    until = visible_at if visible_at is not None else float("inf")
    spent = [r for r in mine if r.at <= until]
    return Opening(visible_at, len(spent), [f"{r.method} {r.route or r.path}" for r in spent])
