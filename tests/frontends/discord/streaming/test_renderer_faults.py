"""The streaming renderer under load and faults, through the real discord.py and the fake."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator

import discord
import pytest

from bot.frontends.discord.streaming.edit_budget import KEEP_BUDGETS, ChannelLimits, EditBudgets
from bot.frontends.discord.streaming.rate_window import RateWindow
from bot.frontends.discord.streaming.renderer import CURSOR, StreamingReply
from fakes.discord_server import FakeDiscord
from fakes.openai_server import Reply
from tests.frontends.discord.helpers import bot_messages, open_thread, wait_for_reply

EDITS = r"/channels/\d+/messages/\d+"
SENDS = r"/channels/\d+/messages"
MISSING = "Missing permission"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord enforcing Discord's 5 requests per 5 s on each route and channel."""
    async with FakeDiscord(rate_limit=5, rate_limit_window=5.0) as fake:
        yield fake
        assert fake.violations == []  # a 429 for going over the limit is recorded here
        assert fake.unexpected == []


@pytest.fixture
async def channel(fake: FakeDiscord) -> AsyncIterator[discord.TextChannel]:
    """The support channel as a real discord.py client connected to the fake sees it."""
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    with fake.patch_discord_py():
        async with fake.run_client(client):
            found = client.get_channel(fake.support_channel_id)
            assert isinstance(found, discord.TextChannel)
            yield found


def words(tag: str, count: int) -> list[str]:
    """Chunks of a streamed text: a word each, after a space but the first."""
    return [f"{tag}0", *(f" {tag}{i}" for i in range(1, count))]


def attempts(fake: FakeDiscord, method: str, path: str) -> list[int]:
    """Statuses of the requests made to one route of one channel."""
    return [r.status for r in fake.requests_matching(method, path)]


async def test_replies_side_by_side_keep_to_the_channel_budget(fake, channel):
    """Three replies streaming at once stay within 5 edits per 5 s and all end exact."""
    budgets = EditBudgets()
    replies = [StreamingReply(channel, budget=budgets.for_channel(channel)) for _ in range(3)]
    chunks = [words(tag, 30) for tag in "abc"]
    started = time.monotonic()
    for step in range(30):
        for reply, reply_chunks in zip(replies, chunks, strict=True):
            reply.append(reply_chunks[step])
        await asyncio.sleep(0.1)
    # The channel's edits are spent by now; a new reply still shows its first text at once.
    late = StreamingReply(channel, budget=budgets.for_channel(channel))
    late_at = time.monotonic()
    late.append("Late reply.")
    await fake.wait_for(lambda: len(fake.requests_matching("POST", SENDS)) == 4, timeout=1)
    await asyncio.gather(*(reply.finish() for reply in [*replies, late]))

    sends = fake.requests_matching("POST", SENDS)
    assert [r.at - started for r in sends[:3]] == pytest.approx([0, 0, 0], abs=0.3)
    assert sends[3].at - late_at < 0.3
    edits = fake.edits(channel.id, successful_only=False)
    assert len(edits) >= 5
    for earlier, sixth in zip(edits, edits[5:], strict=False):
        assert sixth.at - earlier.at >= 5.0
    assert [r for r in fake.requests if r.status == 429] == []
    assert bot_messages(fake, channel.id) == [*("".join(c) for c in chunks), "Late reply."]


async def test_intermediate_edits_are_coalesced(fake, channel):
    """Forty chunks in two seconds make a send and a few edits, each a prefix of the text."""
    reply = StreamingReply(channel)
    chunks = words("w", 40)
    for chunk in chunks:
        reply.append(chunk)
        await asyncio.sleep(0.05)
    await reply.finish()
    text = "".join(chunks)
    writes = fake.requests_matching("*", f"{SENDS}(/\\d+)?")
    assert 2 <= len(writes) <= 4 < len(chunks)
    contents = [w.json["content"] for w in writes]
    assert all(text.startswith(c.removesuffix(CURSOR)) for c in contents)
    assert all(b.at - a.at >= 0.99 for a, b in itertools.pairwise(writes))
    assert contents[-1] == text
    assert bot_messages(fake, channel.id) == [text]


@pytest.mark.parametrize(("status", "times"), [(503, 3), (500, 1)])
async def test_a_failed_final_edit_is_retried_until_it_lands(fake, channel, status, times):
    """A 5xx on the final edit is retried with backoff (discord.py only retries some 5xx)."""
    reply = StreamingReply(channel, retry_backoff=0.05)
    reply.append("Your refund")
    await fake.wait_for(lambda: bot_messages(fake, channel.id) == ["Your refund" + CURSOR])
    reply.append(" is on its way.")
    fake.inject_error("PATCH", EDITS, status, times=times)
    await reply.finish()
    assert bot_messages(fake, channel.id) == ["Your refund is on its way."]
    patches = fake.requests_matching("PATCH", EDITS)
    assert [r.status for r in patches] == [status] * times + [200]
    assert {r.json["content"] for r in patches} == {"Your refund is on its way."}


async def test_a_retried_send_posts_once(fake, channel):
    """A reply whose only write is its final send survives 503s without posting twice."""
    reply = StreamingReply(channel, retry_backoff=0.05)
    reply.append("Short answer.")
    fake.inject_error("POST", SENDS, 503, times=2)
    messages = await reply.finish()
    assert bot_messages(fake, channel.id) == ["Short answer."]
    assert [m.content for m in messages] == ["Short answer."]
    assert attempts(fake, "POST", SENDS) == [503, 503, 200]
    nonces = {r.json["nonce"] for r in fake.requests_matching("POST", SENDS)}
    assert len(nonces) == 1


