"""What model requests may cost: every request carries the output cap, and the receipt
reader's tokens count in the conversation's usage and the customer's daily budget."""

from __future__ import annotations

from bot.engine import copy
from bot.engine.events import Notice, TurnEnded
from bot.store import Attachment
from fakes.openai_server import Call, Reply, Structured, ToolCalls
from tests.conftest import CHAT_MODEL, VISION_MODEL, engine_harness
from tests.engine.test_engine import RECEIPT, run
from tests.tools.test_images import image_bytes


def receipt_photo(tmp_path) -> Attachment:
    """A JPEG the customer attached, as the console delivers it."""
    data = image_bytes("JPEG")
    photo = tmp_path / "receipt.jpg"
    photo.write_bytes(data)
    return Attachment(photo.as_uri(), "receipt.jpg", "image/jpeg", len(data))


def script_receipt_turn(llm, photo: Attachment, vision_usage: tuple[int, int]) -> None:
    llm.script(
        ToolCalls([Call("analyze_receipt_image", {"image_url": photo.url})]),
        Structured(RECEIPT, usage=vision_usage),
        Reply("Your total was 27.24 EUR."),
    )


async def test_every_model_request_carries_the_output_cap(llm, tmp_path):
    """Chat and vision requests send `max_completion_tokens`: 1024 by default, else
    MAX_OUTPUT_TOKENS."""
    photo = receipt_photo(tmp_path)
    async with engine_harness(llm, tmp_path / "default.sqlite3") as harness:
        script_receipt_turn(llm, photo, (10, 20))
        await run(harness, "console:cap", "Here", images=[photo])
    async with engine_harness(llm, tmp_path / "set.sqlite3", max_output_tokens=300) as harness:
        script_receipt_turn(llm, photo, (10, 20))
        await run(harness, "console:cap", "Here", images=[photo])
    sent = [(r["model"], r.get("max_completion_tokens")) for r in llm.requests]
    assert sent == [
        (CHAT_MODEL, 1024),
        (VISION_MODEL, 1024),
        (CHAT_MODEL, 1024),
        (CHAT_MODEL, 300),
        (VISION_MODEL, 300),
        (CHAT_MODEL, 300),
    ]
    assert all("max_tokens" not in r for r in llm.requests)


async def test_vision_tokens_are_stored_and_count_in_the_daily_budget(llm, tmp_path):
    """The receipt reader's prompt, cached and completion tokens are a usage row of the
    conversation, and the customer's next message is over a budget only they exceed."""
    photo = receipt_photo(tmp_path)
    async with engine_harness(
        llm, tmp_path / "db.sqlite3", daily_tokens_per_customer=1000
    ) as harness:
        script_receipt_turn(llm, photo, (1500, 300))
        conversation, _ = await run(harness, "console:vision", "Here", images=[photo])
        usage = await harness.store.usage_for_conversation(conversation.id)
        _, events = await run(harness, "console:vision", "and the fee?")
    rows = sorted((u.model, u.prompt_tokens, u.completion_tokens, u.total_tokens) for u in usage)
    assert rows == sorted([(VISION_MODEL, 1500, 300, 1800), (CHAT_MODEL, 20, 40, 60)])
    # Chat alone (60 tokens) is far under 1000: only the vision tokens put it over.
    assert Notice(copy.OVER_DAILY_BUDGET) in events
    assert not any(isinstance(e, TurnEnded) for e in events)
    assert len(llm.requests) == 3
