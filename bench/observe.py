"""What one run saw: the conversations, the bot's writes, and the raw result of the run."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.fakes import TimedLLM
from bench.opening import Opening, opening
from bench.replies import CHARS_PER_TOKEN
from fakes.discord_limits import MESSAGE_ROUTE, MESSAGES_ROUTE, LimitedDiscord

TYPING_ROUTE = "/channels/{channel_id}/typing"
THREAD_ROUTES = (
    "/channels/{channel_id}/messages/{message_id}/threads",  # public, from the message
    "/channels/{channel_id}/threads",  # private
)


@dataclass
class Conversation:
    """What one customer sent and what the model answered."""

    index: int
    text: str
    sent_at: float = 0.0
    thread_id: int = 0
    user_id: int = 0
    original_id: int = 0  # the customer's message in the support channel

    @property
    def thread_name(self) -> str:
        """The name the bot gives the customer's thread."""
        return f"Support · customer{self.index:03d}"


@dataclass
class Measured:
    """What the run cost: CPU of the bot and of the fakes, the bot's peak memory, time."""

    bot_cpu: float
    bot_peak_kib: int
    fakes_cpu: float
    wall: float
    # how late the fakes' event loop woke, sample by sample
    fake_lag: list[float]
    timed_out: bool


@dataclass
class RunResult:
    """Raw observations of one run, reduced by `bench.metrics`."""

    conversations: int
    replies: list[Conversation]
    # reply text -> time each piece was written by the model
    pieces: dict[str, list[float]]
    piece_size: int
    # thread id -> [(arrival time, text shown without the cursor)] of successful writes
    writes: dict[int, list[tuple[float, str]]]
    # thread id -> the bot's messages at the end
    final: dict[int, list[str]]
    request_times: list[float]
    statuses: list[int]
    typing_requests: int
    thread_creations: int
    measured: Measured
    # each conversation's opening: its first visible text and the requests spent until then
    openings: list[Opening] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def writes_done(
    discord_fake: LimitedDiscord, expected: dict[int, str], done: set[int], scanned: int
) -> int:
    """Mark threads whose final text landed; return how far the request log was read."""
    requests = discord_fake.requests
    while scanned < len(requests):
        request = requests[scanned]
        if request.status == 0:
            break  # still being answered: read it on the next pass
        scanned += 1
        if request.route not in (MESSAGES_ROUTE, MESSAGE_ROUTE) or not 200 <= request.status < 300:
            continue
        thread_id = int(request.path.split("/")[2])
        content = (request.json or {}).get("content")
        if thread_id in expected and content == expected[thread_id]:
            done.add(thread_id)
    return scanned


def find_threads(discord_fake: LimitedDiscord, conversations: list[Conversation]) -> None:
    """Note the thread the bot opened for each customer (named after them)."""
    by_name = {str(t.get("name")): int(t["id"]) for t in discord_fake.threads.values()}
    for conversation in conversations:
        if not conversation.thread_id:
            conversation.thread_id = by_name.get(conversation.thread_name, 0)


def collect(
    size: int,
    conversations: list[Conversation],
    discord_fake: LimitedDiscord,
    llm: TimedLLM,
    first_request: int,
    *,
    measured: Measured,
) -> RunResult:
    """The raw result of a run, from the requests after `first_request`."""
    from bot.frontends.discord.streaming.renderer import CURSOR

    requests = discord_fake.requests[first_request:]
    threads = {c.thread_id for c in conversations}
    writes: dict[int, list[tuple[float, str]]] = {t: [] for t in threads}
    for request in requests:
        if request.route not in (MESSAGES_ROUTE, MESSAGE_ROUTE):
            continue
        if request.method not in ("POST", "PATCH") or not 200 <= request.status < 300:
            continue
        thread_id = int(request.path.split("/")[2])
        if thread_id in writes:
            content = str((request.json or {}).get("content") or "")
            writes[thread_id].append((request.at, content.removesuffix(CURSOR)))
    openings = [
        opening(
            requests,
            _first_text_at(writes.get(c.thread_id, []), c.text),
            thread_id=c.thread_id,
            thread_name=c.thread_name,
            user_id=c.user_id,
            support_id=discord_fake.support_channel_id,
            original_id=c.original_id,
        )
        for c in conversations
    ]
    final = {
        t: [
            m["content"]
            for m in discord_fake.messages(t)
            if m["author"]["id"] == str(discord_fake.bot_user_id)
            # A private thread opens with the customer's words carried in: not the reply.
            and not m["content"].startswith("**customer")
        ]
        for t in threads
    }
    return RunResult(
        conversations=size,
        replies=conversations,
        pieces=dict(llm.sent_at),
        piece_size=CHARS_PER_TOKEN,
        writes=writes,
        final=final,
        request_times=[r.at for r in requests],
        statuses=[r.status for r in requests],
        typing_requests=sum(r.route == TYPING_ROUTE for r in requests),
        thread_creations=sum(r.route in THREAD_ROUTES for r in requests),
        measured=measured,
        openings=openings,
        violations=[*discord_fake.violations, *discord_fake.unexpected, *llm.unexpected],
    )


def _first_text_at(writes: list[tuple[float, str]], text: str) -> float | None:
    """When the first write of the reply's own text arrived (the customer's words carried
    into a private thread are not the answer)."""
    return next((at for at, shown in sorted(writes) if shown and text.startswith(shown)), None)
