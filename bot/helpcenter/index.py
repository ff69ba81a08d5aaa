"""The help center: Markdown articles kept indexed in the store, searched by BM25."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.helpcenter.articles import Article, FileState, article_files, read_article
from bot.helpcenter.query import Speller, match_expression, query_terms
from bot.store import Store
from bot.store.knowledge import HelpFile, HelpGap, HelpHit

__all__ = ["ArticleMatch", "HelpCenter", "HelpGap", "IndexChanges"]

log = logging.getLogger(__name__)

DEFAULT_KNOWLEDGE_DIR = Path(__file__).parent / "knowledge"
# The relevance threshold, measured with `python -m bench.retrieval`: a passage that speaks
# of less than this share of the question (its words weighted by rarity) shares only
# common words with it. Unlike a BM25 score, the share does not grow with the folder.
MIN_COVERAGE = 0.2
# How many passages the index hands back before they are grouped by article.
CANDIDATES = 40


@dataclass(frozen=True)
class IndexChanges:
    """What a refresh did to the index."""

    indexed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.indexed or self.removed)


@dataclass(frozen=True)
class ArticleMatch:
    """An article that answers a question, scored by its best passage."""

    path: str
    title: str
    score: float
    passages: tuple[HelpHit, ...]


class HelpCenter:
    """Keeps the index in step with KNOWLEDGE_DIR and answers searches from it."""

    def __init__(
        self,
        store: Store,
        folder: Path | None = None,
        *,
        min_coverage: float = MIN_COVERAGE,
    ) -> None:
        self.store = store
        self.folder = self.folder_of(folder)
        self.min_coverage = min_coverage
        self._lock = asyncio.Lock()
        self._speller: Speller | None = None

    @staticmethod
    def folder_of(setting: Path | None) -> Path:
        """The articles' folder: KNOWLEDGE_DIR, or the help center shipped with the bot."""
        return (setting or DEFAULT_KNOWLEDGE_DIR).resolve()

    async def gaps(self, limit: int) -> list[HelpGap]:
        """The newest questions nothing in the help center answered: articles to write."""
        return await self.store.recent_help_gaps(limit)

    async def refresh(self) -> IndexChanges:
        """Re-index the files that changed since the last look (a stat of each file)."""
        async with self._lock:
            on_disk = await asyncio.to_thread(article_files, self.folder)
            indexed = await self.store.indexed_help_files()
            root = str(self.folder)
            removed = sorted(set(indexed) - set(on_disk))
            changed = sorted(
                path
                for path, state in on_disk.items()
                if (known := indexed.get(path)) is None
                or (known.root, known.mtime_ns, known.size) != (root, state.mtime_ns, state.size)
            )
            if not removed and not changed:
                if self._speller is None:
                    self._speller = await self._build_speller()
                return IndexChanges()
            articles = await asyncio.to_thread(self._read, changed, on_disk)
            removed += [path for path in changed if path not in articles]
            await self.store.reindex_help_files(
                removed=removed,
                indexed=[
                    (
                        HelpFile(path, root, state.mtime_ns, state.size, article.title),
                        article.sections,
                    )
                    for path, (article, state) in articles.items()
                ],
            )
            self._speller = await self._build_speller()
            changes = IndexChanges(tuple(articles), tuple(removed))
            log.info(
                "help center: %d article(s) indexed, %d removed",
                len(changes.indexed),
                len(changes.removed),
            )
            return changes

    def _read(
        self, paths: list[str], states: dict[str, FileState]
    ) -> dict[str, tuple[Article, FileState]]:
        read: dict[str, tuple[Article, FileState]] = {}
        for path in paths:
            article = read_article(self.folder, path)
            if article is not None:
                read[path] = (article, states[path])
        return read

    async def _build_speller(self) -> Speller:
        passages = await self.store.help_passages()
        return Speller.from_texts(f"{p.title}\n{p.heading}\n{p.body}" for p in passages)

    async def search(self, query: str, *, limit: int = 5) -> list[ArticleMatch]:
        """The articles that answer the question best, each with its passages, best first."""
        await self.refresh()
        groups = query_terms(query, self._speller)
        if not groups:
            return []
        terms = [term for group in groups for term in group]
        hits = await self.store.search_help_passages(match_expression(terms), limit=CANDIDATES)
        if not hits:
            return []
        coverage = await self._coverage(groups)
        by_article: dict[str, list[HelpHit]] = {}
        for hit in hits:
            where = (hit.passage.path, hit.passage.position)
            if coverage(where) >= self.min_coverage:
                by_article.setdefault(hit.passage.path, []).append(hit)
        matches = [
            ArticleMatch(path, found[0].passage.title, found[0].score, tuple(found))
            for path, found in by_article.items()
        ]
        matches.sort(key=lambda m: m.score, reverse=True)
        return matches[:limit]

    async def _coverage(self, groups: list[tuple[str, ...]]) -> Callable[[tuple[str, int]], float]:
        """How much of the question a passage speaks of: its words weighted by rarity.

        BM25 ranks well but its scale says little about whether anything answers at all; a
        passage that shares only the question's common words ("order", "app") does not.
        """
        total = await self.store.count_help_passages()
        found = [
            await self.store.help_passages_matching(match_expression(group)) for group in groups
        ]
        weights = [math.log(1 + (total - len(where) + 0.5) / (len(where) + 0.5)) for where in found]
        whole = sum(weights)

        def share(passage: tuple[str, int]) -> float:
            spoken = zip(weights, found, strict=True)
            return sum(weight for weight, where in spoken if passage in where) / whole

        return share
