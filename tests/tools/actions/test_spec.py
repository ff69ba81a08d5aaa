"""ACTIONS_SPEC at start: what becomes a tool, and a document that cannot be used stopping the
start with one line naming the problem; `check` lists the operations."""

from __future__ import annotations

import io

import pytest

from bot.app.compose import action_tools
from bot.commands.check import check_actions
from bot.config import ConfigError, Settings
from fakes.orders_api import SPEC

GOOD = """
openapi: 3.0.3
servers: [{url: "https://api.example.com/v1"}]
paths:
  /things/{id}:
    get:
      operationId: get_thing
      summary: Get a thing
      parameters:
        - {name: id, in: path, required: true, schema: {$ref: "#/components/schemas/Id"}}
components:
  schemas:
    Id: {type: string, nullable: true}
"""


def settings(path, **extra) -> Settings:
    return Settings(_env_file=None, actions_spec=path, **extra)  # type: ignore[call-arg]


def test_the_example_document_becomes_tools():
    """Each operationId is a tool; `$ref`s resolved; cancel and the other POSTs are
    consequential, the lookups not; the base URL is the document's server."""
    tools = action_tools(settings(SPEC))
    assert {t.name: t.consequential for t in tools} == {
        "list_recent_orders": False,
        "get_order": False,
        "cancel_order": True,
        "report_missing_item": True,
        "request_redelivery": True,
    }
    missing = next(t for t in tools if t.name == "report_missing_item").schema()["function"]
    assert missing["description"].startswith("Report a missing item\n\nRecords an item")
    assert missing["parameters"]["required"] == ["order_id", "item"]
    assert missing["parameters"]["properties"]["item"]["maxLength"] == 100
    assert tools[0].client.base_url == "http://127.0.0.1:8765"


def test_openapi_3_0_nullable_becomes_json_schema(tmp_path):
    path = tmp_path / "api.yaml"
    path.write_text(GOOD)
    (tool,) = action_tools(settings(path))
    assert tool.schema()["function"]["parameters"]["properties"]["id"]["type"] == [
        "string",
        "null",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("openapi: 3.0.0\npaths: {}\n", "no operation with an operationId"),
        ("openapi: [unclosed\n", "is not valid YAML or JSON"),
        ("swagger: '2.0'\n", "is not OpenAPI 3.0 or 3.1"),
        (GOOD.replace("get_thing", "search_help_center"), "has the name of a built-in tool"),
        (GOOD.replace("get_thing", "get thing!"), "cannot be a tool name"),
        (GOOD.replace("{type: string, nullable: true}", "{type: strnig}"), "invalid JSON schema"),
        (GOOD.replace("#/components/schemas/Id", "#/components/schemas/Nope"), "does not resolve"),
    ],
)
def test_a_document_that_cannot_be_used_stops_the_start(tmp_path, text, problem):
    path = tmp_path / "api.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        action_tools(settings(path))
    message = str(raised.value)
    assert message.startswith("bad setting ACTIONS_SPEC: ")
    assert problem in message
    assert "\n" not in message


def test_check_lists_the_operations_marking_the_consequential_ones():
    lines: list[str] = []
    check_actions(settings(SPEC), lambda ok, text: lines.append(f"{ok} {text}"))
    out = io.StringIO("\n".join(lines))
    text = out.getvalue()
    assert "5 operation(s) became tools" in text
    assert "action get_order: GET /orders/{order_id}\n" in text + "\n"
    assert "action cancel_order: POST /orders/{order_id}/cancel [consequential" in text


def test_the_token_is_a_secret_the_logs_mask():
    """ACTIONS_TOKEN is among the values every log line masks."""
    assert "tok-789" in settings(SPEC, actions_token="tok-789").secret_values
