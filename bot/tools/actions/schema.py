"""An operation as the chat API's tool: its name, its description, one JSON schema of its path,
query and body parameters, and the checks the model API would otherwise fail at request time."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from bot.tools.actions.spec import Operation, spec_error

# What OpenAI (and servers copying it) accept as a function's name.
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# OpenAI's documented cap on the number of tools of one request.
MAX_TOOLS = 128
MAX_DESCRIPTION = 1024
# OpenAPI's own words inside schemas that JSON Schema does not know: left out of the tool.
_OPENAPI_ONLY = {"example", "xml", "externalDocs", "discriminator", "nullable"}


def json_schema(node: Any) -> Any:
    """An OpenAPI schema as JSON Schema: 3.0's `nullable` becomes a "null" type, OpenAPI-only
    keywords and `x-` extensions are left out."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: json_schema(value)
        for key, value in node.items()
        if key not in _OPENAPI_ONLY and not key.startswith("x-")
    }
    if node.get("nullable") is True and "type" in converted:
        kinds = converted["type"] if isinstance(converted["type"], list) else [converted["type"]]
        converted["type"] = [*kinds, "null"] if "null" not in kinds else kinds
    return converted


def describe(operation: Operation) -> str:
    """The tool's description: the operation's summary and description."""
    text = "\n\n".join(part for part in (operation.summary, operation.description) if part)
    text = text or f"{operation.method} {operation.path}"
    return text[:MAX_DESCRIPTION]


def parameters_schema(operation: Operation) -> dict[str, Any]:
    """One object schema: path and query parameters, then the JSON body's properties."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    where = f"operation {operation.operation_id}"
    for parameter in operation.parameters:
        if parameter.name in properties:
            raise spec_error(f"{where}: two parameters are named {parameter.name!r}")
        schema = json_schema(parameter.schema) or {"type": "string"}
        if parameter.description and "description" not in schema:
            schema = {**schema, "description": parameter.description}
        properties[parameter.name] = schema
        if parameter.required:
            required.append(parameter.name)
    if operation.body is not None:
        body = json_schema(operation.body)
        for name, schema in (body.get("properties") or {}).items():
            if name in properties:
                raise spec_error(f"{where}: the body property {name!r} has the name of a parameter")
            properties[name] = schema
        if operation.body_required:
            required += [str(n) for n in body.get("required") or []]
    combined: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        combined["required"] = required
    combined["additionalProperties"] = False
    return combined


def check_tool(name: str, schema: dict[str, Any], builtin: set[str]) -> None:
    """Refuse what the model API would refuse, or what would hide a built-in tool."""
    if not TOOL_NAME.fullmatch(name):
        raise spec_error(
            f"operationId {name!r} cannot be a tool name (letters, digits, _ and -, at most 64)"
        )
    if name in builtin:
        raise spec_error(f"operationId {name!r} has the name of a built-in tool")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path) or "the parameters"
        raise spec_error(
            f"operation {name}: invalid JSON schema at {path}: {exc.message}"
        ) from None
