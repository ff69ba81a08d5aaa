"""The tool registry: a plain typed async function is a tool, its arguments checked first."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field

from bot.llm.stream import ToolCallRequest
from bot.llm.tools import ToolRegistry, text, tool


@tool
async def book_table(
    context: str,
    call_id: str,
    guest: Annotated[str, text(20, "Who the table is for")],
    seats: Annotated[int, Field(ge=1, le=12, description="How many seats")] = 2,
) -> str:
    """Book a table at the restaurant."""
    return f"{context} {call_id}: {seats} seats for {guest}"


async def call(arguments: str) -> tuple[str, bool]:
    registry = ToolRegistry([book_table])
    outcome = await registry.dispatch(ToolCallRequest("call_1", "book_table", arguments), "ctx")
    return outcome.content, outcome.ok


def test_the_schema_comes_from_the_functions_parameters():
    """The parameters after the context and the call id are the model's arguments, with
    their constraints, descriptions and defaults; the docstring is the description."""
    assert book_table.schema() == {
        "type": "function",
        "function": {
            "name": "book_table",
            "description": "Book a table at the restaurant.",
            "parameters": {
                "description": "Arguments of book_table.",
                "properties": {
                    "guest": {
                        "description": "Who the table is for",
                        "maxLength": 20,
                        "minLength": 1,
                        "title": "Guest",
                        "type": "string",
                    },
                    "seats": {
                        "default": 2,
                        "description": "How many seats",
                        "maximum": 12,
                        "minimum": 1,
                        "title": "Seats",
                        "type": "integer",
                    },
                },
                "required": ["guest"],
                "type": "object",
            },
        },
    }


async def test_checked_arguments_arrive_as_keyword_arguments():
    """The function gets the context, the call's id and each argument by name (defaults
    filled in, values as validated)."""
    assert await call('{"guest": "Omar"}') == ("ctx call_1: 2 seats for Omar", True)
    assert await call('{"seats": "4", "guest": "Ana"}') == ("ctx call_1: 4 seats for Ana", True)


async def test_arguments_that_do_not_fit_go_back_to_the_model_named():
    """Each problem is named by its argument; the function does not run."""
    assert await call('{"guest": "", "seats": 13}') == (
        "Error: invalid arguments for book_table: guest: String should have at least 1"
        " character; seats: Input should be less than or equal to 12.",
        False,
    )
    assert await call("{}") == (
        "Error: invalid arguments for book_table: guest: Field required.",
        False,
    )


def test_a_function_that_cannot_be_described_is_refused_at_once():
    """No docstring, no context and call id, or an argument without a type: a clear error
    when the tool is declared, not when the model first calls it."""

    async def undocumented(context: str, call_id: str) -> str:
        return ""

    async def no_call_id(context: str) -> str:
        """Has no call id."""
        return ""

    async def untyped(context: str, call_id: str, guest) -> str:
        """Its argument has no type."""
        return ""

    with pytest.raises(ValueError, match="undocumented needs a docstring"):
        tool(undocumented)
    with pytest.raises(ValueError, match="the context and the call id"):
        tool(no_call_id)
    with pytest.raises(ValueError, match="argument guest needs a type"):
        tool(untyped)
