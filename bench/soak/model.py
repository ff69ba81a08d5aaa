"""The soak's model: answers each request with a unique reply, asks for a ticket when the
customer asked for one, and fails now and then the ways a real endpoint fails."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

from bench.replies import _WORDS
from fakes.openai_server import script

# Every customer message carries a reference the model (and the figures) can see.
TOKEN = re.compile(r"\(ref (m\d+)\)")
TICKET_ASK = "ticket"  # a ticket request carries this word
# A reply is "Answer N: ..." so a write can be traced back to the request it answers.
ANSWER = re.compile(r"Answer (\d+):")
TOKENS_PER_SECOND = 50
FIRST_TOKEN_DELAY = 0.3
CHARS_PER_TOKEN = 4
FAULT_KINDS = ("http_500", "broken_stream", "malformed_stream", "slow_stream", "length")


@dataclass
class Answer:
    """One reply the model streamed: the customer messages its request carried."""

    number: int
    text: str
    tokens: frozenset[str]


@dataclass
class SoakModel:
    """The responder of the fake model in a soak, with its book of replies and faults."""

    rng: random.Random
    fault_rate: float = 0.08
    answers: dict[int, Answer] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    requests: int = 0
    seen: set[str] = field(default_factory=set)  # every message some request carried
    ticket_calls: int = 0
    started: float = field(default_factory=time.monotonic)

    def __call__(self, body: script.JSON) -> script.Response:
        """Answer one chat request (the fake calls it when its script is empty)."""
        self.requests += 1
        messages: list[dict[str, Any]] = body.get("messages") or []
        carried = frozenset(
            t for m in messages if m.get("role") == "user" for t in TOKEN.findall(_text(m))
        )
        self.seen |= carried
        if self.rng.random() < self.fault_rate:
            fault = self._fault(carried)
            if fault is not None:
                return fault
        asked = _ticket_asks(messages)
        if asked and body.get("tools"):
            self.ticket_calls += 1
            issue = f"The customer asks for a person about their order (request {' '.join(asked)})."
            return script.ToolCalls(
                [script.Call("create_customer_ticket", {"name": "Sam", "issue": issue})]
            )
        return self._reply(carried)

    def _reply(
        self, carried: frozenset[str], *, slow: bool = False, finish: str = "stop"
    ) -> script.Reply:
        number = len(self.answers) + 1
        size = self.rng.randint(40, 200) * CHARS_PER_TOKEN
        text = f"Answer {number}: thanks for waiting."
        while len(text) < size:
            text += " " + self.rng.choice(_WORDS)
        text = text[:size].rstrip() + "."
        self.answers[number] = Answer(number, text, carried)
        return script.Reply(
            text,
            chunk_size=CHARS_PER_TOKEN,
            delay=1 / (TOKENS_PER_SECOND / 3 if slow else TOKENS_PER_SECOND),
            first_delay=self.rng.uniform(4.0, 10.0) if slow else FIRST_TOKEN_DELAY,
            usage=(500, len(text) // CHARS_PER_TOKEN),
            finish_reason=finish,
        )

    def _fault(self, carried: frozenset[str]) -> script.Response | None:
        kind = self.rng.choice(FAULT_KINDS)
        self.faults[kind] += 1
        partial = "Let me check that for you, one moment while I look at your order"
        if kind == "http_500":
            return script.Fault(
                500,
                "The server had an error processing your request.",
                headers={"retry-after-ms": "500"},
            )
        if kind == "broken_stream":
            return script.BrokenStream(partial, chunk_size=CHARS_PER_TOKEN)
        if kind == "malformed_stream":
            return script.MalformedStream(partial, chunk_size=CHARS_PER_TOKEN)
        if kind == "slow_stream":
            return self._reply(carried, slow=True)
        return self._reply(carried, finish="length")


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _ticket_asks(messages: list[dict[str, Any]]) -> list[str]:
    """The ticket requests among the customer's latest words (after the last assistant
    message); none when the last message is a tool result (the call was made)."""
    if messages and messages[-1].get("role") != "user":
        return []
    asked: list[str] = []
    for message in reversed(messages):
        if message.get("role") == "assistant":
            break
        if message.get("role") == "user" and TICKET_ASK in _text(message).lower():
            asked += TOKEN.findall(_text(message))
    return sorted(asked)
