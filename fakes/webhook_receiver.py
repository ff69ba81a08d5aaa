"""A webhook receiver on loopback (aiohttp.web) that answers from a script of behaviours."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# What the receiver does with a request: an HTTP status, or one of these.
DROP = "drop"  # close the connection without answering
HANG = "hang"  # never answer (the sender times out)


@dataclass
class Received:
    """One request as it arrived, and what the receiver did with it."""

    headers: dict[str, str]
    body: str
    outcome: int | str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return str(self.json["type"])

    @property
    def ticket(self) -> int:
        return int(self.json["data"]["ticket"]["number"])

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class WebhookReceiver:
    """Records every POST; answers each with the next scripted behaviour, then `default`."""

    def __init__(self, *, default: int | str = 200) -> None:
        self.default = default
        self.script: list[int | str] = []
        self.received: list[Received] = []
        self.arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()
        self.url = ""

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hooks/{token}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hooks/secret-token-123"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        assert self._runner is not None
        await self._runner.cleanup()

    def accepted(self) -> list[Received]:
        """The requests answered with a 2xx, in order."""
        return [r for r in self.received if isinstance(r.outcome, int) and r.outcome < 300]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.text()
        outcome = self.script.pop(0) if self.script else self.default
        self.received.append(Received(dict(request.headers), body, outcome))
        self.arrived.set()
        if outcome == DROP:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if outcome == HANG:
            await self._release.wait()
            return web.Response(status=500)
        return web.Response(status=int(outcome), text="ok" if int(outcome) < 300 else "no")
