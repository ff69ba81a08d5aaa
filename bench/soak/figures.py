"""The soak's figures: what became of each message, tickets, stored histories, latency."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.soak.customers import Sent
from bench.soak.model import ANSWER, TOKEN, SoakModel
from bot.engine import copy
from fakes.discord_limits import MESSAGE_ROUTE, MESSAGES_ROUTE, LimitedDiscord
from fakes.openai_server.checks import history_problem

_REQUEST = re.compile(r"\(request ((?:m\d+ ?)+)\)")
# Every sentence that tells a customer their message was not (fully) answered.
NOTICES = (
    copy.FAILED_NOTICE.split("{reason}")[1].strip(),
    copy.CUT_BY_RESTART,
    *copy.CUT_NOTICES.values(),
    copy.SOMETHING_WENT_WRONG,
    copy.INTERRUPTED_NOTICE,
    copy.NO_THREAD,
)


@dataclass
class Outcomes:
    """Per message: the time its complete answer landed, or that a notice came, or neither."""

    answered_at: dict[str, float] = field(default_factory=dict)
    noticed: set[str] = field(default_factory=set)

    def split(self, sent: list[Sent]) -> tuple[list[Sent], list[Sent], list[Sent]]:
        """The messages answered, those given a notice instead, and those lost (neither)."""
        answered = [s for s in sent if s.token in self.answered_at]
        noticed = [s for s in sent if s.token not in self.answered_at and s.token in self.noticed]
        lost = [s for s in sent if s.token not in self.answered_at and s.token not in self.noticed]
        return answered, noticed, lost

    def settled(self, sent: list[Sent]) -> bool:
        """Every message answered or given a notice."""
        return all(s.token in self.answered_at or s.token in self.noticed for s in sent)


def outcomes(
    discord_fake: LimitedDiscord, model: SoakModel, sent: list[Sent], kept: set[str]
) -> Outcomes:
    """Read the bot's successful writes: complete answers (by the request they answer) and
    notices (by channel), each matched to the messages sent before it; `kept`: the messages
    known to have reached the bot (stored, or carried by a model request)."""
    from bot.frontends.discord.streaming.renderer import CURSOR

    landed: dict[int, float] = {}  # answer number -> when its full text first landed
    notices: dict[int, list[tuple[float, int]]] = {}  # channel -> (when, message replied to)
    for request in list(discord_fake.requests):
        if request.route not in (MESSAGES_ROUTE, MESSAGE_ROUTE) or request.method == "GET":
            continue
        if not 200 <= request.status < 300 or request.method not in ("POST", "PATCH"):
            continue
        content = str((request.json or {}).get("content") or "").removesuffix(CURSOR)
        for number in map(int, ANSWER.findall(content)):
            answer = model.answers.get(number)
            if answer is not None and answer.text in content and number not in landed:
                landed[number] = request.at
        if any(notice in content for notice in NOTICES):
            reference = (request.json or {}).get("message_reference") or {}
            replied_to = int(reference.get("message_id") or 0)
            notices.setdefault(int(request.path.split("/")[2]), []).append((request.at, replied_to))
    result = Outcomes()
    for number, at in landed.items():
        for token in model.answers[number].tokens:
            result.answered_at[token] = min(at, result.answered_at.get(token, at))
    for s in sent:
        # A notice in the conversation after the message speaks for it if the bot had kept
        # the message or the notice replies to it; a notice about a turn a crash cut does
        # not speak for a message the bot never saw (sent while it was down).
        channels = {s.channel_id, s.thread_id} - {0}
        for at, replied_to in (n for c in channels for n in notices.get(c, [])):
            if at > s.sent_at and (s.token in kept or replied_to == s.message_id):
                result.noticed.add(s.token)
    return result


@dataclass
class Figures:
    """What the soak measured (figures, not assertions)."""

    minutes: float
    customers: int
    messages: int
    answered: int
    failure_notices: int
    lost: int
    lost_never_stored: int  # of the lost: never reached the bot's database
    duplicate_tickets: int
    tickets: int
    invalid_histories: int
    conversations: int
    p50_s: float | None
    p95_s: float | None
    max_s: float | None
    killed_at_s: float | None
    sent_while_down: int
    model_requests: int
    model_faults: dict[str, int]
    model_refusals: int
    discord_faults: int
    discord_429s: int
    lost_tokens: list[str]
    problems: list[str]
    # Per message: reference, customer, kind, thread, sent (s into the run), outcome, wait.
    per_message: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The figures as a JSON object."""
        return asdict(self)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile, or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


@dataclass
class Stored:
    """What the bot's database holds after the run."""

    conversations: int = 0
    tickets: int = 0
    duplicate_tickets: int = 0
    problems: list[str] = field(default_factory=list)  # histories the real API would refuse
    kept: set[str] = field(default_factory=set)  # the customer messages stored


async def stored(database: Path, thread_ids: list[int]) -> Stored:
    """From the bot's database after the run: conversations, tickets, duplicate tickets (two
    for the same request), the histories the real API would refuse, the messages kept."""
    from bot.store import Store, TicketStatus

    result = Stored()
    async with Store.open(database) as store:
        for thread_id in thread_ids:
            conversation = await store.get_conversation(f"discord:{thread_id}")
            if conversation is None:
                continue
            result.conversations += 1
            history = [m.to_chat() for m in await store.load_history(conversation.id)]
            problem = history_problem(history)
            if problem is not None:
                result.problems.append(f"thread {thread_id}: {problem}")
            result.kept |= {
                token
                for m in history
                if m["role"] == "user"
                for token in TOKEN.findall(str(m["content"]))
            }
        tickets, result.tickets = await store.list_tickets(list(TicketStatus), limit=100_000)
    per_request = Counter(
        token
        for ticket in tickets
        for match in _REQUEST.findall(ticket.issue)
        for token in match.split()
    )
    result.duplicate_tickets = sum(n - 1 for n in per_request.values() if n > 1)
    return result
