"""One run: N customers write in the support channel at once; the real bot process answers."""

from __future__ import annotations

import asyncio
import re
import signal
import tempfile
import time
from pathlib import Path

from bench.fakes import TimedLLM
from bench.observe import Conversation, Measured, RunResult, collect, find_threads, writes_done
from bench.probes import proc_cpu, proc_peak_kib, start_profiler, watch_lag
from bench.replies import (
    CHARS_PER_TOKEN,
    FIRST_TOKEN_DELAY,
    REPLY_TOKENS,
    TOKENS_PER_SECOND,
    reply_text,
)
from fakes.discord_limits import LimitedDiscord
from fakes.openai_server import JSON, FakeLLM, Reply
from fakes.process import bot_process, fake_bot_env

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "grok-bench"
API_KEY = "xai-bench-key"
_CUSTOMER = re.compile(r"customer (\d+)")


def bot_env(
    discord_fake: LimitedDiscord,
    llm: FakeLLM,
    database: Path,
    *,
    model: str = MODEL,
    api_key: str = API_KEY,
) -> dict[str, str]:
    """The measured bot's environment: both fakes on loopback, one model for chat and vision,
    a fresh database, no developer .env (the soak's bot runs in it too)."""
    return fake_bot_env(
        discord_fake,
        llm,
        # The bot measured is the one in this tree, whatever is installed in the venv.
        pythonpath=REPO_ROOT,
        xai_api_key=api_key,
        chat_model=model,
        vision_model=model,
        database_path=database,
        log_level="WARNING",
        # Nothing else is set: customers get the defaults, and so does the benchmark.
    )


async def run(
    size: int, *, wait: float = 150.0, settings: dict[str, str] | None = None
) -> RunResult:
    """Start the fakes and the bot, have `size` customers write at once, wait for every reply
    (`settings`: environment variables changed from the defaults, for a comparison)."""
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
            env = {**bot_env(discord_fake, llm, workdir / "bot.sqlite3"), **(settings or {})}
            async with bot_process(env, workdir, workdir / "bot.log") as process:
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
                profiler = await start_profiler(process.pid)
                lags: list[float] = []
                stop = asyncio.Event()
                watcher = asyncio.create_task(watch_lag(lags, stop))
                first_request = len(discord_fake.requests)
                bot_cpu0, fakes_cpu0, wall0 = (
                    proc_cpu(process.pid),
                    time.process_time(),
                    time.monotonic(),
                )
                for conversation, user in zip(conversations, users, strict=True):
                    conversation.sent_at = time.monotonic()
                    conversation.user_id = int(user["id"])
                    original = await discord_fake.send_user_message(
                        discord_fake.support_channel_id,
                        user,
                        f"Hi, this is customer {conversation.index}: where is my order?",
                    )
                    conversation.original_id = int(original["id"])
                done: set[int] = set()
                scanned = first_request
                deadline = time.monotonic() + wait
                while len(done) < size and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                    # Each customer's thread (a private one by default) is found by its name.
                    find_threads(discord_fake, conversations)
                    expected = {c.thread_id: c.text for c in conversations if c.thread_id}
                    scanned = writes_done(discord_fake, expected, done, scanned)
                timed_out = len(done) < size
                # Requests still in flight (a typing, say) land before the books are closed.
                await asyncio.sleep(0.5)
                wall = time.monotonic() - wall0
                bot_cpu = proc_cpu(process.pid) - bot_cpu0
                fakes_cpu = time.process_time() - fakes_cpu0
                peak = proc_peak_kib(process.pid)
                stop.set()
                await watcher
                if profiler is not None:
                    profiler.send_signal(signal.SIGINT)
                    await profiler.wait()
            measured = Measured(bot_cpu, peak, fakes_cpu, wall, lags, timed_out)
            return collect(size, conversations, discord_fake, llm, first_request, measured=measured)
