"""Splits a reply into Discord messages at natural boundaries, never inside a code block."""

from __future__ import annotations

import re
from dataclasses import dataclass

DISCORD_LIMIT = 2000
_FENCE = re.compile(r"^ {0,3}(```+|~~~+)(.*)$")
# A cut this far into the window or later keeps parts from getting needlessly short.
_MIN_FILL = 0.5


@dataclass(frozen=True)
class _Fence:
    """An open code block: the marker that closes it and the line that reopens it."""

    marker: str
    opener: str


def split_message(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    """Parts of at most `limit` characters whose concatenation is the text.

    Cuts fall after a paragraph break, else a line break, else a space, outside code blocks;
    the separator stays at the end of the earlier part. Only a code block too long for one
    message is cut inside, at a line, closed at the end of one part and reopened in the next.
    The cut of a part depends only on the first `limit` characters from where it starts, so
    parts other than the last never change as a streamed text grows.
    """
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        part, rest = _cut(rest, limit)
        parts.append(part)
    if rest or not parts:
        parts.append(rest)
    return parts


def _cut(text: str, limit: int) -> tuple[str, str]:
    """The first part of `text` and what remains (reopened code block included)."""
    window = text[: limit + 1]
    outside, fence_at = _boundaries_outside_code(window, limit)
    for kind in ("\n\n", "\n", " "):
        positions = [end for end, sep in outside if sep == kind]
        good = [p for p in positions if p >= limit * _MIN_FILL]
        if good:
            end = good[-1]
            return text[:end], text[end:]
    if outside:
        end = outside[-1][0]
        return text[:end], text[end:]
    if fence_at is not None:
        return _cut_inside_code(text, limit, fence_at)
    return text[:limit], text[limit:]


def _boundaries_outside_code(
    window: str, limit: int
) -> tuple[list[tuple[int, str]], _Fence | None]:
    """Cut positions (end of part, separator kind) not inside a code block, and the fence
    open at the end of the window, if any."""
    found: list[tuple[int, str]] = []
    fence: _Fence | None = None
    offset = 0
    for line in window.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        match = _FENCE.match(stripped)
        if match:
            marker = match[1]
            if fence is None:
                fence = _Fence(marker, stripped.strip())
            elif _closes(fence, marker, match[2]):
                fence = None
        elif fence is None:
            for space in re.finditer(" ", stripped):
                end = offset + space.end()
                if 0 < end <= limit:
                    found.append((end, " "))
        line_end = offset + len(line)
        if fence is None and line.endswith("\n") and 0 < line_end <= limit:
            blank_follows = window[line_end : line_end + 1] == "\n"
            kind = "\n\n" if blank_follows and line_end + 1 <= limit else "\n"
            found.append((line_end + 1 if kind == "\n\n" else line_end, kind))
        offset = line_end
    return found, fence


def _closes(fence: _Fence, marker: str, info: str) -> bool:
    """Whether a fence line closes the open block (same character, as long, no info)."""
    return marker[0] == fence.marker[0] and len(marker) >= len(fence.marker) and not info.strip()


def _cut_inside_code(text: str, limit: int, fence: _Fence) -> tuple[str, str]:
    """Cut a long code block at a line, closing it here and reopening it in the next part."""
    room = limit - len(fence.marker) - 1
    end = text.rfind("\n", 0, room) + 1
    if end <= len(fence.opener) + 1:
        end = room
    head = text[:end]
    closing = fence.marker if head.endswith("\n") else "\n" + fence.marker
    return head + closing, fence.opener + "\n" + text[end:]
