"""Idempotency keys of retried and new calls, the circuit breaker, and the action requests in
`export` and `forget`."""

from __future__ import annotations

from fakes.openai_server import Call, Reply, ToolCalls
from tests.tools.actions.harness import terminal, tool_results

REDELIVER = {"order_id": "A17", "reason": "it never came"}


async def test_a_retried_call_keeps_its_idempotency_key(llm, api, store_location):
    """A redelivery that times out is retried with the same key; the same request in a new
    turn is a new call with a new key."""
    api.faults = [("delay", 1.0)]
    llm.script(
        ToolCalls([Call("request_redelivery", REDELIVER)]),
        ToolCalls([Call("request_redelivery", REDELIVER)]),
        Reply("Your order will be sent again."),
        ToolCalls([Call("request_redelivery", REDELIVER)]),
        Reply("Requested once more."),
    )
    typed = "my order never came\ny\nit still never came\ny\nexit\n"
    async with terminal(llm, api, store_location, typed, timeout=0.3) as t:
        await t.chat()
    keys = [r.headers["Idempotency-Key"] for r in api.seen("POST")]
    assert len(keys) == 3
    assert keys[0] == keys[1]
    assert keys[2] != keys[0]
    assert tool_results(llm)[0].startswith("Error: request_redelivery failed: no answer")


async def test_repeated_failures_stop_offering_the_tool(llm, api, store_location):
    """Three 500s of one operation: the next request to the model no longer offers it."""
    api.faults = [("status", 500)] * 3
    llm.script(
        ToolCalls([Call("get_order", {"order_id": "A17"})]),
        ToolCalls([Call("get_order", {"order_id": "A18"})]),
        ToolCalls([Call("get_order", {"order_id": "A19"})]),
        Reply("Our order system is down; shall I get you a person?"),
    )
    async with terminal(llm, api, store_location, "where is my order\nexit\n") as t:
        await t.chat()
    offered = [{t["function"]["name"] for t in body["tools"]} for body in llm.requests]
    assert all("get_order" in names for names in offered[:3])
    assert "get_order" not in offered[3]
    assert "list_recent_orders" in offered[3]


async def test_export_and_forget_include_the_action_requests(llm, api, store_location):
    """The export holds each action request (operation, arguments, status, who confirmed);
    forgetting the customer deletes them."""
    llm.script(
        ToolCalls([Call("cancel_order", {"order_id": "A18"})]),
        Reply("Cancelled."),
    )
    async with terminal(llm, api, store_location, "cancel A18\ny\nexit\n") as t:
        await t.chat()
        exported = await t.store.export_customer("console")
        (action,) = exported["conversations"][0]["action_requests"]
        assert action["operation"] == "cancel_order"
        assert action["arguments"] == {"order_id": "A18"}
        assert (action["status"], action["http_status"], action["confirmed_by"]) == (
            "done",
            200,
            "console",
        )
        conversation = await t.store.get_conversation("console:orders")
        await t.store.forget_customer("console")
        assert await t.store.actions_for_conversation(conversation.id) == []
        assert (await t.store.export_customer("console"))["conversations"] == []
