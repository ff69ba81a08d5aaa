"""Help-center articles: Markdown files, one article each, split at headings into passages."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.store.knowledge import HelpPassage

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
# A long section is cut at paragraphs so one passage never crowds out the others.
MAX_PASSAGE_CHARS = 1500


@dataclass(frozen=True)
class Article:
    """One Markdown file of the help center, its sections as the index keeps them."""

    path: str
    title: str | None
    text: str
    sections: tuple[HelpPassage, ...]

    @property
    def is_empty(self) -> bool:
        """True when the article holds no text beyond its title."""
        return not any(section.body for section in self.sections)

    def fingerprint(self) -> str:
        """A digest of the text under the title without layout: copies share it, renamed or not."""
        words = " ".join(" ".join(s.body for s in self.sections).split()).casefold()
        return hashlib.sha256(words.encode()).hexdigest()


def parse_article(path: str, text: str) -> Article:
    """Split the text at its headings; the first level-1 heading is the title."""
    title: str | None = None
    heading = ""
    lines: list[str] = []
    sections: list[tuple[str, str]] = []  # (heading, body)
    fence: str | None = None

    def close() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.extend((heading, part) for part in _paragraph_chunks(body))
        lines.clear()

    for line in text.splitlines():
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match[1]
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
        heading_match = None if fence or fence_match else _HEADING.match(line)
        if heading_match is None:
            lines.append(line)
            continue
        close()
        if title is None and len(heading_match[1]) == 1:
            title = heading_match[2].strip()
            heading = title
        else:
            heading = heading_match[2].strip()
    close()
    # Without a title, one is made from the file name.
    shown = title or Path(path).stem.replace("-", " ").replace("_", " ").capitalize()
    passages = tuple(
        # The opening lines under the title speak for the whole article.
        HelpPassage(path, position, shown, under or (title or ""), body)
        for position, (under, body) in enumerate(sections)
    )
    return Article(path, title, text, passages)


def _paragraph_chunks(body: str) -> Iterator[str]:
    """The body itself, or paragraph groups of at most MAX_PASSAGE_CHARS when it is long."""
    if len(body) <= MAX_PASSAGE_CHARS:
        yield body
        return
    chunk: list[str] = []
    size = 0
    for paragraph in re.split(r"\n\s*\n", body):
        if chunk and size + len(paragraph) > MAX_PASSAGE_CHARS:
            yield "\n\n".join(chunk)
            chunk, size = [], 0
        chunk.append(paragraph)
        size += len(paragraph) + 2
    if chunk:
        yield "\n\n".join(chunk)


@dataclass(frozen=True)
class FileState:
    """What a cheap stat says about an article file."""

    mtime_ns: int
    size: int


def article_files(folder: Path) -> dict[str, FileState]:
    """Every Markdown file under the folder by its '/'-separated relative path."""
    found: dict[str, FileState] = {}
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in files:
            if name.endswith(".md") and not name.startswith("."):
                full = Path(directory) / name
                try:
                    state = full.stat()
                except FileNotFoundError:  # deleted while we looked
                    continue
                found[full.relative_to(folder).as_posix()] = FileState(
                    state.st_mtime_ns, state.st_size
                )
    return found


def read_article(folder: Path, path: str) -> Article | None:
    """Read and parse one article; None when it vanished meanwhile."""
    try:
        text = (folder / path).read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    return parse_article(path, text)


def find_problems(articles: list[Article]) -> list[str]:
    """What an operator should fix: empty files, missing titles, duplicates."""
    problems: list[str] = []
    by_title: dict[str, list[str]] = {}
    by_content: dict[str, list[str]] = {}
    for article in sorted(articles, key=lambda a: a.path):
        if not article.text.strip():
            problems.append(f"{article.path}: empty file")
            continue
        if article.title is None:
            problems.append(f"{article.path}: no title (start the file with a '# Title' line)")
        elif article.is_empty:
            problems.append(f"{article.path}: no text under the title")
        if article.title is not None:
            by_title.setdefault(article.title.casefold(), []).append(article.path)
        if not article.is_empty:
            by_content.setdefault(article.fingerprint(), []).append(article.path)
    problems += [f"{', '.join(p)}: same title" for p in by_title.values() if len(p) > 1]
    problems += [f"{', '.join(p)}: same content" for p in by_content.values() if len(p) > 1]
    return problems
