"""Huge and odd questions: the search reads a bounded beginning of them, so it answers at
once and never holds the event loop (timings are measured by `python -m bench.hostile_queries`,
not asserted here)."""

from __future__ import annotations

import random

import pytest

from bot.helpcenter.index import HelpCenter
from bot.helpcenter.query import MAX_QUERY_WORDS, MAX_WORD_CHARS, Speller, query_terms
from bot.store import Store

RANDOM = random.Random(19)


def random_word(length: int) -> str:
    return "".join(RANDOM.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length))


# Each would have the speller build every two-letter deletion of a 5,000-letter word
# (about 12 million strings) or run one query per word: minutes of a blocked event loop.
HUGE_ABOUT_REFUNDS = {
    "a 5,000-letter word": "how do I get a refund " + random_word(5000),
    "50,000 characters of padding": "how do I get a refund " + "please " * 7200,
}
HUGE_ABOUT_NOTHING = {
    "punctuation only": "?!.,;:()[]{}<>\"'`~^*-_=+|\\/" * 1800,
    "emoji and symbols": "🍕🤬👍🏽 ✨ ☃ ﷺ ⁉" * 5000,
    "scripts the articles do not use": "退款 ไม่ได้รับอาหาร возврат Ǆ " * 2000,
    "5,000 made-up words": " ".join(random_word(9) for _ in range(5000)),
}


class CountingSpeller(Speller):
    """A speller that notes every word it is asked to mend."""

    def __init__(self, vocabulary: list[str]) -> None:
        super().__init__(vocabulary)
        self.asked: list[str] = []

    def correct(self, word: str) -> str | None:
        self.asked.append(word)
        return super().correct(word)


@pytest.fixture
async def help_center(tmp_path):
    """The shipped help center, indexed in a fresh SQLite store."""
    async with Store.open(tmp_path / "bot.sqlite3") as store:
        center = HelpCenter(store)
        await center.refresh()
        yield center


@pytest.mark.parametrize("query", HUGE_ABOUT_REFUNDS.values(), ids=HUGE_ABOUT_REFUNDS.keys())
async def test_a_huge_question_is_answered_from_its_beginning(help_center, query):
    """The words at the start still find the refunds article."""
    matches = await help_center.search(query)
    assert [m.path for m in matches][:1] == ["refunds.md"]


@pytest.mark.parametrize("query", HUGE_ABOUT_NOTHING.values(), ids=HUGE_ABOUT_NOTHING.keys())
async def test_a_huge_question_without_words_of_ours_finds_nothing(help_center, query):
    """No error, no result (the tool then says nothing matched)."""
    assert await help_center.search(query) == []


def test_query_terms_are_bounded_whatever_the_question():
    """At most MAX_QUERY_WORDS words, the question's first; a word longer than any an article
    uses is no word; the speller is never asked about one."""

    many = [random_word(8) for _ in range(200)]
    groups = query_terms(" ".join(many), CountingSpeller(["refund"]))
    assert len(groups) == MAX_QUERY_WORDS
    assert [group[0] for group in groups] == many[:MAX_QUERY_WORDS]
    speller = CountingSpeller(["refund"])
    assert query_terms("refnd " + random_word(50_000), speller) == [("refnd", "refund")]
    assert all(len(word) <= MAX_WORD_CHARS for word in speller.asked)
