"""Receipts in a turn: the image to the vision model and back, typed links refused."""

from __future__ import annotations

import base64
import json

from bot.engine.events import ToolFinished
from bot.store import Attachment
from fakes.openai_server import Call, Reply, Structured, ToolCalls
from tests.conftest import CHAT_MODEL, VISION_MODEL, engine_harness
from tests.engine.test_engine import RECEIPT, run, script_receipt_photo
from tests.tools.test_images import image_bytes


async def test_receipt_goes_to_the_vision_model_as_a_data_url_and_back(harness, llm, tmp_path):
    """The attachment's bytes travel base64; the validated receipt is stored and returned."""
    data = image_bytes("JPEG")
    url = script_receipt_photo(llm, tmp_path, data)
    attachment = Attachment(url, "receipt.jpg", "image/jpeg", len(data))
    conversation, events = await run(harness, "console:receipt", "Here", images=[attachment])
    vision = llm.requests[1]
    assert vision["model"] == VISION_MODEL
    assert vision["response_format"]["type"] == "json_schema"
    image_part = vision["messages"][1]["content"][1]
    assert image_part["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(
        data
    ).decode("ascii")
    result = next(e for e in events if isinstance(e, ToolFinished))
    assert result.ok
    assert json.loads(result.result)["total_in_cents"] == 2724
    receipt = await harness.store.latest_receipt(conversation.id)
    assert receipt is not None
    assert receipt.data == RECEIPT


async def test_a_typed_link_is_refused_and_fetched_by_nobody(harness, llm):
    """A URL the customer typed is not an attachment of the conversation: the tool refuses
    it with an explanation for the model, and no vision request is made."""
    url = "https://example.com/receipt.png"
    llm.script(
        ToolCalls([Call("analyze_receipt_image", {"image_url": url})]),
        Reply("Please attach the photo itself."),
    )
    conversation, events = await run(harness, "console:typed", f"my receipt is at {url}")
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert not finished.ok
    assert "not attached in this conversation" in finished.result
    assert len(llm.requests) == 2  # the two chat requests, no vision request
    assert all(r["model"] == CHAT_MODEL for r in llm.requests)
    assert await harness.store.latest_receipt(conversation.id) is None


async def test_with_allow_image_urls_a_typed_link_goes_to_the_model_but_not_to_a_ticket(
    llm, tmp_path
):
    """ALLOW_IMAGE_URLS=true: the vision model gets the typed https link (the bot does not
    download it), and its reading is not kept as the conversation's receipt."""
    url = "https://example.com/receipt.png"
    llm.script(
        ToolCalls([Call("analyze_receipt_image", {"image_url": url})]),
        Structured(RECEIPT),
        Reply("Read it."),
    )
    async with engine_harness(llm, tmp_path / "db.sqlite3", allow_image_urls=True) as h:
        conversation, _ = await run(h, "console:typed", f"my receipt is at {url}")
        assert await h.store.latest_receipt(conversation.id) is None
    assert llm.requests[1]["messages"][1]["content"][1]["image_url"]["url"] == url


async def test_a_total_that_does_not_add_up_is_pointed_out_to_the_model(harness, llm, tmp_path):
    """The tool says outright when the items do not add up to the printed total."""
    data = image_bytes("JPEG")
    photo = tmp_path / "receipt.jpg"
    photo.write_bytes(data)
    wrong = {**RECEIPT, "total_in_cents": RECEIPT["total_in_cents"] + 300}
    llm.script(
        ToolCalls([Call("analyze_receipt_image", {"image_url": photo.as_uri()})]),
        Structured(wrong),
        Reply("The items come to 27.24 EUR, but you were charged 30.24 EUR."),
    )
    attachment = Attachment(photo.as_uri(), "receipt.jpg", "image/jpeg", len(data))
    _, events = await run(harness, "console:receipt-sum", "Is this right?", images=[attachment])
    result = next(e for e in events if isinstance(e, ToolFinished))
    assert result.result.endswith(
        "Note: the items add up to 27.24 EUR, but the receipt's total is 30.24 EUR."
    )
