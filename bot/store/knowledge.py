"""The help center's search index and the questions it could not answer.

SQLite searches with FTS5 (BM25, Porter stemming); PostgreSQL with its full-text search (a
weighted tsvector, english stemming, ts_rank). The caller's query is an FTS5 expression of
quoted terms joined by OR, which PostgreSQL's websearch_to_tsquery reads the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.store.database import Database, Row, from_row
from bot.store.records import parse_times

# The terms of the caller's FTS5 expression: each is quoted ("refund" OR "late").
_TERM = re.compile(r'"([^"]+)"')


@dataclass(frozen=True)
class HelpFile:
    """An article file as it was when indexed: enough to notice that it changed."""

    path: str
    root: str
    mtime_ns: int
    size: int
    title: str | None = None


@dataclass(frozen=True)
class HelpPassage:
    """One section of an article, as indexed."""

    path: str
    position: int
    title: str
    heading: str
    body: str


@dataclass(frozen=True)
class HelpHit:
    """A passage that matched a search, with its relevance (higher is better)."""

    passage: HelpPassage
    score: float


@dataclass(frozen=True)
class HelpGap:
    """A question the help center had no answer for."""

    id: int
    conversation_id: int | None
    query: str
    created_at: dt.datetime

    def __post_init__(self) -> None:
        parse_times(self, "created_at")


@dataclass(frozen=True)
class ColumnWeights:
    """BM25 weights of the indexed columns: a word in a title says more than one in a body."""

    title: float = 4.0
    heading: float = 2.0
    body: float = 1.0


class KnowledgeQueries(Database):
    """Index maintenance, BM25 search and the list of unanswered questions."""

    async def indexed_help_files(self) -> dict[str, HelpFile]:
        """Every indexed file by its relative path."""
        rows = await self._all("SELECT path, root, mtime_ns, size, title FROM help_files")
        return {row[0]: from_row(HelpFile, row) for row in rows}

    async def reindex_help_files(
        self,
        *,
        removed: Iterable[str],
        indexed: Sequence[tuple[HelpFile, Sequence[HelpPassage]]],
    ) -> None:
        """Drop removed files and replace changed ones, all in one transaction."""
        async with self._transaction() as db:
            for path in [*removed, *(file.path for file, _ in indexed)]:
                await db.execute("DELETE FROM help_passages WHERE path = ?", (path,))
                await db.execute("DELETE FROM help_files WHERE path = ?", (path,))
            for file, passages in indexed:
                await db.execute(
                    "INSERT INTO help_files (path, root, mtime_ns, size, title)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (file.path, file.root, file.mtime_ns, file.size, file.title),
                )
                await db.execute_many(
                    "INSERT INTO help_passages (path, position, title, heading, body)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(p.path, p.position, p.title, p.heading, p.body) for p in passages],
                )

    async def help_passages(self) -> list[HelpPassage]:
        """Every indexed passage, by article and position."""
        rows = await self._all(
            "SELECT path, position, title, heading, body FROM help_passages ORDER BY path, position"
        )
        return [_passage(row) for row in rows]

    async def search_help_passages(
        self, match: str, *, limit: int, weights: ColumnWeights = ColumnWeights()
    ) -> list[HelpHit]:
        """Passages matching an FTS5 query expression, best first (the caller builds it safely)."""
        if self._db.dialect == "postgres":
            return await self._search_postgres(match, limit=limit, weights=weights)
        # bm25() is lower for better matches; its first two weights are the unindexed columns.
        rows = await self._all(
            "SELECT path, position, title, heading, body,"
            " -bm25(help_passages, 0, 0, ?, ?, ?) AS score"
            " FROM help_passages WHERE help_passages MATCH ? ORDER BY score DESC LIMIT ?",
            (weights.title, weights.heading, weights.body, match, limit),
        )
        return [HelpHit(_passage(row), float(row[5])) for row in rows]

    async def _search_postgres(
        self, match: str, *, limit: int, weights: ColumnWeights
    ) -> list[HelpHit]:
        # ts_rank takes weights for D, C, B, A in [0, 1]: the same ratios, scaled to fit.
        top = max(weights.title, weights.heading, weights.body)
        rank_weights = [weights.body / top, 0.0, weights.heading / top, weights.title / top]
        # ts_rank knows nothing of how rare a word is; BM25 does, and rare words are what
        # tell articles apart. So each term's rank (normalised by 1 + log(length): a long
        # passage does not win by size alone) is weighted by its BM25 idf over the index.
        rows = await self._all(
            "WITH terms AS ("
            "  SELECT DISTINCT plainto_tsquery('english', word) AS query"
            "  FROM unnest(CAST(? AS TEXT[])) AS word),"
            " weighted AS ("
            "  SELECT t.query, ln(1 + (total.n - found.n + 0.5) / (found.n + 0.5)) AS idf"
            "  FROM terms t,"
            "  LATERAL (SELECT count(*) AS n FROM help_passages p WHERE p.document @@ t.query)"
            "   AS found,"
            "  (SELECT count(*) AS n FROM help_passages) AS total"
            "  WHERE numnode(t.query) > 0)"
            " SELECT p.path, p.position, p.title, p.heading, p.body,"
            "  SUM(w.idf * ts_rank(CAST(? AS REAL[]), p.document, w.query, 1)) AS score"
            " FROM help_passages p JOIN weighted w ON p.document @@ w.query"
            " GROUP BY p.path, p.position, p.title, p.heading, p.body"
            " ORDER BY score DESC, p.path, p.position LIMIT ?",
            (_TERM.findall(match), rank_weights, limit),
        )
        return [HelpHit(_passage(row), float(row[5])) for row in rows]

    async def count_help_passages(self) -> int:
        """How many passages the index holds."""
        row = await self._one("SELECT COUNT(*) FROM help_passages")
        return int(row[0]) if row else 0

    async def help_passages_matching(self, match: str) -> set[tuple[str, int]]:
        """The (path, position) of every passage matching an FTS5 query expression."""
        if self._db.dialect == "postgres":
            sql = (
                "SELECT path, position FROM help_passages"
                " WHERE document @@ websearch_to_tsquery('english', ?)"
            )
        else:
            sql = "SELECT path, position FROM help_passages WHERE help_passages MATCH ?"
        rows = await self._all(sql, (match,))
        return {(row[0], int(row[1])) for row in rows}

    async def record_help_gap(self, conversation_id: int | None, query: str) -> None:
        """Remember a question nothing in the help center answered."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO help_gaps (conversation_id, query) VALUES (?, ?)",
                (conversation_id, query),
            )

    async def recent_help_gaps(self, limit: int) -> list[HelpGap]:
        """The newest unanswered questions first."""
        return await self._records(
            HelpGap,
            "SELECT id, conversation_id, query, created_at FROM help_gaps ORDER BY id DESC LIMIT ?",
            (limit,),
        )


def _passage(row: Row) -> HelpPassage:
    """The passage in a row's first five columns (path, position, title, heading, body)."""
    return HelpPassage(row[0], int(row[1]), row[2], row[3], row[4])
