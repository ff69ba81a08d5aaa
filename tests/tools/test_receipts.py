"""Receipt summaries for staff: amounts as money, and a warning when items and total disagree."""

from __future__ import annotations

from PIL import Image

from bot.engine.events import ToolFinished
from bot.store import Attachment
from bot.tools import receipts
from bot.tools.receipts import Receipt, money, summarize
from fakes.openai_server import Call, Reply, ToolCalls
from tests.conftest import engine_harness
from tests.engine.test_engine import RECEIPT, run, stored


def test_summary_lists_date_items_and_total():
    """A receipt that adds up is summarised without a warning."""
    summary = summarize(Receipt.model_validate(RECEIPT))
    assert summary.splitlines()[0] == "Date: 2024-05-03"
    assert "Total: 27.24 EUR" in summary
    assert "⚠" not in summary


def test_items_that_do_not_add_up_get_a_warning():
    """When quantity × price over the items differs from the total, staff are warned."""
    data = dict(RECEIPT, total_in_cents=3000)
    summary = summarize(Receipt.model_validate(data))
    assert summary.splitlines()[-1] == "⚠ Items add up to 27.24 EUR, not the total."


def test_money_formats_cents():
    """Cents read as money, negatives included."""
    assert money(2724, "EUR") == "27.24 EUR"
    assert money(5, "USD") == "0.05 USD"
    assert money(-150, "GBP") == "-1.50 GBP"


async def test_a_refused_bomb_is_a_stored_tool_result_and_never_decoded_again(
    llm, tmp_path, monkeypatch
):
    """A picture too large to decode is refused by the tool; the refusal is an ordinary
    tool result in the stored history, so the model tells the customer, and after a restart
    neither recovery nor the next turn decodes the image again (no crash loop)."""
    bomb = tmp_path / "receipt.png"
    Image.new("1", (6000, 6000), 1).save(bomb, format="PNG")  # 36 megapixels, ~40 KB
    url = bomb.as_uri()
    attachment = Attachment(url, "receipt.png", "image/png", bomb.stat().st_size)
    database = tmp_path / "db.sqlite3"
    llm.script(
        ToolCalls([Call("analyze_receipt_image", {"image_url": url})]),
        Reply("That photo is too large for me to read; could you send a smaller one?"),
    )
    async with engine_harness(llm, database) as first:
        conversation, events = await run(first, "console:bomb", "Here", images=[attachment])
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert not finished.ok
    assert "too many pixels" in finished.result
    assert len(llm.requests) == 2  # no vision request

    decoded: list[bytes] = []

    async def spy(data: bytes) -> str:
        decoded.append(data)
        raise AssertionError("the refused image was decoded again")

    monkeypatch.setattr(receipts, "to_data_url_off_loop", spy)
    llm.script(Reply("As I said, the photo was too large."))
    async with engine_harness(llm, database) as second:
        assert await second.engine.recover_cut_turns() == []
        await run(second, "console:bomb", "Did you get my receipt?")
        history = await stored(second, conversation)
    assert decoded == []
    refusal = [m for m in history if m["role"] == "tool"]
    assert len(refusal) == 1
    assert "too many pixels" in refusal[0]["content"]
    resent = llm.requests[-1]["messages"]
    assert any(m["role"] == "tool" and "too many pixels" in m["content"] for m in resent)
