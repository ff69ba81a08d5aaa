"""Replies split into Discord-sized parts at natural boundaries, never inside code."""

from __future__ import annotations

from bot.frontends.discord.streaming.splitter import DISCORD_LIMIT, split_message


def _fences_balanced(part: str) -> bool:
    return sum(1 for line in part.splitlines() if line.lstrip().startswith("```")) % 2 == 0


def test_short_text_is_one_part():
    """Text within the limit stays whole."""
    assert split_message("hello") == ["hello"]


def test_long_prose_splits_at_paragraphs_and_rejoins_exactly():
    """Parts end at a paragraph break, fit the limit and concatenate to the text."""
    paragraph = ("The courier is on the way. " * 20).strip()
    text = "\n\n".join([paragraph] * 8)
    parts = split_message(text)
    assert len(parts) > 1
    assert all(len(p) <= DISCORD_LIMIT for p in parts)
    assert "".join(parts) == text
    assert all(p.endswith("\n\n") for p in parts[:-1])


def test_without_paragraphs_splits_at_lines_then_words():
    """With no blank lines it cuts after a line; with no lines, after a word."""
    lines = "\n".join(f"line {i} of the order" for i in range(300))
    assert all(p.endswith("\n") for p in split_message(lines)[:-1])
    words = "pizza " * 800
    parts = split_message(words)
    assert all(p.endswith(" ") for p in parts[:-1])
    assert "".join(parts) == words


def test_never_cuts_inside_a_code_block_that_fits():
    """A code block that fits in a message moves whole to the next part."""
    code = "```python\n" + "\n".join(f"x = {i}" for i in range(150)) + "\n```"
    text = "Intro " * 200 + "\n\n" + code + "\n\nDone."
    parts = split_message(text)
    assert any(code in p for p in parts)
    assert all(_fences_balanced(p) for p in parts)
    assert "".join(parts) == text


def test_a_code_block_longer_than_a_message_is_closed_and_reopened():
    """An oversized block is cut at a line, closed, and reopened with its language."""
    code = "```python\n" + "\n".join(f"print({i})" for i in range(700)) + "\n```"
    parts = split_message("See:\n\n" + code)
    assert all(len(p) <= DISCORD_LIMIT for p in parts)
    assert all(_fences_balanced(p) for p in parts)
    assert all(p.startswith("```python\n") for p in parts[2:])
    body = "".join(p.removeprefix("```python\n").removesuffix("```") for p in parts[1:])
    assert body.count("print(") == 700


def test_unbroken_text_is_cut_hard_at_the_limit():
    """A single 4500-character word is cut at exactly 2000 characters."""
    assert [len(p) for p in split_message("a" * 4500)] == [2000, 2000, 500]


def test_earlier_parts_do_not_change_as_the_text_grows():
    """Streaming safety: once a later part exists, the earlier cuts stay put."""
    text = "".join(f"Sentence number {i} about your order.\n" for i in range(400))
    previous: list[str] = []
    for end in range(2100, len(text), 97):
        parts = split_message(text[:end])
        settled = previous[:-1]
        assert parts[: len(settled)] == settled
        previous = parts
    assert len(previous) > 2
