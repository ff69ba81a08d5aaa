"""One run: N customers write in the support channel at once; the real bot process answers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.fakes import TimedLLM
from fakes.discord_limits import MESSAGE_ROUTE, MESSAGES_ROUTE, LimitedDiscord
from fakes.openai_server import JSON, Reply

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "grok-bench"
API_KEY = "xai-bench-key"
TYPING_ROUTE = "/channels/{channel_id}/typing"
# Realistic pacing: 300 ms to the first token, then 50 tokens a second, 400 tokens a reply;
# a token is about 4 characters and each streamed piece carries one.
FIRST_TOKEN_DELAY = 0.3
TOKENS_PER_SECOND = 50
REPLY_TOKENS = 400
CHARS_PER_TOKEN = 4
CLK_TCK = os.sysconf("SC_CLK_TCK")
_CUSTOMER = re.compile(r"customer (\d+)")
_WORDS = [
    "your",
    "order",
    "the",
    "courier",
    "restaurant",
    "refund",
    "delivery",
    "minutes",
    "kitchen",
    "receipt",
    "ticket",
    "address",
    "payment",
    "card",
    "driver",
    "support",
    "update",
    "status",
    "pizza",
    "soup",
    "salad",
    "dessert",
    "drinks",
    "today",
    "tonight",
    "shortly",
    "again",
    "please",
    "thanks",
    "sorry",
    "checked",
    "confirmed",
    "arrives",
    "station",
    "missing",
    "items",
    "replaced",
    "credited",
    "account",
    "app",
    "notification",
    "window",
    "route",
    "traffic",
]


def reply_text(index: int) -> str:
    """The model's reply to customer `index`: 1600 characters of plain words, unique."""
    size = REPLY_TOKENS * CHARS_PER_TOKEN
    rng = random.Random(index)  # noqa: S311 - made-up text, not secrets
    text = f"Customer {index}, thanks for waiting."
    while len(text) < size - 1:
        text += " " + rng.choice(_WORDS)
        if rng.random() < 0.08:
            text += "."
    return text[: size - 1].rstrip() + "."


@dataclass
class Conversation:
    """What one customer sent and what the model answered."""

    index: int
    text: str
    sent_at: float = 0.0
    thread_id: int = 0


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
    bot_cpu: float
    bot_peak_kib: int
    fakes_cpu: float
    wall: float
    fake_lag: list[float]
    timed_out: bool
    violations: list[str] = field(default_factory=list)


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _proc_peak_kib(pid: int) -> int:
    """Peak resident memory (VmHWM) of a process in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def bot_env(
    discord_fake: LimitedDiscord, llm: TimedLLM, workdir: Path, size: int
) -> dict[str, str]:
    """The bot's environment: both fakes on loopback, a fresh database, no developer .env."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(
        PYTHONUNBUFFERED="1",
        # The bot measured is the one in this tree, whatever is installed in the venv.
        PYTHONPATH=str(REPO_ROOT),
        DISCORD_TOKEN=discord_fake.token,
        SUPPORT_CHANNEL_ID=str(discord_fake.support_channel_id),
        STAFF_CHANNEL_ID=str(discord_fake.staff_channel_id),
        XAI_API_KEY=API_KEY,
        XAI_BASE_URL=llm.base_url,
        CHAT_MODEL=MODEL,
        VISION_MODEL=MODEL,
        DATABASE_PATH=str(workdir / "bot.sqlite3"),
        DISCORD_API_BASE=discord_fake.api_base,
        DISCORD_GATEWAY_URL=discord_fake.gateway_url,
        LOG_LEVEL="WARNING",
        # Nothing else is set: customers get the defaults, and so does the benchmark.
    )
    return env


