"""The help center: articles parsed into passages, indexed in SQLite FTS5, kept in step."""

from __future__ import annotations

import os

import pytest

from bot.helpcenter.articles import find_problems, parse_article
from bot.helpcenter.index import DEFAULT_KNOWLEDGE_DIR, HelpCenter
from bot.helpcenter.query import Speller, match_expression, osa_distance, query_terms
from bot.store import Store
from bot.tools.help_center import BUDGET_CHARS, format_passages

REFUNDS = """# Refunds

Refunds are made by our support team after they check a ticket.

## How long a refund takes

Card refunds take 3 to 5 business days. Dashly credit is instant.

## What is not refunded

We cannot refund orders because you changed your mind.
"""

TIPS = """# Tipping your courier

Tips are optional and go in full to your courier.
"""


def write(folder, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


@pytest.fixture
async def store(store_location):
    """A fresh store of each kind: the index is FTS5 on SQLite, tsvector on PostgreSQL."""
    async with Store.open(store_location) as opened:
        yield opened


@pytest.fixture
def articles(tmp_path):
    folder = tmp_path / "knowledge"
    write(folder, "refunds.md", REFUNDS)
    write(folder, "tips/tipping.md", TIPS)
    return folder


def test_an_article_is_split_at_its_headings():
    """The title comes from '# ', each heading starts a passage, the intro is under the title."""
    article = parse_article("refunds.md", REFUNDS)
    assert article.title == "Refunds"
    assert [(s.heading, s.body.split(".")[0]) for s in article.sections] == [
        ("Refunds", "Refunds are made by our support team after they check a ticket"),
        ("How long a refund takes", "Card refunds take 3 to 5 business days"),
        ("What is not refunded", "We cannot refund orders because you changed your mind"),
    ]


def test_headings_inside_code_blocks_do_not_split():
    """A '#' line inside a fenced block is text, not a heading."""
    article = parse_article("x.md", "# X\n\n```\n# not a heading\n```\nafter\n")
    assert len(article.sections) == 1
    assert "# not a heading" in article.sections[0].body


def test_long_sections_are_cut_at_paragraphs():
    """A very long section becomes several passages, none past the limit."""
    paragraphs = "\n\n".join(f"Paragraph {n} " + "word " * 100 for n in range(8))
    article = parse_article("long.md", f"# Long\n\n{paragraphs}\n")
    assert len(article.sections) > 1
    assert all(len(s.body) <= 1500 for s in article.sections)
    assert "".join(s.body for s in article.sections).count("Paragraph") == 8


def test_check_finds_missing_titles_duplicates_and_empty_files():
    """Every kind of problem is named with the files concerned."""
    problems = find_problems(
        [
            parse_article("a.md", REFUNDS),
            parse_article("b.md", REFUNDS.replace("# Refunds", "# Money back")),
            parse_article("c.md", "# Refunds\n\nSomething else entirely.\n"),
            parse_article("d.md", "No heading at all, just text.\n"),
            parse_article("e.md", "  \n"),
            parse_article("f.md", "# Only a title\n"),
        ]
    )
    assert sorted(problems) == sorted(
        [
            "a.md, b.md: same content",
            "a.md, c.md: same title",
            "d.md: no title (start the file with a '# Title' line)",
            "e.md: empty file",
            "f.md: no text under the title",
        ]
    )
    assert find_problems([parse_article("a.md", REFUNDS), parse_article("t.md", TIPS)]) == []


def test_the_shipped_help_center_has_no_problems():
    """The articles shipped with the bot are titled, distinct and non-empty (15 or more)."""
    from bot.helpcenter.articles import article_files, read_article

    found = [read_article(DEFAULT_KNOWLEDGE_DIR, p) for p in article_files(DEFAULT_KNOWLEDGE_DIR)]
    articles = [a for a in found if a is not None]
    assert len(articles) >= 15
    assert find_problems(articles) == []


async def test_search_finds_the_passage_with_title_path_and_score(store, articles):
    """The first search indexes the folder; results name the article and rank its passages."""
    help_center = HelpCenter(store, articles)
    matches = await help_center.search("how long does a refund take to reach my card")
    assert [m.path for m in matches] == ["refunds.md"]
    best = matches[0]
    assert best.title == "Refunds"
    assert best.score > 0
    assert best.passages[0].passage.heading == "How long a refund takes"
    assert "3 to 5 business days" in best.passages[0].passage.body
    tipping = await help_center.search("can I tip the courier")
    assert [(m.path, m.title) for m in tipping] == [("tips/tipping.md", "Tipping your courier")]


async def test_nothing_matches_a_question_the_articles_do_not_cover(store, articles):
    """No common word is enough: an unrelated question finds nothing."""
    help_center = HelpCenter(store, articles)
    assert await help_center.search("do you deliver alcohol") == []
    assert await help_center.search("hello??") == []


async def test_an_edited_article_is_reindexed_on_the_next_search(store, articles):
    """No restart: the next search sees the change, and only the changed file is re-read."""
    help_center = HelpCenter(store, articles)
    assert await help_center.search("vouchers") == []
    write(articles, "refunds.md", REFUNDS + "\n## Vouchers\n\nUsed vouchers come back.\n")
    matches = await help_center.search("vouchers")
    assert [m.path for m in matches] == ["refunds.md"]
    assert matches[0].passages[0].passage.heading == "Vouchers"
    assert not await help_center.refresh()
    write(articles, "tips/tipping.md", TIPS + "\nTips can be changed until pickup.\n")
    changes = await help_center.refresh()
    assert (changes.indexed, changes.removed) == (("tips/tipping.md",), ())


async def test_an_edit_is_seen_even_when_the_size_stays_the_same(store, articles):
    """The modification time alone is enough to notice an edit."""
    help_center = HelpCenter(store, articles)
    await help_center.refresh()
    path = articles / "tips" / "tipping.md"
    stat = path.stat()
    path.write_text(TIPS.replace("optional", "welcomed"), "utf-8")
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    changes = await help_center.refresh()
    assert changes.indexed == ("tips/tipping.md",)
    assert [m.path for m in await help_center.search("are tips welcomed")] == ["tips/tipping.md"]


async def test_added_and_deleted_articles(store, articles):
    """A new file is found; a deleted file's passages are gone from the index."""
    help_center = HelpCenter(store, articles)
    await help_center.refresh()
    write(articles, "allergens.md", "# Allergens\n\nEvery dish lists its allergens.\n")
    (articles / "refunds.md").unlink()
    changes = await help_center.refresh()
    assert changes.indexed == ("allergens.md",)
    assert changes.removed == ("refunds.md",)
    assert await help_center.search("refund take business days") == []
    assert [m.path for m in await help_center.search("allergens in a dish")] == ["allergens.md"]
    assert {p.path for p in await store.help_passages()} == {"allergens.md", "tips/tipping.md"}


async def test_the_index_survives_a_restart_and_follows_a_new_folder(tmp_path, articles):
    """A second start re-reads nothing unchanged; another KNOWLEDGE_DIR replaces the index."""
    database = tmp_path / "index.sqlite3"
    async with Store.open(database) as store:
        assert (await HelpCenter(store, articles).refresh()).indexed
    async with Store.open(database) as store:
        help_center = HelpCenter(store, articles)
        assert not await help_center.refresh()
        assert [m.path for m in await help_center.search("refund")] == ["refunds.md"]
        other = tmp_path / "other"
        write(other, "refunds.md", "# Returns\n\nWe take back unopened drinks.\n")
        moved = HelpCenter(store, other)
        changes = await moved.refresh()
        assert changes.indexed == ("refunds.md",)
        assert changes.removed == ("tips/tipping.md",)
        assert [m.title for m in await moved.search("unopened drinks")] == ["Returns"]


# Raw customer text with FTS5 syntax, SQL and emoji around the word "refund".
HOSTILE_ABOUT_REFUNDS = [
    '"refund',
    'refund"s"',
    "refund NOT card",
    "NEAR(refund card, 2)",
    "(refund",
    "refund*",
    "^refund",
    "refund: card",
    "refund:card",
    "{refund}",
    "refund + card",
    "refund AND OR NOT",
    "🍕🍕🍕 refund 🙏",
    "refund'); --",
]
HOSTILE_ABOUT_NOTHING = [
    "OR",
    "AND AND",
    "*",
    "NEAR",
    '"',
    "",
    "   ",
    "🤬🤬",
    "é à ü ß Ça",
    "a" * 500,
]


@pytest.mark.parametrize("query", HOSTILE_ABOUT_REFUNDS)
async def test_hostile_queries_are_read_as_words(store, articles, query):
    """Quotes, operators, emoji and SQL are never FTS5 syntax: the word still finds refunds."""
    matches = await HelpCenter(store, articles).search(query)
    assert [m.path for m in matches][:1] == ["refunds.md"]


@pytest.mark.parametrize("query", HOSTILE_ABOUT_NOTHING)
async def test_queries_without_words_find_nothing(store, articles, query):
    """Operators alone, punctuation, emoji or nothing at all: no error, no result."""
    assert await HelpCenter(store, articles).search(query) == []


def test_query_terms_are_quoted_words_only():
    """Each term is a quoted word: FTS5 operators arrive as plain (lower-case) words."""
    groups = query_terms('NOT "refund" OR card-payment (NEAR) 🍕')
    terms = [t for group in groups for t in group]
    assert terms[:4] == ["refund", "card", "payment", "near"]
    assert match_expression(["refund", "card"]) == '"refund" OR "card"'
    assert query_terms("hi, what is the ... ?!") == []


def test_misspelt_words_are_mended_from_the_vocabulary():
    """One typo in a short word, two in a long one; known words stay as they are."""
    speller = Speller.from_texts(["Refunds and allergens; your delivery address and courier"])
    assert speller.correct("alergens") == "allergens"
    assert speller.correct("adress") == "address"
    assert speller.correct("dleivery") == "delivery"
    assert speller.correct("refunds") is None
    assert speller.correct("pizza") is None
    assert speller.correct("cat") is None
    assert osa_distance("recieved", "received", 2) == 1


def test_customer_words_reach_the_article_words():
    """Synonyms and phrases: a rider is a courier, money back is a refund."""
    groups = query_terms("my rider wants my money back")
    terms = {t for group in groups for t in group}
    assert {"courier", "refund"} <= terms


async def test_tool_text_keeps_to_the_budget(store, tmp_path):
    """Passages are cut to about 1500 tokens; each keeps its title and path."""
    folder = tmp_path / "big"
    for number in range(6):
        body = "\n\n".join(f"Refund rule {number}.{n}: " + "refund " * 60 for n in range(4))
        write(folder, f"r{number}.md", f"# Refund rules {number}\n\n{body}\n")
    matches = await HelpCenter(store, folder).search("refund rule")
    text = format_passages("refund rule", matches)
    assert len(text) <= BUDGET_CHARS
    assert text.count("## Refund rules") >= 3
    assert "(r0.md)" in text or "(r1.md)" in text


async def test_gaps_are_kept_newest_first(store):
    """Unanswered questions are listed for staff, newest first."""
    conversation = await store.get_or_create_conversation("console:gaps")
    await store.record_help_gap(conversation.id, "do you deliver alcohol?")
    await store.record_help_gap(None, "is the app in Spanish?")
    gaps = await store.recent_help_gaps(10)
    assert [(g.conversation_id, g.query) for g in gaps] == [
        (None, "is the app in Spanish?"),
        (conversation.id, "do you deliver alcohol?"),
    ]
    assert [g.query for g in await store.recent_help_gaps(1)] == ["is the app in Spanish?"]
