"""The soak's customers: each writes with human pauses, mostly in their private thread,
sometimes opening a new conversation, sending two messages at once, or asking for a person."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from fakes.discord_limits import LimitedDiscord

# The share of a customer's turns that do each thing (the rest: one message in the thread).
NEW_CONVERSATION = 0.12
TWO_AT_ONCE = 0.12
ASKS_FOR_TICKET = 0.06
# A customer reads the answer before writing again (waiting for it at most ANSWER_WAIT),
# then pauses to think and type: log-normal, median 6 s, between 1.5 s and 30 s.
ANSWER_WAIT = 20.0
PAUSE_MEDIAN = 6.0
PAUSE_SIGMA = 0.6
THREAD_WAIT = 20.0  # how long a customer looks for the thread their first words opened
CURSOR = "▌"  # a reply still streaming ends with it

_QUESTIONS = [
    "Where is my order?",
    "The courier has not moved for ten minutes, what is going on?",
    "My soup arrived cold, can you help?",
    "I was charged twice for one order.",
    "Can I change the delivery address?",
    "Two items are missing from my bag.",
    "How long does a refund take?",
    "The restaurant cancelled, do I get my money back?",
    "ok thanks",
    "Still nothing here.",
]
_TICKET_ASKS = [
    "Please open a ticket, I want a person to look at this.",
    "Can a person from support take this? Open a ticket please.",
]


@dataclass
class Sent:
    """One customer message: where it went and when."""

    token: str
    customer: int
    channel_id: int  # the support channel (a new conversation) or the customer's thread
    message_id: int
    sent_at: float
    kind: str  # "new", "thread", "second" (of two at once) or "ticket"
    thread_id: int = 0  # the conversation's thread (found later for a new conversation)


@dataclass
class Traffic:
    """Every message the customers sent, and a counter for their references."""

    sent: list[Sent] = field(default_factory=list)
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    refused: int = 0  # sends the fake Discord refused (a thread the customer cannot write in)

    def token(self) -> str:
        return f"m{next(self.numbers):04d}"


def find_thread(discord_fake: LimitedDiscord, token: str) -> int:
    """The thread the customer's words were carried into (the bot quotes them), or 0."""
    needle = f"(ref {token})"
    for thread_id in list(discord_fake.threads):
        for message in discord_fake.messages(thread_id):
            if needle in str(message.get("content", "")):
                return int(thread_id)
    return 0


@dataclass
class Customer:
    """One simulated customer."""

    index: int
    user: dict[str, Any]
    rng: random.Random
    thread_id: int = 0

    async def run(self, discord_fake: LimitedDiscord, traffic: Traffic, until: float) -> None:
        """Write until `until` (monotonic): a first message in the channel, then turns."""
        await asyncio.sleep(self.rng.uniform(0.0, 5.0))
        while time.monotonic() < until:
            answers = self._answers(discord_fake)
            roll = self.rng.random()
            if not self.thread_id or roll < NEW_CONVERSATION:
                await self._open(discord_fake, traffic, until)
            elif roll < NEW_CONVERSATION + TWO_AT_ONCE:
                await self._write(discord_fake, traffic, self.rng.choice(_QUESTIONS), "thread")
                await asyncio.sleep(self.rng.uniform(0.3, 2.0))
                await self._write(discord_fake, traffic, self.rng.choice(_QUESTIONS), "second")
            elif roll < NEW_CONVERSATION + TWO_AT_ONCE + ASKS_FOR_TICKET:
                await self._write(discord_fake, traffic, self.rng.choice(_TICKET_ASKS), "ticket")
            else:
                await self._write(discord_fake, traffic, self.rng.choice(_QUESTIONS), "thread")
            await self._read_answer(
                discord_fake, answers, min(until, time.monotonic() + ANSWER_WAIT)
            )
            pause = self.rng.lognormvariate(math.log(PAUSE_MEDIAN), PAUSE_SIGMA)
            await asyncio.sleep(min(30.0, max(1.5, pause), max(0.0, until - time.monotonic())))

    def _answers(self, discord_fake: LimitedDiscord) -> int:
        """How many finished messages of the bot the customer's thread shows."""
        if not self.thread_id:
            return 0
        bot = str(discord_fake.bot_user_id)
        return sum(
            1
            for m in discord_fake.messages(self.thread_id)
            if m["author"]["id"] == bot and not str(m.get("content", "")).endswith(CURSOR)
        )

    async def _read_answer(
        self, discord_fake: LimitedDiscord, before: int, deadline: float
    ) -> None:
        """Wait (until `deadline`) for a new finished answer in the thread, as a person reads
        the answer before writing again."""
        while self.thread_id and time.monotonic() < deadline:
            if self._answers(discord_fake) > before:
                return
            await asyncio.sleep(0.25)

    async def _open(self, discord_fake: LimitedDiscord, traffic: Traffic, until: float) -> None:
        """A new conversation in the support channel; then look for its thread."""
        text = f"Hi, new problem: {self.rng.choice(_QUESTIONS)}"
        sent = await self._send(discord_fake, traffic, discord_fake.support_channel_id, text, "new")
        if sent is None:
            return
        deadline = min(until, time.monotonic() + THREAD_WAIT)
        self.thread_id = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            found = find_thread(discord_fake, sent.token)
            if found:
                self.thread_id = sent.thread_id = found
                return

    async def _write(
        self, discord_fake: LimitedDiscord, traffic: Traffic, text: str, kind: str
    ) -> None:
        sent = await self._send(discord_fake, traffic, self.thread_id, text, kind)
        if sent is None:
            self.thread_id = 0  # the thread cannot be written in: open a new conversation
        else:
            sent.thread_id = self.thread_id

    async def _send(
        self, discord_fake: LimitedDiscord, traffic: Traffic, channel_id: int, text: str, kind: str
    ) -> Sent | None:
        token = traffic.token()
        at = time.monotonic()
        try:
            message = await discord_fake.send_user_message(
                channel_id, self.user, f"{text} (ref {token})"
            )
        except (PermissionError, KeyError):
            traffic.refused += 1
            return None
        sent = Sent(token, self.index, channel_id, int(message["id"]), at, kind)
        traffic.sent.append(sent)
        return sent
