"""The global request budget seen from discord.py: every REST request passes it through
discord.py's own trace seam, and replies past Discord's global limit are updated in turn."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import discord
from aiohttp import web

from bot.frontends.discord.streaming.edit_budget import ChannelLimits, EditBudgets
from bot.frontends.discord.streaming.global_budget import GlobalBudget, Lane
from bot.frontends.discord.streaming.renderer import CURSOR, StreamingReply
from fakes.loopback import serve
from tests.frontends.discord.streaming.test_global_budget import most_in_window


@contextlib.asynccontextmanager
async def api_server(monkeypatch) -> AsyncIterator[list[tuple[str, float]]]:
    """A loopback server standing in for Discord's API; notes each request and when."""
    seen: list[tuple[str, float]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append((f"{request.method} {request.path}", time.monotonic()))
        await asyncio.sleep(0.002)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner, port = await serve(app)
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    try:
        yield seen
    finally:
        await runner.cleanup()


async def test_every_request_goes_through_the_budget_by_discord_pys_trace_seam(monkeypatch):
    """Through aiohttp's trace hooks (discord.py's `http_trace`): requests wait their turn,
    interaction responses are exempt, requests outside the API are not counted, and the
    request a reply's slot paid for passes without being counted twice."""
    budget = GlobalBudget(6, 0.3)
    async with (
        api_server(monkeypatch) as seen,
        aiohttp.ClientSession(trace_configs=[budget.trace_config()]) as session,
    ):
        base = discord.http.Route.BASE

        async def call(method: str, path: str) -> None:
            async with session.request(method, base + path) as response:
                assert response.status == 200

        await asyncio.gather(*(call("POST", f"/channels/1/messages/{n}/threads") for n in range(9)))
        await asyncio.gather(*(call("POST", "/interactions/4/token/callback") for _ in range(10)))
        async with budget.slot(Lane.UPDATE, route=("PATCH", "/channels/5/messages/6")):
            await call("PATCH", "/channels/5/messages/6")
        outside = base.replace("/api/v10", "/attachments")
        async with session.get(outside + "/1/receipt.png") as response:
            assert response.status == 200
    counted = [at for what, at in seen if "/api/v10/" in what and "/interactions/" not in what]
    assert len(counted) == 9 + 1
    assert most_in_window(counted, 0.3) <= 6
    assert budget.granted[Lane.OPENING] == 9  # new conversations' threads: the opening lane
    assert budget.granted[Lane.UPDATE] == 1
    assert budget.granted[Lane.OTHER] == 0
    assert not budget._paid[("PATCH", "/channels/5/messages/6")]


class StubMessage:
    """A sent message that notes its edits."""

    ids = itertools.count(1)

    def __init__(self, channel: StubChannel, content: str) -> None:
        self.id = next(self.ids)
        self.channel = channel
        self.content = content

    async def edit(self, *, content: str, allowed_mentions: discord.AllowedMentions) -> None:
        await self.channel.write(content)
        self.content = content


class StubChannel:
    """A channel of its own per reply, noting every write and when it happened."""

    ids = itertools.count(1)

    def __init__(self, log: list) -> None:
        self.id = next(self.ids)
        self.log = log

    async def write(self, content: str) -> None:
        await asyncio.sleep(0.002)
        self.log.append((self.id, time.monotonic(), content))

    async def send(self, content: str, **kwargs) -> StubMessage:
        await self.write(content)
        return StubMessage(self, content)


async def test_replies_past_the_global_limit_are_updated_in_turn_and_end_exact():
    """Eight replies in eight threads, the global budget the bottleneck: each gets its first
    text at once, about the same number of updates, staleness within a fair share, and its
    exact final text."""
    budgets = EditBudgets(ChannelLimits(edits=100, sends=100), GlobalBudget(10, 0.5))
    log: list = []
    channels = [StubChannel(log) for _ in range(8)]
    replies = [
        StreamingReply(channel, edit_interval=0.05, budget=budgets.for_channel(channel))
        for channel in channels
    ]
    texts = [[] for _ in replies]
    started = time.monotonic()
    for step in range(40):
        for n, reply in enumerate(replies):
            piece = f" r{n}p{step}"
            texts[n].append(piece)
            reply.append(piece)
        await asyncio.sleep(0.025)
    await asyncio.gather(*(reply.finish() for reply in replies))

    assert most_in_window([at for _, at, _ in log], 0.5) <= 10
    writes = Counter(channel_id for channel_id, _, _ in log)
    assert max(writes.values()) - min(writes.values()) <= 2
    for channel, text in zip(channels, texts, strict=True):
        own = [(at, content) for channel_id, at, content in log if channel_id == channel.id]
        assert own[0][0] - started < 0.1  # the first text at once
        assert own[-1][1] == "".join(text)
        assert all("".join(text).startswith(c.removesuffix(CURSOR)) for _, c in own)
        # 8 replies share 20 requests/s: each is shown anew within about 8/20 s.
        gaps = [b - a for (a, _), (b, _) in itertools.pairwise(own)]
        assert max(gaps[:-1], default=0) < 0.8