@contextlib.asynccontextmanager
async def bot_process(
    env: dict[str, str], workdir: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot`, logging to a file; stopped with SIGTERM (then killed) at the end."""
    with (workdir / "bot.log").open("a") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=workdir, stderr=log, stdout=log
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _start_profiler(pid: int) -> asyncio.subprocess.Process | None:
    """With BENCH_PROFILE=FILE, py-spy samples the bot during the run (raw flame graph data)."""
    target = os.environ.get("BENCH_PROFILE")
    if not target:
        return None
    py_spy = Path(sys.executable).with_name("py-spy")
    return await asyncio.create_subprocess_exec(
        str(py_spy),
        "record",
        "--format",
        "raw",
        "--rate",
        "250",
        "-o",
        target,
        "-p",
        str(pid),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _watch_lag(lags: list[float], stop: asyncio.Event) -> None:
    """How late the benchmark's own event loop (the fakes') wakes up: it must stay small."""
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.sleep(0.05)
        lags.append(time.monotonic() - started - 0.05)


def _writes_done(
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


async def run(size: int, *, wait: float = 150.0) -> RunResult:
    """Start the fakes and the bot, have `size` customers write at once, wait for every reply."""
    conversations = [Conversation(k, reply_text(k)) for k in range(size)]
    delay = 1 / TOKENS_PER_SECOND

    def respond(body: JSON) -> Reply:
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        match = _CUSTOMER.search(str(users[-1].get("content"))) if users else None
        index = int(match.group(1)) if match else 0
        return Reply(
            conversations[index].text,
            chunk_size=CHARS_PER_TOKEN,
            delay=delay,
            first_delay=FIRST_TOKEN_DELAY,
            usage=(10, REPLY_TOKENS),
        )

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        discord_fake = LimitedDiscord()
        async with discord_fake, TimedLLM(models=[MODEL], api_key=API_KEY) as llm:
            llm.set_responder(respond)
            discord_fake.warm_up()
            users = [discord_fake.add_user(f"customer{k:03d}") for k in range(size)]
            env = bot_env(discord_fake, llm, workdir, size)
            async with bot_process(env, workdir) as process:
                await discord_fake.wait_until_identified(timeout=60)
                # Ready once on_ready has registered the slash commands.
                await discord_fake.wait_for(
                    lambda: any(
                        r.method == "PUT" and r.path.endswith("/commands") and r.status
                        for r in discord_fake.requests
                    ),
                    timeout=60,
                )
                await asyncio.sleep(0.5)
                profiler = await _start_profiler(process.pid)
                lags: list[float] = []
                stop = asyncio.Event()
                watcher = asyncio.create_task(_watch_lag(lags, stop))
                first_request = len(discord_fake.requests)
                bot_cpu0, fakes_cpu0, wall0 = (
                    _proc_cpu(process.pid),
                    time.process_time(),
                    time.monotonic(),
                )
                for conversation, user in zip(conversations, users, strict=True):
                    conversation.sent_at = time.monotonic()
                    await discord_fake.send_user_message(
                        discord_fake.support_channel_id,
                        user,
                        f"Hi, this is customer {conversation.index}: where is my order?",
                    )
                done: set[int] = set()
                scanned = first_request
                deadline = time.monotonic() + wait
                while len(done) < size and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                    # Each customer's thread (a private one by default) is found by its name.
                    _find_threads(discord_fake, conversations)
                    expected = {c.thread_id: c.text for c in conversations if c.thread_id}
                    scanned = _writes_done(discord_fake, expected, done, scanned)
                timed_out = len(done) < size
                # Requests still in flight (a typing, say) land before the books are closed.
                await asyncio.sleep(0.5)
                wall = time.monotonic() - wall0
                bot_cpu = _proc_cpu(process.pid) - bot_cpu0
                fakes_cpu = time.process_time() - fakes_cpu0
                peak = _proc_peak_kib(process.pid)
                stop.set()
                await watcher
                if profiler is not None:
                    profiler.send_signal(signal.SIGINT)
                    await profiler.wait()
            return _collect(
                size,
                conversations,
                discord_fake,
                llm,
                first_request,
                bot_cpu=bot_cpu,
                peak=peak,
                fakes_cpu=fakes_cpu,
                wall=wall,
                lags=lags,
                timed_out=timed_out,
            )


THREAD_ROUTES = (
    "/channels/{channel_id}/messages/{message_id}/threads",  # public, from the message
    "/channels/{channel_id}/threads",  # private
)


def _find_threads(discord_fake: LimitedDiscord, conversations: list[Conversation]) -> None:
    """Note the thread the bot opened for each customer (named after them)."""
    by_name = {str(t.get("name")): int(t["id"]) for t in discord_fake.threads.values()}
    for conversation in conversations:
        if not conversation.thread_id:
            name = f"Support · customer{conversation.index:03d}"
            conversation.thread_id = by_name.get(name, 0)


def _collect(
    size: int,
    conversations: list[Conversation],
    discord_fake: LimitedDiscord,
    llm: TimedLLM,
    first_request: int,
    *,
    bot_cpu: float,
    peak: int,
    fakes_cpu: float,
    wall: float,
    lags: list[float],
    timed_out: bool,
) -> RunResult:
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
        thread_creations=sum(
            r.route
            in (
                "/channels/{channel_id}/messages/{message_id}/threads",
                "/channels/{channel_id}/threads",
            )
            for r in requests
        ),
        bot_cpu=bot_cpu,
        bot_peak_kib=peak,
        fakes_cpu=fakes_cpu,
        wall=wall,
        fake_lag=lags,
        timed_out=timed_out,
        violations=[*discord_fake.violations, *discord_fake.unexpected, *llm.unexpected],
    )
