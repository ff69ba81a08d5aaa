"""`python -m bench.retrieval`: how well the help center finds the article a customer needs.

Each question of tests/helpcenter/help_center_questions.json names the article that answers
it, or null when the help center has no answer. Prints hit@1 and hit@3 over the questions
with an answer, and the share of no-answer questions for which the search returns nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.helpcenter import query as help_query
from bot.helpcenter.index import MIN_COVERAGE, HelpCenter
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "helpcenter" / "help_center_questions.json"


@dataclass(frozen=True)
class Outcome:
    """One question, its expected article and what the search returned."""

    question: str
    expected: str | None
    found: list[tuple[str, float]]


async def evaluate(
    questions: list[dict[str, str | None]], *, min_coverage: float, location: str = ":memory:"
) -> list[Outcome]:
    """Run every question through a fresh index of the packaged help center (in a SQLite
    database in memory, or the empty PostgreSQL database `location` names)."""
    async with Store.open(location) as store:
        help_center = HelpCenter(store, min_coverage=min_coverage)
        await help_center.refresh()
        outcomes = []
        for item in questions:
            question = str(item["question"])
            matches = await help_center.search(question, limit=3)
            outcomes.append(
                Outcome(question, item["article"], [(m.path, m.score) for m in matches])
            )
        return outcomes


def share(part: int, whole: int) -> str:
    """A percentage with its fraction."""
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "n/a (0/0)"


def report(outcomes: list[Outcome], out: TextIO, *, verbose: bool) -> None:
    """The three figures, and with --verbose every question that missed."""
    answerable = [o for o in outcomes if o.expected is not None]
    unanswerable = [o for o in outcomes if o.expected is None]
    first = sum(1 for o in answerable if o.found[:1] and o.found[0][0] == o.expected)
    top3 = sum(1 for o in answerable if o.expected in [path for path, _ in o.found[:3]])
    silent = sum(1 for o in unanswerable if not o.found)
    out.write(
        f"questions: {len(outcomes)} ({len(answerable)} with an answer,"
        f" {len(unanswerable)} without)\n"
    )
    out.write(f"hit@1: {share(first, len(answerable))}\n")
    out.write(f"hit@3: {share(top3, len(answerable))}\n")
    out.write(f"no-answer questions returning nothing: {share(silent, len(unanswerable))}\n")
    if verbose:
        for o in outcomes:
            top = o.found[0][0] if o.found else None
            if top != o.expected:
                found = ", ".join(f"{path} {score:.2f}" for path, score in o.found) or "nothing"
                out.write(f"  miss: {o.question!r} expected {o.expected}, got {found}\n")


def main(argv: list[str] | None = None) -> int:
    """Evaluate and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--min-coverage", type=float, default=MIN_COVERAGE)
    parser.add_argument("--no-thesaurus", action="store_true", help="without synonyms")
    parser.add_argument("--no-spelling", action="store_true", help="without typo repair")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument(
        "--database-url",
        default=":memory:",
        help="an empty PostgreSQL database (or schema) to index in, instead of SQLite",
    )
    args = parser.parse_args(argv)
    # Ablations for the README: what each aid adds over plain BM25 (this process only).
    if args.no_thesaurus:
        help_query.SYNONYMS.clear()
        help_query.PHRASES.clear()
    if args.no_spelling:
        help_query.Speller.correct = lambda self, word: None  # type: ignore[method-assign]
    questions = json.loads(args.questions.read_text("utf-8"))
    started = time.perf_counter()
    outcomes = asyncio.run(
        evaluate(questions, min_coverage=args.min_coverage, location=args.database_url)
    )
    elapsed = time.perf_counter() - started
    report(outcomes, sys.stdout, verbose=args.verbose)
    per_question = elapsed / max(1, len(outcomes)) * 1000
    print(
        f"relevance threshold: a passage speaks of >= {args.min_coverage:.0%} of the question;"
        f" {per_question:.1f} ms per question"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
