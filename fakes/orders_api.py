"""A fake of the company's API on loopback (real HTTP): the demo orders API of
examples/orders_api, every request recorded, and faults on demand (a 500, a slow answer, a
redirect) for the next requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from examples.orders_api.server import Orders, make_app

SPEC = Path(__file__).resolve().parent.parent / "examples" / "orders_api" / "openapi.yaml"
TOKEN = "orders-secret-token-123"


@dataclass(frozen=True)
class ApiRequest:
    """One request as the API received it."""

    method: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


class FakeOrdersAPI:
    """The demo orders API, recording requests; `faults` answer the next requests instead."""

    def __init__(self, token: str | None = TOKEN) -> None:
        self.orders = Orders(token=token)
        self.requests: list[ApiRequest] = []
        # Each entry answers one request: ("status", 500), ("delay", seconds), ("redirect",).
        self.faults: list[tuple[Any, ...]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        app = make_app(self.orders)
        app.middlewares.append(self._record)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.requests.append(
            ApiRequest(
                request.method, request.raw_path, dict(request.query), dict(request.headers), body
            )
        )
        if self.faults:
            fault = self.faults.pop(0)
            if fault[0] == "status":
                return web.json_response({"error": "internal error"}, status=fault[1])
            if fault[0] == "delay":
                await asyncio.sleep(fault[1])
            if fault[0] == "redirect":
                raise web.HTTPFound(location="http://127.0.0.1:9/stolen")
        return await handler(request)

    def seen(self, method: str | None = None) -> list[ApiRequest]:
        """The requests received (of one method, if given)."""
        return [r for r in self.requests if method is None or r.method == method]
