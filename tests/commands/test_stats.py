"""`python -m bot stats [--days N] [--csv FILE]` as a support lead runs it."""

from __future__ import annotations

import csv

import pytest

from bot.store import Store
from fakes.process import clean_env, run_bot
from tests.desk.seeded import seed


async def test_stats_prints_the_figures_and_writes_the_csv(tmp_path):
    """The same figures as /support stats, and one CSV row per conversation."""
    database = tmp_path / "bot.sqlite3"
    async with Store.open(database) as store:
        seeded = await seed(store)
    out = tmp_path / "conversations.csv"
    env = clean_env(
        database_path=database, price_input="2", price_cached_input="0", price_output="0"
    )
    result = await run_bot("stats", "--days", "3", "--csv", str(out), env=env, cwd=tmp_path)
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Support over the last 3 days"
    assert "Conversations: 5" in lines
    assert "Resolved by the assistant: 1 (20%)" in lines
    assert "Handed off to staff: 1 (20%)" in lines
    assert "Satisfaction: 3.00 / 5 from 3 ratings (75% of 4 asked)" in lines
    # PRICE_INPUT=2, the others 0: the cost is the fresh input tokens at $2 per million.
    fresh = (1500 - 400) + (2000 - 1500) + (3000 - 1000)
    assert (
        f"Cost: ${fresh * 2 / 1e6:.4f} in total, ${fresh * 2 / 1e6:.4f} per resolved conversation"
        in lines
    )
    assert lines[-1] == f"5 conversations written to {out}"
    with out.open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    assert [int(r["conversation_id"]) for r in rows] == sorted(
        [seeded.rated_five, seeded.quiet, seeded.ticket, seeded.waiting, seeded.rated_two]
    )
    assert float(rows[0]["cost_usd"]) == (1500 - 400) * 2 / 1e6


async def test_stats_refuses_a_bad_period_and_an_unwritable_file(tmp_path):
    """A bad --days is named; a CSV that cannot be written is an error, the figures shown."""
    env = clean_env(database_path=tmp_path / "bot.sqlite3")
    bad = await run_bot("stats", "--days", "0", env=env, cwd=tmp_path)
    assert bad.code == 2
    assert "at least 1 day" in bad.stderr
    nowhere = tmp_path / "missing" / "out.csv"
    result = await run_bot("stats", "--csv", str(nowhere), env=env, cwd=tmp_path)
    assert result.code == 1
    assert "Conversations: 0" in result.stdout
    assert f"error: could not write {nowhere}" in result.stderr


async def test_outcome_settings_defaults_decimals_and_bad_values(tmp_path, monkeypatch):
    """CSAT_AFTER_MINUTES defaults to 30 and takes decimals; the prices default to 1.25,
    0.20 and 2.50; a bad value is named in one line."""
    from bot.config import ConfigError, Settings, load_settings

    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert defaults.csat_after_minutes == 30
    assert (defaults.price_input, defaults.price_cached_input, defaults.price_output) == (
        1.25,
        0.20,
        2.50,
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CSAT_AFTER_MINUTES", "0.5")
    assert load_settings().csat_after_minutes == 0.5
    monkeypatch.setenv("CSAT_AFTER_MINUTES", "soon")
    with pytest.raises(ConfigError, match=r"^bad setting CSAT_AFTER_MINUTES"):
        load_settings()


async def test_bad_support_hours_stop_the_start_with_one_line(tmp_path):
    """A malformed SUPPORT_HOURS is named at start, without a traceback."""
    env = clean_env(database_path=tmp_path / "bot.sqlite3", support_hours="Mon-Fri 9-18 London")
    result = await run_bot("stats", env=env, cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.strip().startswith("error: bad setting SUPPORT_HOURS:")
    assert "Traceback" not in result.stderr
