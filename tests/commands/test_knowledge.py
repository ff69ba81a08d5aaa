"""`python -m bot knowledge search|check` as an operator runs them: no LLM, no Discord."""

from __future__ import annotations

import re

import pytest

from fakes.process import clean_env, run_bot

LINE = re.compile(r"^(?P<path>[\w./-]+\.md)\t(?P<title>[^\t]+)\t(?P<score>\d+\.\d\d)$")


def _env(tmp_path, **extra):
    """No XAI_API_KEY and no Discord settings: the help center needs neither."""
    return clean_env(database_path=tmp_path / "bot.sqlite3", **extra)


async def test_search_prints_path_title_and_score_per_line(tmp_path):
    """The best article first, each line beginning with its path; the index is built on use."""
    result = await run_bot(
        "knowledge", "search", "when will i get my refund??", env=_env(tmp_path), cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert 1 <= len(lines) <= 5
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert lines[0].startswith("refunds.md\tRefunds\t")
    scores = [float(m["score"]) for m in parsed if m]
    assert scores == sorted(scores, reverse=True)
    assert (tmp_path / "bot.sqlite3").exists()


@pytest.mark.parametrize(
    "query", ['"refund', "refund NOT OR AND NEAR(card)", "🍕 refund* -- (x)", "NOT", "🤬"]
)
async def test_search_takes_raw_customer_text(tmp_path, query):
    """FTS5 syntax and emoji in the query never make an error."""
    result = await run_bot("knowledge", "search", query, env=_env(tmp_path), cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert all(LINE.match(line) for line in result.stdout.splitlines())
    if "refund" in query:
        assert result.stdout.startswith("refunds.md\t")


async def test_search_prints_nothing_when_nothing_matches(tmp_path):
    """No result line when no article clears the threshold."""
    result = await run_bot(
        "knowledge", "search", "write me a poem about tacos", env=_env(tmp_path), cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    assert result.stdout == ""


async def test_search_follows_knowledge_dir_and_its_edits(tmp_path):
    """KNOWLEDGE_DIR replaces the shipped articles; an edit shows on the next run."""
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "returns.md").write_text("# Returns\n\nUnopened drinks can be returned.\n")
    env = _env(tmp_path, knowledge_dir=folder)
    first = await run_bot("knowledge", "search", "return drinks", env=env, cwd=tmp_path)
    assert first.stdout.startswith("returns.md\tReturns\t"), first.stderr
    (folder / "returns.md").write_text("# Bottle returns\n\nUnopened drinks can be returned.\n")
    second = await run_bot("knowledge", "search", "return drinks", env=env, cwd=tmp_path)
    assert second.stdout.startswith("returns.md\tBottle returns\t"), second.stderr


async def test_check_passes_on_the_shipped_articles(tmp_path):
    """The shipped help center has no problems."""
    result = await run_bot("knowledge", "check", env=_env(tmp_path), cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


async def test_check_reports_problems_with_exit_code_1(tmp_path):
    """Missing title, duplicate title, duplicate content and empty files are each reported."""
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text("# Fees\n\nThe delivery fee is 2 EUR.\n")
    (folder / "b.md").write_text("# Fees\n\nThe service fee is 5%.\n")
    (folder / "c.md").write_text("# Charges\n\nThe delivery fee is 2 EUR.\n")
    (folder / "d.md").write_text("Some text without a title.\n")
    (folder / "e.md").write_text("")
    result = await run_bot(
        "knowledge", "check", env=_env(tmp_path, knowledge_dir=folder), cwd=tmp_path
    )
    assert result.code == 1
    assert sorted(result.stdout.splitlines()) == [
        "a.md, b.md: same title",
        "a.md, c.md: same content",
        "d.md: no title (start the file with a '# Title' line)",
        "e.md: empty file",
    ]


async def test_a_knowledge_dir_that_is_no_folder_is_one_clear_line(tmp_path):
    """A wrong KNOWLEDGE_DIR is named at start, like any bad setting."""
    env = _env(tmp_path, knowledge_dir=tmp_path / "missing")
    result = await run_bot("knowledge", "search", "refund", env=env, cwd=tmp_path)
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: bad setting KNOWLEDGE_DIR:")
