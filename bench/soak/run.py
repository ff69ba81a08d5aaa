"""One soak: the fakes, the real bot process (default settings), customers, faults, one
SIGKILL and a restart on the same database, a bounded drain, then the figures."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.scenario import bot_env
from bench.soak.customers import Customer, Sent, Traffic, find_thread
from bench.soak.figures import Figures, Outcomes, outcomes, percentile, stored
from bench.soak.model import SoakModel
from fakes.discord_limits import LimitedDiscord
from fakes.openai_server import FakeLLM
from fakes.process import bot_process

MODEL = "grok-soak"
API_KEY = "xai-soak-key"
# Discord faults: one every 3 to 12 s on a route the bot uses, as (method, path pattern).
FAULT_ROUTES = (
    ("POST", r"/channels/\d+/messages"),
    ("PATCH", r"/channels/\d+/messages/\d+"),
    ("POST", r"/channels/\d+/typing"),
    ("POST", r"/channels/\d+/threads"),
    ("PUT", r"/channels/\d+/thread-members/\d+"),
)
FAULT_STATUSES = (429, 429, 429, 500, 500, 502, 503)


@dataclass(frozen=True)
class Options:
    """How long, how many and how random a soak is."""

    minutes: float = 10.0
    customers: int = 8
    drain: float = 60.0
    seed: int | None = None
    model_fault_rate: float = 0.08


_T0 = time.monotonic()


def _say(text: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f}] {text}", file=sys.stderr, flush=True)


async def _ready(discord_fake: LimitedDiscord, identified: int) -> None:
    """Until the bot has identified (again) and registered its slash commands."""
    await discord_fake.wait_until_identified(timeout=60, count=identified)
    await discord_fake.wait_for(
        lambda: any(
            r.method == "PUT" and r.path.endswith("/commands") and r.status
            for r in discord_fake.requests
        ),
        timeout=60,
    )


async def _discord_faults(discord_fake: LimitedDiscord, rng: random.Random, until: float) -> int:
    """Inject a 429 or a 5xx on a random route now and then; how many were injected."""
    injected = 0
    while time.monotonic() < until:
        await asyncio.sleep(min(rng.uniform(3.0, 12.0), max(0.0, until - time.monotonic())))
        if time.monotonic() >= until:
            break
        method, pattern = rng.choice(FAULT_ROUTES)
        status = rng.choice(FAULT_STATUSES)
        if status == 429:
            discord_fake.inject_429(method, pattern, retry_after=rng.uniform(0.3, 2.0))
        else:
            discord_fake.inject_error(method, pattern, status)
        injected += 1
    return injected


async def soak(options: Options) -> Figures:
    """Run one soak and return its figures."""
    rng = random.Random(options.seed)  # noqa: S311 - traffic, not secrets
    model = SoakModel(random.Random(rng.random()), fault_rate=options.model_fault_rate)  # noqa: S311
    traffic = Traffic()
    seconds = options.minutes * 60
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        workdir = Path(tmp)
        database = workdir / "bot.sqlite3"
        discord_fake = LimitedDiscord()
        async with discord_fake, FakeLLM(models=[MODEL], api_key=API_KEY) as llm:
            llm.set_responder(model)
            discord_fake.warm_up()
            customers = [
                Customer(k, discord_fake.add_user(f"customer{k:03d}"), random.Random(rng.random()))  # noqa: S311
                for k in range(options.customers)
            ]
            # Default settings: only what points the bot at the fakes and its database.
            env = bot_env(discord_fake, llm, database, model=MODEL, api_key=API_KEY)
            log = workdir / "bot.log"
            async with contextlib.AsyncExitStack() as processes:
                first = await processes.enter_async_context(bot_process(env, workdir, log))
                await _ready(discord_fake, 1)
                start = time.monotonic()
                until = start + seconds
                _say(f"soak: {options.customers} customers for {options.minutes:g} min")
                writers = [
                    asyncio.create_task(c.run(discord_fake, traffic, until)) for c in customers
                ]
                faults = asyncio.create_task(_discord_faults(discord_fake, rng, until))
                await asyncio.sleep(seconds * rng.uniform(0.35, 0.65))
                killed_at = time.monotonic() - start
                first.send_signal(signal.SIGKILL)
                await first.wait()
                before = len(traffic.sent)
                _say(f"soak: SIGKILL at {killed_at:.1f} s; restarting on the same database")
                await processes.enter_async_context(bot_process(env, workdir, log))
                with contextlib.suppress(TimeoutError):
                    await _ready(discord_fake, 2)
                down = len(traffic.sent) - before  # sent between the kill and the restart
                _say("soak: restarted")
                await asyncio.gather(*writers)
                injected = await faults
                _say(f"soak: traffic over ({len(traffic.sent)} messages); draining")
                await _drain(discord_fake, model, traffic, options.drain)
                _say("soak: drained; stopping the bot")
            _say("soak: bot stopped; reading its database")
            # The bot has stopped (SIGTERM): its database is read as it left it.
            books = await stored(database, [int(t) for t in discord_fake.threads])
            seen = outcomes(discord_fake, model, traffic.sent, model.seen | books.kept)
            messages = traffic.sent
            answered, noticed, lost = seen.split(messages)
            waits = [seen.answered_at[s.token] - s.sent_at for s in answered]
            return Figures(
                minutes=options.minutes,
                customers=options.customers,
                messages=len(messages),
                answered=len(answered),
                failure_notices=len(noticed),
                lost=len(lost),
                lost_never_stored=sum(1 for s in lost if s.token not in books.kept),
                duplicate_tickets=books.duplicate_tickets,
                tickets=books.tickets,
                invalid_histories=len(books.problems),
                conversations=books.conversations,
                p50_s=percentile(waits, 0.50),
                p95_s=percentile(waits, 0.95),
                max_s=max(waits) if waits else None,
                killed_at_s=round(killed_at, 1),
                sent_while_down=down,
                model_requests=model.requests,
                model_faults=dict(model.faults),
                model_refusals=len(llm.rejections),
                discord_faults=injected,
                discord_429s=discord_fake.bucket_429s + discord_fake.global_429s,
                lost_tokens=[s.token for s in lost],
                problems=books.problems,
                per_message=[_detail(s, seen, start, books.kept) for s in messages],
            )


async def _drain(
    discord_fake: LimitedDiscord, model: SoakModel, traffic: Traffic, seconds: float
) -> None:
    """Wait (at most `seconds`) until every message is answered or given a notice."""
    drain_until = time.monotonic() + seconds
    while time.monotonic() < drain_until:
        _find_threads(discord_fake, traffic)
        if outcomes(discord_fake, model, traffic.sent, model.seen).settled(traffic.sent):
            await asyncio.sleep(3.0)  # a notice may yet be followed by the answer
            break
        await asyncio.sleep(1.0)
    await asyncio.sleep(0.5)  # writes in flight land before the books close
    _find_threads(discord_fake, traffic)


def _find_threads(discord_fake: LimitedDiscord, traffic: Traffic) -> None:
    """The thread of each new conversation whose thread the customer did not see in time."""
    for sent in traffic.sent:
        if not sent.thread_id:
            sent.thread_id = find_thread(discord_fake, sent.token)


def _detail(sent: Sent, seen: Outcomes, start: float, kept: set[str]) -> dict[str, object]:
    """One message's line in the JSON."""
    answered = seen.answered_at.get(sent.token)
    outcome = (
        "answered" if answered is not None else "notice" if sent.token in seen.noticed else "lost"
    )
    return {
        "ref": sent.token,
        "customer": sent.customer,
        "kind": sent.kind,
        "thread": str(sent.thread_id),
        "sent_s": round(sent.sent_at - start, 2),
        "outcome": outcome,
        "stored": sent.token in kept,
        "wait_s": None if answered is None else round(answered - sent.sent_at, 2),
    }
