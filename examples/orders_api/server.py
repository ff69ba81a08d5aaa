"""The demo orders API: aiohttp.web on loopback, sample orders, one customer's orders each.

Every request must name the customer (`X-Discord-User-Id`); a customer seen for the first
time gets two sample orders. With a token, `Authorization: Bearer <token>` is required. A
repeated `Idempotency-Key` gets the first answer again, and changes nothing twice.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CUSTOMER = "X-Discord-User-Id"
IDEMPOTENCY = "Idempotency-Key"
OPEN_STATUSES = ("placed", "preparing")


def sample_orders(order_ids: list[str]) -> list[dict[str, Any]]:
    """Two orders for a new customer: one on its way, one still cooking."""
    first, second = order_ids
    return [
        {
            "id": first,
            "restaurant": "Luigi's Pizza",
            "items": ["2 × Margherita pizza", "1 × Tiramisu"],
            "status": "out_for_delivery",
            "eta_minutes": 12,
        },
        {
            "id": second,
            "restaurant": "Green Bowl",
            "items": ["1 × Falafel bowl", "1 × Lemonade"],
            "status": "preparing",
            "eta_minutes": 35,
        },
    ]


@dataclass
class Orders:
    """The orders of each customer, and the answers already given per Idempotency-Key."""

    token: str | None = None
    by_customer: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    answered: dict[str, tuple[int, Any]] = field(default_factory=dict)
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(17))

    def of(self, customer: str) -> list[dict[str, Any]]:
        if customer not in self.by_customer:
            ids = [f"A{next(self.numbers)}", f"A{next(self.numbers)}"]
            self.by_customer[customer] = sample_orders(ids)
        return self.by_customer[customer]

    def find(self, customer: str, order_id: str) -> dict[str, Any]:
        for order in self.of(customer):
            if order["id"] == order_id:
                return order
        raise web.HTTPNotFound(
            text='{"error": "no such order for this customer"}', content_type="application/json"
        )


def make_app(orders: Orders | None = None) -> web.Application:
    """The orders API as an aiohttp application."""
    state = orders or Orders()
    routes = web.RouteTableDef()

    def customer_of(request: web.Request) -> str:
        if state.token is not None and request.headers.get("Authorization") != (
            f"Bearer {state.token}"
        ):
            raise web.HTTPUnauthorized(
                text='{"error": "bad token"}', content_type="application/json"
            )
        customer = request.headers.get(CUSTOMER, "")
        if not customer:
            raise web.HTTPUnauthorized(
                text='{"error": "X-Discord-User-Id is required"}', content_type="application/json"
            )
        return customer

    async def once(request: web.Request, change: Any) -> web.Response:
        """Make a change once per Idempotency-Key; a repeat gets the first answer."""
        key = request.headers.get(IDEMPOTENCY)
        if key is None:
            return web.json_response({"error": "Idempotency-Key is required"}, status=400)
        if key not in state.answered:
            state.answered[key] = await change()
        status, body = state.answered[key]
        return web.json_response(body, status=status)

    @routes.get("/orders")
    async def list_orders(request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "5"))
        return web.json_response({"orders": state.of(customer_of(request))[:limit]})

    @routes.get("/orders/{order_id}")
    async def get_order(request: web.Request) -> web.Response:
        return web.json_response(state.find(customer_of(request), request.match_info["order_id"]))

    @routes.post("/orders/{order_id}/cancel")
    async def cancel(request: web.Request) -> web.Response:
        order = state.find(customer_of(request), request.match_info["order_id"])

        async def change() -> tuple[int, Any]:
            if order["status"] not in OPEN_STATUSES:
                return 409, {"error": f"already {order['status'].replace('_', ' ')}"}
            order["status"] = "cancelled"
            return 200, {"id": order["id"], "status": "cancelled", "refund": "full"}

        return await once(request, change)

    @routes.post("/orders/{order_id}/missing-items")
    async def missing(request: web.Request) -> web.Response:
        order = state.find(customer_of(request), request.match_info["order_id"])
        body = await request.json()

        async def change() -> tuple[int, Any]:
            order.setdefault("missing", []).append(body)
            return 201, {"id": order["id"], "recorded": body, "refund": "within 3 days"}

        return await once(request, change)

    @routes.post("/orders/{order_id}/redelivery")
    async def redelivery(request: web.Request) -> web.Response:
        order = state.find(customer_of(request), request.match_info["order_id"])

        async def change() -> tuple[int, Any]:
            order["status"] = "redelivery_requested"
            return 201, {"id": order["id"], "status": "redelivery_requested", "eta_minutes": 40}

        return await once(request, change)

    app = web.Application()
    app.add_routes(routes)
    return app
