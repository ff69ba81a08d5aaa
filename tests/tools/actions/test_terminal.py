"""Actions through the terminal chat: lookups, refused arguments, the y/N confirmation, and
failures the model can explain."""

from __future__ import annotations

import json
import logging
import os

from bot.engine.events import Incoming
from fakes.openai_server import Call, Reply, ToolCalls
from fakes.orders_api import TOKEN
from tests.tools.actions.harness import model_saw, terminal, tool_results


async def tool_result_without_request(llm, api, store_location, typed: str) -> str:
    """Chat `typed` in the terminal; no request reaches the API; return the one tool result
    the model was given."""
    async with terminal(llm, api, store_location, typed) as t:
        await t.chat()
    assert api.requests == []
    (result,) = tool_results(llm)
    return result


async def test_a_lookup_answers_from_the_company_api(llm, api, store_location, caplog):
    """get_order reaches the API with the customer's id and the token; the model gets the
    order's JSON, and never the token."""
    caplog.set_level(logging.DEBUG)
    llm.script(
        ToolCalls([Call("get_order", {"order_id": "A17"})]),
        Reply("Your order from Luigi's Pizza is on its way: about 12 minutes."),
    )
    async with terminal(llm, api, store_location, "where is my order A17?\nexit\n") as t:
        printed = await t.chat()
    assert "about 12 minutes" in printed
    (request,) = api.requests
    assert (request.method, request.raw_path) == ("GET", "/orders/A17")
    assert request.headers["X-Discord-User-Id"] == "console"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Idempotency-Key" not in request.headers
    (result,) = tool_results(llm)
    assert json.loads(result)["status"] == "out_for_delivery"
    tools = {t["function"]["name"] for t in llm.requests[0]["tools"]}
    assert {"get_order", "cancel_order", "list_recent_orders", "create_customer_ticket"} <= tools
    assert TOKEN not in model_saw(llm)
    assert TOKEN not in caplog.text


async def test_arguments_the_schema_refuses_make_no_request(llm, api, store_location):
    """A number where the schema wants a string, an unknown property: an error for the model,
    no request."""
    llm.script(
        ToolCalls([Call("get_order", {"order_id": 17, "customer": "someone-else"})]),
        Reply("Could you give me the order number?"),
    )
    result = await tool_result_without_request(
        llm, api, store_location, "where is my order?\nexit\n"
    )
    assert result.startswith("Error: invalid arguments for get_order")
    assert "order_id: 17 is not of type 'string'" in result
    assert "additional properties" in result.lower()


async def test_a_path_value_stays_one_segment(llm, api, store_location):
    """`/` and `..` in a path value are percent-encoded: the request reaches no other path."""
    llm.script(
        ToolCalls([Call("get_order", {"order_id": "../A18/cancel"})]),
        ToolCalls([Call("get_order", {"order_id": ".."})]),
        Reply("I could not find that order."),
    )
    async with terminal(llm, api, store_location, "order ../A18/cancel\nexit\n") as t:
        await t.chat()
    assert [r.raw_path for r in api.requests] == ["/orders/..%2FA18%2Fcancel", "/orders/%2E%2E"]
    assert all(r.method == "GET" for r in api.requests)
    assert api.orders.by_customer["console"][1]["status"] == "preparing"
    assert all("HTTP 404" in r for r in tool_results(llm))


async def test_a_confirmed_cancellation_is_made_once(llm, api, store_location):
    """cancel_order asks y/N; `y` makes one request with an Idempotency-Key, stored with who
    confirmed it."""
    llm.script(
        ToolCalls([Call("cancel_order", {"order_id": "A18"})]),
        Reply("Done: order A18 is cancelled and fully refunded."),
    )
    async with terminal(llm, api, store_location, "cancel A18 please\ny\nexit\n") as t:
        printed = await t.chat()
        conversation = await t.store.get_conversation("console:orders")
        (action,) = await t.store.actions_for_conversation(conversation.id)
    assert "Confirm: Cancel an order\n• Order id: A18\nGo ahead? [y/N]" in printed
    (request,) = api.seen("POST")
    assert request.raw_path == "/orders/A18/cancel"
    assert len(request.headers["Idempotency-Key"]) == 32
    assert api.orders.by_customer["console"][1]["status"] == "cancelled"
    assert (action.status, action.http_status, action.confirmed_by) == ("done", 200, "console")
    assert action.idempotency_key == request.headers["Idempotency-Key"]
    assert json.loads(tool_results(llm)[0])["status"] == "cancelled"


async def test_a_refused_confirmation_makes_no_request(llm, api, store_location):
    """Anything but y is a no: no request, and the model is told the customer cancelled."""
    llm.script(
        ToolCalls([Call("cancel_order", {"order_id": "A18"})]),
        Reply("All right, I left your order as it is."),
    )
    result = await tool_result_without_request(llm, api, store_location, "cancel A18\nn\nexit\n")
    assert result.startswith("The customer pressed Cancel")


async def test_no_answer_in_time_makes_no_request(llm, api, store_location):
    """Nobody answers y/N before the (test-short) deadline: expired, no request."""
    read_end, write_end = os.pipe()
    llm.script(
        ToolCalls([Call("cancel_order", {"order_id": "A18"})]),
        Reply("I did not cancel it, since you did not confirm."),
    )
    stdin = os.fdopen(read_end)
    try:
        async with terminal(llm, api, store_location, stdin=stdin, confirm_seconds=0.3) as t:
            incoming = Incoming(
                "console:late", "console", "terminal user", "cancel A18", opens=True
            )
            [e async for e in t.engine.receive(incoming)]
            conversation = await t.store.get_conversation("console:late")
            (action,) = await t.store.actions_for_conversation(conversation.id)
    finally:
        os.close(write_end)
        stdin.close()
    assert api.requests == []
    assert action.status == "expired"
    assert tool_results(llm)[0].startswith("The customer did not confirm within")


async def test_failures_go_back_to_the_model_as_short_errors(llm, api, store_location):
    """A 500, a timeout and a redirect (not followed): each a short error; the history stays
    valid and the conversation goes on."""
    api.faults = [("status", 500), ("delay", 1.0), ("redirect",)]
    llm.script(
        ToolCalls([Call("get_order", {"order_id": "A17"})]),
        ToolCalls([Call("list_recent_orders", {"limit": 2})]),
        ToolCalls([Call("get_order", {"order_id": "A18"})]),
        Reply("Our order system is having trouble; shall I get you a person?"),
    )
    async with terminal(llm, api, store_location, "where is A17\nexit\n", timeout=0.3) as t:
        await t.chat()
    results = tool_results(llm)
    assert results[0] == "Error: get_order failed: HTTP 500: internal error"
    assert results[1].startswith("Error: list_recent_orders failed: no answer within 0.3 s")
    assert results[2].startswith("Error: get_order failed: HTTP 302")
    assert [r.raw_path for r in api.requests] == ["/orders/A17", "/orders?limit=2", "/orders/A18"]
    assert llm.rejections == []
