"""Receipt summaries for staff: amounts as money, and a warning when items and total disagree."""

from __future__ import annotations

from bot.tools.receipts import Receipt, money, summarize
from tests.engine.test_engine import RECEIPT


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
