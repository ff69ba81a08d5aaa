"""Tool registry: pydantic argument models become JSON schemas; dispatch validates."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from inspect import getdoc
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from bot.llm.stream import ToolCallRequest

log = logging.getLogger(__name__)

ContextT = TypeVar("ContextT")
ArgsT = TypeVar("ArgsT", bound=BaseModel)

Handler = Callable[[Any, ContextT, str], Awaitable[str]]


class ToolError(Exception):
    """An expected failure of a tool; its message goes back to the model."""


@dataclass(frozen=True)
class Tool(Generic[ContextT]):
    """A function the model may call: name, description and argument model."""

    name: str
    description: str
    arguments: type[BaseModel]
    handler: Handler[ContextT]

    def schema(self) -> dict[str, Any]:
        """The tool in the chat API's `tools` shape, its parameters from the pydantic model."""
        parameters = self.arguments.model_json_schema()
        parameters.pop("title", None)
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
            },
        }


def tool(
    arguments: type[ArgsT],
) -> Callable[[Callable[[ArgsT, ContextT, str], Awaitable[str]]], Tool[ContextT]]:
    """Make a tool of an async function; its name and docstring describe it to the model."""

    def wrap(function: Callable[[ArgsT, ContextT, str], Awaitable[str]]) -> Tool[ContextT]:
        description = getdoc(function)
        if not description:
            raise ValueError(f"tool {function.__name__} needs a docstring: it is its description")
        return Tool(function.__name__, description, arguments, function)

    return wrap


@dataclass(frozen=True)
class ToolOutcome:
    """What a tool call produced: the text the model gets back, and whether it worked."""

    content: str
    ok: bool


class ToolRegistry(Generic[ContextT]):
    """The tools offered to the model, dispatched with validated arguments."""

    def __init__(self, tools: Iterable[Tool[ContextT]]) -> None:
        self._tools = {t.name: t for t in tools}

    def schemas(self) -> list[dict[str, Any]]:
        """Every tool in the chat API's shape."""
        return [t.schema() for t in self._tools.values()]

    async def dispatch(self, call: ToolCallRequest, context: ContextT) -> ToolOutcome:
        """Run one call; any failure becomes an error text for the model, never a crash."""
        found = self._tools.get(call.name)
        if found is None:
            known = ", ".join(sorted(self._tools)) or "none"
            return ToolOutcome(f"Error: unknown tool {call.name!r}. Known tools: {known}.", False)
        try:
            raw = json.loads(call.arguments or "{}")
        except json.JSONDecodeError as exc:
            return ToolOutcome(
                f"Error: the arguments for {call.name} are not valid JSON ({exc.msg}).", False
            )
        try:
            arguments = found.arguments.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                for e in exc.errors()
            )
            return ToolOutcome(f"Error: invalid arguments for {call.name}: {problems}.", False)
        try:
            return ToolOutcome(await found.handler(arguments, context, call.id), True)
        except ToolError as exc:
            return ToolOutcome(f"Error: {exc}", False)
        except Exception:
            log.exception("tool %s failed", call.name)
            return ToolOutcome(f"Error: {call.name} failed unexpectedly; nothing was done.", False)
