"""Tool registry: what the model may call, each call's arguments checked before it runs.

A tool is anything with a name, a JSON schema, a way to check arguments and a way to run:
`@tool` makes one of a plain typed async function, its arguments model (and so its schema)
built from the function's own parameters; tools built at start from a description (an
OpenAPI document) fit the same `Tool` protocol with a schema of their own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from inspect import Parameter, getdoc, signature
from typing import Any, Concatenate, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field, ValidationError, create_model

from bot.llm.stream import ToolCallRequest

log = logging.getLogger(__name__)

ContextT = TypeVar("ContextT")
ContextT_contra = TypeVar("ContextT_contra", contravariant=True)

# A tool's function: the turn's context, the call's id, then the model's arguments.
Handler = Callable[Concatenate[ContextT, str, ...], Awaitable[str]]


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
        """Call the function with the checked arguments as its keyword arguments."""
        return await self.handler(context, call_id, **dict(arguments))


def tool(function: Handler[ContextT]) -> FunctionTool[ContextT]:
    """Make a tool of an async function `(context, call_id, **arguments) -> str`.

    Its name and docstring describe it to the model; the parameters after the context and
    the call id are the arguments, each typed as pydantic would type a field (constraints
    and description in `Annotated[..., Field(...)]`, a default when optional). They make
    the arguments model, and so the JSON schema the model is offered. The annotations are
    evaluated when the tool is declared, so their names must be imported at run time.
    """
    name = function.__name__
    description = getdoc(function)
    if not description:
        raise ValueError(f"tool {name} needs a docstring: it is its description")
    parameters = list(signature(function, eval_str=True).parameters.values())
    if len(parameters) < 2:
        raise ValueError(f"tool {name} needs the context and the call id as its first parameters")
    fields: dict[str, Any] = {}
    for parameter in parameters[2:]:
        if parameter.annotation is Parameter.empty or parameter.kind in (
            Parameter.POSITIONAL_ONLY,
            Parameter.VAR_POSITIONAL,
            Parameter.VAR_KEYWORD,
        ):
            raise ValueError(f"tool {name}: argument {parameter.name} needs a type and a name")
        default = ... if parameter.default is Parameter.empty else parameter.default
        fields[parameter.name] = (parameter.annotation, default)
    model_name = "".join(word.capitalize() for word in name.split("_")) + "Args"
    arguments = create_model(model_name, __doc__=f"Arguments of {name}.", **fields)
    return FunctionTool(name, description, arguments, function)


def text(max_length: int, description: str) -> Any:
    """A tool argument's field: non-empty text of at most `max_length` characters, described
    so to the model (`Annotated[str, text(500, "...")]`)."""
    return Field(min_length=1, max_length=max_length, description=description)


@dataclass(frozen=True)
class ToolOutcome:
    """What a tool call produced: the text the model gets back, and whether it worked."""

    content: str
    ok: bool


def _offered(found: object) -> bool:
    offered = getattr(found, "offered", None)
    return not callable(offered) or bool(offered())


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
        """Every tool offered now, in the chat API's shape: a tool with an `offered()` that
        says no (an action whose circuit breaker is open) is left out for a while."""
        return [t.schema() for t in self._tools.values() if _offered(t)]

    def names(self) -> list[str]:
        """The names of all tools, offered now or not."""
        return list(self._tools)

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
