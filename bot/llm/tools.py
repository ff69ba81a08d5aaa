"""Tool registry: what the model may call, each call's arguments checked before it runs.

A tool is anything with a name, a JSON schema, a way to check arguments and a way to run:
`FunctionTool` makes one of a typed async function and a pydantic model (its schema comes
from the model); tools built at start from a description (an OpenAPI document) fit the
same `Tool` protocol with a schema of their own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from inspect import getdoc
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from bot.llm.stream import ToolCallRequest

log = logging.getLogger(__name__)

ContextT = TypeVar("ContextT")
ContextT_contra = TypeVar("ContextT_contra", contravariant=True)
ArgsT = TypeVar("ArgsT", bound=BaseModel)

Handler = Callable[[Any, ContextT, str], Awaitable[str]]


class ToolError(Exception):
    """An expected failure of a tool; its message goes back to the model."""


class ArgumentsError(Exception):
    """The model's arguments do not fit the tool's schema; the message says where."""


class Tool(Protocol[ContextT_contra]):
    """What the registry offers the model and dispatches to."""

    @property
    def name(self) -> str:
        """The name the model calls it by."""
        ...

    def schema(self) -> dict[str, Any]:
        """The tool in the chat API's `tools` shape."""
        ...

    def check(self, raw: Any) -> Any:
        """The arguments, checked (ArgumentsError when they do not fit)."""
        ...

    async def run(self, arguments: Any, context: ContextT_contra, call_id: str) -> str:
        """Run with checked arguments; the text the model gets back."""
        ...


@dataclass(frozen=True)
class FunctionTool(Generic[ContextT]):
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

    def check(self, raw: Any) -> BaseModel:
        """The arguments as the pydantic model, or ArgumentsError naming each problem."""
        try:
            return self.arguments.model_validate(raw)
        except ValidationError as exc:
            raise ArgumentsError(
                "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                    for e in exc.errors()
                )
            ) from None

    async def run(self, arguments: Any, context: ContextT, call_id: str) -> str:
        """Call the function."""
        return await self.handler(arguments, context, call_id)


def tool(
    arguments: type[ArgsT],
) -> Callable[[Callable[[ArgsT, ContextT, str], Awaitable[str]]], FunctionTool[ContextT]]:
    """Make a tool of an async function; its name and docstring describe it to the model."""

    def wrap(function: Callable[[ArgsT, ContextT, str], Awaitable[str]]) -> FunctionTool[ContextT]:
        description = getdoc(function)
        if not description:
            raise ValueError(f"tool {function.__name__} needs a docstring: it is its description")
        return FunctionTool(function.__name__, description, arguments, function)

    return wrap


@dataclass(frozen=True)
class ToolOutcome:
    """What a tool call produced: the text the model gets back, and whether it worked."""

    content: str
    ok: bool


class ToolRegistry(Generic[ContextT]):
    """The tools offered to the model, dispatched with validated arguments."""

    def __init__(
        self, tools: Iterable[Tool[ContextT]], *, clean: Callable[[str], str] = str
    ) -> None:
        self._tools = {t.name: t for t in tools}
        # Applied to every result before the model reads it (e.g. defusing imitations of
        # the staff mark in what an API or an article says).
        self._clean = clean

    def schemas(self) -> list[dict[str, Any]]:
        """Every tool in the chat API's shape."""
        return [t.schema() for t in self._tools.values()]

    async def dispatch(self, call: ToolCallRequest, context: ContextT) -> ToolOutcome:
        """Run one call; any failure becomes an error text for the model, never a crash."""
        outcome = await self._dispatch(call, context)
        return ToolOutcome(self._clean(outcome.content), outcome.ok)

    async def _dispatch(self, call: ToolCallRequest, context: ContextT) -> ToolOutcome:
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
            arguments = found.check(raw)
        except ArgumentsError as exc:
            return ToolOutcome(f"Error: invalid arguments for {call.name}: {exc}.", False)
        try:
            return ToolOutcome(await found.run(arguments, context, call.id), True)
        except ToolError as exc:
            return ToolOutcome(f"Error: {exc}", False)
        except Exception:
            log.exception("tool %s failed", call.name)
            return ToolOutcome(f"Error: {call.name} failed unexpectedly; nothing was done.", False)
