"""Customer text into a safe FTS5 query: words, no filler, customers' words, typos mended."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# Letters and digits only: quotes, hyphens, parentheses, asterisks and emoji never reach FTS5.
_WORD = re.compile(r"[^\W_]+")

# Bounds that keep a search cheap whatever it is asked (a pasted page, a wall of emoji, a
# 50,000-letter "word"): only the question's beginning is read, words longer than any
# article's are not words, and a question has at most so many words worth searching.
MAX_QUERY_CHARS = 1000
MAX_WORD_CHARS = 40
MAX_QUERY_WORDS = 16

# Words that say nothing about the topic: function words, greetings, chat filler, and
# contractions as customers type them without the apostrophe.
_STOP_WORDS_TEXT = """
    a about above after again against all also am an and any anyone anything are as at be
    because been before being below between both but by can cannot could did do does doing
    done down during each even ever every few for from further get gets getting give go
    going got guys had has have having he her here hers herself him himself his how however i
    if in into is it its itself just let like me mine more most much must my myself need
    needs never no nor not now of off ok okay on once only or other our ours ourselves out over
    own please pls plz really same she should so some something still such than thank
    thanks that the their theirs them themselves then there these they this those through to
    too under until up upon us very want wanted wants was way we were what whats when where
    which while who whom why will with without would yet you your yours yourself yourselves
    hi hello hey dear lol ok yes yeah hmm u ur im ive id dont doesnt didnt cant couldnt wont
    wouldnt isnt arent wasnt werent hasnt havent hadnt shouldnt youre theyre thats theres
    whos lets one two tell know anybody dashly
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# Customers' words for what the help center calls otherwise (a general thesaurus of the
# domain, not a list of test questions): on each line, every word before the colon also
# searches for the words after it.
_SYNONYMS_TEXT = """
    driver drivers rider riders deliverer: courier
    coupon coupons: voucher promo
    promo discount: voucher
    giftcard: gift card
    reimburse reimbursed reimbursement compensation chargeback: refund
    signin logon: login log
    pw pwd passcode: password
    bill: receipt invoice
    invoice: receipt
    erase remove: delete
    unsubscribe newsletter spam: emails
    allergy allergies allergic: allergen
    sick poisoning vomiting: ill unwell
    spilt: spilled
    leaked: leaking
    smashed squashed: crushed damaged
    ruined broken: damaged
    delayed delay waiting: late
    forgot: forgotten
    agent human representative: person
    hotline: phone
    preorder: schedule
    advance: schedule ahead
    subscription: membership
    job hiring: become apply
    postcode: address
    zip: postcode address
"""

# Two-word phrases customers use for one idea (before the colon) and what they search for;
# the words themselves are searched too.
_PHRASES_TEXT = """
    money back: refund
    customer service: support
    customer care: support
    log in: login
    sign in: login
    delivery guy: courier
    delivery person: courier
    gift voucher: gift card
"""


def _table(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The lines of a `words: searched for` table, each side split into its words."""
    return [
        (tuple(words.split()), tuple(searched.split()))
        for words, _, searched in (line.partition(":") for line in text.strip().splitlines())
    ]


SYNONYMS: dict[str, tuple[str, ...]] = {
    word: searched for words, searched in _table(_SYNONYMS_TEXT) for word in words
}
PHRASES: dict[tuple[str, ...], tuple[str, ...]] = dict(_table(_PHRASES_TEXT))


def words(text: str) -> list[str]:
    """The text's words, lower-cased, accents kept (the tokenizer folds them)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def question_words(text: str) -> list[str]:
    """The words of a question as searched: from its first MAX_QUERY_CHARS characters (NFKC
    can make a character many), none longer than MAX_WORD_CHARS."""
    found = words(text[:MAX_QUERY_CHARS])[:MAX_QUERY_CHARS]
    return [word for word in found if len(word) <= MAX_WORD_CHARS]


def osa_distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, substitute, swap neighbours) from a to b; limit+1 once past it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletions(word: str, depth: int) -> set[str]:
    """The word with up to `depth` letters left out (symmetric-delete spelling lookup)."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def allowed_edits(word: str) -> int:
    """How many typos a word of this length may carry and still be recognised."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


class Speller:
    """Mends misspelt query words with the help center's own vocabulary."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.counts = Counter(w for w in vocabulary if not w.isdigit())
        self._by_deletion: dict[str, set[str]] = {}
        for word in self.counts:
            for variant in _deletions(word, allowed_edits(word)):
                self._by_deletion.setdefault(variant, set()).add(word)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Speller:
        """The vocabulary of these texts."""
        return cls(w for text in texts for w in words(text))

    def correct(self, word: str) -> str | None:
        """The closest known word (ties: the commoner), or None if known or nothing is close."""
        limit = allowed_edits(word)
        if word in self.counts or limit == 0 or word.isdigit():
            return None
        candidates = {
            known
            for variant in _deletions(word, limit)
            for known in self._by_deletion.get(variant, ())
        }
        scored = [
            (distance, -self.counts[known], known)
            for known in candidates
            if (distance := osa_distance(word, known, min(limit, allowed_edits(known)))) <= limit
            and distance <= allowed_edits(known)
        ]
        return min(scored)[2] if scored else None


def query_terms(text: str, speller: Speller | None = None) -> list[tuple[str, ...]]:
    """The words worth searching for, each with its mended spelling and customers' synonyms.

    A group stands for one word of the question: the passage that has any of its terms
    speaks of that word. At most MAX_QUERY_WORDS groups, the question's first.
    """
    found = question_words(text)
    alternatives: dict[int, list[str]] = {}
    for index, pair in enumerate(itertools.pairwise(found)):
        for synonym in PHRASES.get(pair, ()):
            alternatives.setdefault(index, []).append(synonym)
            alternatives.setdefault(index + 1, []).append(synonym)
    groups: dict[str, tuple[str, ...]] = {}
    for index, word in enumerate(found):
        if len(word) < 2 or (word in STOP_WORDS and index not in alternatives):
            continue
        if len(groups) >= MAX_QUERY_WORDS and word not in groups:
            break
        mended = speller.correct(word) if speller else None
        group = [] if word in STOP_WORDS else [word]
        if mended is not None and mended not in STOP_WORDS:
            group.append(mended)
        group += SYNONYMS.get(mended or word, ())
        group += alternatives.get(index, ())
        key = group[0]
        groups[key] = tuple(dict.fromkeys([*groups.get(key, ()), *group]))
    return list(groups.values())


def match_expression(terms: Iterable[str]) -> str:
    """An FTS5 query matching any term; each is quoted, so no word acts as an operator."""
    return " OR ".join(f'"{term}"' for term in terms)
