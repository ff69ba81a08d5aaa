"""What the model is offered: each tool's schema, from its function's parameters."""

from __future__ import annotations

import json


def test_tool_schemas_come_from_the_pydantic_models(harness):
    """The parameters offered to the model are the JSON schemas of the argument models that
    `@tool` builds from each function's parameters, exactly as sent (key order included)."""
    from bot.tools.receipts import analyze_receipt_image
    from bot.tools.tickets import create_customer_ticket

    schemas = {s["function"]["name"]: s["function"] for s in harness.engine.agent.tools.schemas()}
    ticket = schemas["create_customer_ticket"]["parameters"]
    assert json.dumps(ticket) == json.dumps(
        {
            "description": "Arguments of create_customer_ticket.",
            "properties": {
                "name": {
                    "description": "The customer's name",
                    "maxLength": 100,
                    "minLength": 1,
                    "title": "Name",
                    "type": "string",
                },
                "issue": {
                    "description": "A clear, complete summary of the problem and what the"
                    " customer wants",
                    "maxLength": 2000,
                    "minLength": 1,
                    "title": "Issue",
                    "type": "string",
                },
            },
            "required": ["name", "issue"],
            "type": "object",
        }
    )
    assert (
        ticket["properties"] == create_customer_ticket.arguments.model_json_schema()["properties"]
    )
    receipt = schemas["analyze_receipt_image"]["parameters"]
    assert (
        receipt["properties"] == analyze_receipt_image.arguments.model_json_schema()["properties"]
    )
    assert schemas["create_customer_ticket"]["description"].startswith("Open a support ticket")
