"""`python -m bot knowledge search|check`: the help center for operators, offline."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, TextIO

from bot.config import Settings
from bot.helpcenter.articles import article_files, find_problems, read_article
from bot.helpcenter.index import HelpCenter
from bot.store import Store

RESULTS = 5


def add_knowledge_commands(commands: Any) -> None:
    """Add `knowledge search QUERY` and `knowledge check` to the command line."""
    knowledge = commands.add_parser("knowledge", help="search and check the help center")
    actions = knowledge.add_subparsers(dest="action", required=True)
    search = actions.add_parser("search", help="the articles that best answer a question")
    search.add_argument("query", help="the question, as a customer would write it")
    actions.add_parser("check", help="report empty files, missing titles and duplicates")
    knowledge.set_defaults(run=run_knowledge, interactive=True)


def run_knowledge(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run the knowledge command; the exit code says whether all was well."""
    if args.action == "check":
        return check(settings, out)
    return asyncio.run(search(settings, args.query, out))


async def search(settings: Settings, query: str, out: TextIO) -> int:
    """Print path, title and score of the best articles, one a line; nothing if none match."""
    async with Store.open(settings.store_location) as store:
        matches = await HelpCenter(store, settings.knowledge_dir).search(query, limit=RESULTS)
    for match in matches:
        out.write(f"{match.path}\t{match.title}\t{match.score:.2f}\n")
    return 0


def check(settings: Settings, out: TextIO) -> int:
    """Print each problem of the articles on its own line; exit code 1 if there is any."""
    folder = HelpCenter.folder_of(settings.knowledge_dir)
    articles = [
        article
        for path in sorted(article_files(folder))
        if (article := read_article(folder, path)) is not None
    ]
    problems = find_problems(articles)
    for problem in problems:
        out.write(f"{problem}\n")
    if not articles:
        out.write(f"no articles (*.md) in {folder}\n")
        return 1
    if problems:
        return 1
    passages = sum(len(article.sections) for article in articles)
    out.write(f"ok: {len(articles)} articles, {passages} passages in {folder}\n")
    return 0