async def test_a_final_text_that_never_lands_is_raised(fake, channel):
    """After the bounded tries the error reaches the caller, who logs it."""
    reply = StreamingReply(channel, final_attempts=3, retry_backoff=0.05)
    reply.append("Hello")
    fake.inject_error("POST", SENDS, 503, times=10)
    with pytest.raises(discord.DiscordServerError):
        await reply.finish()
    assert attempts(fake, "POST", SENDS) == [503, 503, 503]


async def test_a_missing_permission_is_logged_once_per_channel(fake, channel, caplog):
    """Refused edits in two replies give one clear log line, no exception, no retry storm."""
    caplog.set_level(logging.WARNING)
    budgets = EditBudgets()
    replies = [StreamingReply(channel, budget=budgets.for_channel(channel.id)) for _ in range(2)]
    fake.inject_error("PATCH", EDITS, 403, times=100)
    for step in range(15):
        for reply in replies:
            reply.append(f" part{step}" if step else "part0")
        await asyncio.sleep(0.1)
    await asyncio.gather(*(reply.finish() for reply in replies))
    lines = [r.getMessage() for r in caplog.records if MISSING in r.getMessage()]
    assert lines == [
        f"Missing permission Send Messages in channel {channel.id}: "
        "Missing Permissions (error code 50013)"
    ]
    assert bot_messages(fake, channel.id) == ["part0" + CURSOR] * 2
    # One refused intermediate edit per reply, then one last try when it finishes.
    assert attempts(fake, "PATCH", EDITS) == [403] * 4


async def test_a_passing_refusal_still_lets_the_final_text_land(fake, channel, caplog):
    """One refused edit is logged; the finish tries once more and the text lands."""
    reply = StreamingReply(channel)
    reply.append("Checking")
    await fake.wait_for(lambda: bot_messages(fake, channel.id) == ["Checking" + CURSOR])
    fake.inject_error("PATCH", EDITS, 403)
    reply.append(" your order")
    await asyncio.sleep(1.2)
    reply.append(" now.")
    await reply.finish()
    assert bot_messages(fake, channel.id) == ["Checking your order now."]
    assert attempts(fake, "PATCH", EDITS) == [403, 200]
    assert sum(MISSING in r.getMessage() for r in caplog.records) == 1


async def test_a_refused_thread_does_not_crash_the_turn(runner, discord_fake, llm, caplog):
    """Through the whole bot: edits refused in the thread are logged once, the turn ends."""
    caplog.set_level(logging.INFO)
    text = "Let me look into your order and get back to you with the details shortly."
    llm.script(Reply(text, chunk_size=8, delay=0.15))
    discord_fake.inject_error("PATCH", EDITS, 403, times=100)
    async with runner.running() as bot:
        thread_id = await open_thread(discord_fake, discord_fake.add_user("ana"), "Where is it?")
        await discord_fake.wait_for(lambda: len(llm.requests) == 1)
        await discord_fake.wait_for(lambda: not bot.work, timeout=10)
        store = bot.engine.services.store
        conversation = await store.get_conversation(f"discord:{thread_id}")
        assert conversation is not None
        history = await store.load_history(conversation.id)
    assert history[-1].role == "assistant"
    assert history[-1].content == text
    shown = bot_messages(discord_fake, thread_id)
    assert len(shown) == 1
    assert text.startswith(shown[0].removesuffix(CURSOR))
    lines = [r.getMessage() for r in caplog.records if MISSING in r.getMessage()]
    assert lines == [
        f"Missing permission Send Messages in Threads in channel {thread_id}: "
        "Missing Permissions (error code 50013)"
    ]
    assert not [r for r in caplog.records if "could not deliver" in r.getMessage()]


async def test_a_thread_reply_lands_exactly_with_a_shared_budget(runner, discord_fake, llm):
    """The bot's normal path still streams exactly (guards the defaults against regressions)."""
    text = "Your order left the restaurant and is about ten minutes away."
    llm.script(Reply(text, chunk_size=6, delay=0.05))
    async with runner.running():
        thread_id = await open_thread(discord_fake, discord_fake.add_user("li"), "Status?")
        await wait_for_reply(discord_fake, thread_id, [text])


async def test_a_rate_window_admits_its_limit_then_waits():
    """Two per 0.3 s: the third request waits until the first finished 0.3 s ago."""
    window = RateWindow(2, 0.3)
    started = time.monotonic()
    granted: list[float] = []
    for _ in range(3):
        async with window.slot():
            granted.append(time.monotonic() - started)
    assert granted[:2] == pytest.approx([0, 0], abs=0.05)
    assert granted[2] >= 0.3
    async with window.slot() as slot:
        slot.used = False  # no request made: it does not count
    assert not window.idle()
    await asyncio.sleep(0.35)
    assert window.idle()


def test_the_registry_shares_per_channel_and_forgets_idle_budgets():
    """One budget per channel id; idle ones are dropped once there are many."""
    budgets = EditBudgets(ChannelLimits(edits=3, period=1.0))
    assert budgets.for_channel(1) is budgets.for_channel(1)
    assert budgets.for_channel(1) is not budgets.for_channel(2)
    assert budgets.for_channel(1).edits.limit == 3
    budgets.for_channel(2).first_report("missing permission Send Messages")
    for channel_id in range(3, KEEP_BUDGETS + 3):
        budgets.for_channel(channel_id)
    assert len(budgets) < KEEP_BUDGETS
    assert not budgets.for_channel(2).first_report("missing permission Send Messages")
