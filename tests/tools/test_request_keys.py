"""Request keys: a tool function's arguments give the key its arguments model gives."""

from __future__ import annotations

from bot.tools.context import SupportContext
from bot.tools.tickets import create_customer_ticket


def test_a_functions_arguments_key_as_their_model_does():
    """The same key from the checked model (how tools asked before) and from the mapping a
    tool function passes, whatever the case, spacing or characters; another issue differs."""
    context = SupportContext(services=None, conversation=None, customer=None, turn="42")
    asked = {"name": "Omar", "issue": '  Cannot LOG in ü\t "again"\u2028\x01'}
    model = create_customer_ticket.check(asked)
    key = context.request_key("create_customer_ticket", asked)
    assert key == context.request_key("create_customer_ticket", model)
    assert key == context.request_key(
        "create_customer_ticket", {"name": "omar", "issue": asked["issue"].upper()}
    )
    assert key.startswith("42:create_customer_ticket:")
    assert key != context.request_key(
        "create_customer_ticket", {"name": "Omar", "issue": "Late order"}
    )
