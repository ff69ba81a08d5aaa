"""The company's own API as tools (ACTIONS_SPEC): one tool per operationId of an OpenAPI
document, requests that cannot be turned against anyone, the customer's confirmation of
what changes things, and a record of every request.

One concern per module: `spec` reads the document, `schema` makes an operation a tool's
schema, `http` sends the request, `breaker` stops offering a failing operation, `confirm` is
the seam the frontends implement, `tool` puts them together.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.tools.actions.breaker import CircuitBreaker
from bot.tools.actions.confirm import (
    CONFIRM_SECONDS,
    ActionStore,
    ConfirmationPrompt,
    Confirmer,
    Decision,
    Decisions,
    Press,
    Verdict,
    plain_arguments,
    press,
)
from bot.tools.actions.http import TIMEOUT_SECONDS, ActionClient
from bot.tools.actions.schema import MAX_TOOLS, check_tool
from bot.tools.actions.spec import Operation, load_document, spec_error
from bot.tools.actions.tool import ActionTool

__all__ = [
    "CONFIRM_SECONDS",
    "ActionStore",
    "ActionTool",
    "ConfirmationPrompt",
    "Confirmer",
    "Decision",
    "Decisions",
    "Operation",
    "Press",
    "Verdict",
    "load_action_tools",
    "plain_arguments",
    "press",
]


def load_action_tools(
    spec: Path,
    *,
    base_url: str | None,
    token: str | None,
    builtin: Iterable[str],
    timeout: float = TIMEOUT_SECONDS,
    confirm_seconds: float = CONFIRM_SECONDS,
) -> list[ActionTool]:
    """Every operation of the document as a tool; a document that cannot be used raises
    ConfigError naming the problem."""
    document = load_document(spec)
    url = base_url or document.server_url
    if not url or not url.startswith(("http://", "https://")):
        raise spec_error(
            "no usable base URL: set ACTIONS_BASE_URL or give the document an absolute"
            " http(s) `servers` URL"
        )
    names = set(builtin)
    tools: list[ActionTool] = []
    seen: set[str] = set()
    for operation in document.operations:
        if operation.operation_id in seen:
            raise spec_error(f"operationId {operation.operation_id!r} is used twice")
        seen.add(operation.operation_id)
        tool = ActionTool(
            operation,
            ActionClient(url, token, timeout),
            CircuitBreaker(operation.operation_id),
            confirm_seconds=confirm_seconds,
        )
        check_tool(tool.name, tool.schema()["function"]["parameters"], names)
        tools.append(tool)
    if len(tools) + len(names) > MAX_TOOLS:
        raise spec_error(f"{len(tools)} operations: a model takes at most {MAX_TOOLS} tools")
    return tools
