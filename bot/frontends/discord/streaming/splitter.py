"""Splits a reply into Discord messages at natural boundaries, never inside a code block."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

DISCORD_LIMIT = 2000
_FENCE = re.compile(r"^ {0,3}(```+|~~~+)(.*)$")
# What a fence line starts with; a part that starts (mid-line) with it would open a block.
_FENCE_START = re.compile(r" {0,3}(```|~~~)")
# The end of a window that may be the start of such a line, once more text follows.
_FENCE_START_PREFIX = re.compile(r" {0,3}(`{0,2}|~{0,2})")
# A cut this far into the window or later keeps parts from getting needlessly short.
_MIN_FILL = 0.5
# How far back from the limit a hard cut looks for a better place.
_HARD_CUT_BACKOFF = 16


@dataclass(frozen=True)
class _Fence:
    """An open code block: the marker that closes it and the line that reopens it."""

    marker: str
    opener: str


@dataclass
class _Scan:
    """What a window holds: cut positions outside code, and the block open where it ends."""

    outside: list[tuple[int, str]] = field(default_factory=list)
    fence: _Fence | None = None
    first_line_end: int | None = None


def split_message(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    """Parts of at most `limit` characters whose concatenation is the text.

    Cuts fall after a paragraph break, else a line break, else a space, outside code blocks;
    the separator stays at the end of the earlier part. Only a code block too long for one
    message is cut inside, at a line, closed at the end of one part and reopened in the next.
    The cut of a part depends only on the first `limit + 1` characters from where it starts,
    so parts other than the last never change as a streamed text grows.
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
    scan = _scan(window, limit)
    for kind in ("\n\n", "\n", " "):
        good = [end for end, sep in scan.outside if sep == kind and end >= limit * _MIN_FILL]
        if good:
            end = good[-1]
            return text[:end], text[end:]
    if scan.outside:
        end = scan.outside[-1][0]
        return text[:end], text[end:]
    if scan.fence is not None:
        cut = _cut_inside_code(text, window, limit, scan.fence, scan.first_line_end)
        if cut is not None:
            return cut
        end = _hard_cut(window, 1, limit, _starts_no_fence(window))  # marker too long
    elif scan.first_line_end is not None:
        # The only line break is the window's last character (a block may close just
        # before it): cut right before it.
        end = limit
    else:
        end = _hard_cut(window, 1, limit, _starts_no_fence(window))
    return text[:end], text[end:]


def _lines(window: str) -> list[str]:
    """The window's lines, each with its "\\n" if it has one (only "\\n" ends a line)."""
    lines = window.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def _scan(window: str, limit: int) -> _Scan:
    """Cut positions (end of part, separator kind) not inside a code block, and the block
    open at the end of the window's complete lines, if any."""
    scan = _Scan()
    offset = 0
    for line in _lines(window):
        content = line.removesuffix("\n")
        complete = line.endswith("\n")
        line_end = offset + len(line)
        if complete and scan.first_line_end is None:
            scan.first_line_end = line_end
        match = _FENCE.match(content)
        if match:
            if not complete and offset > 0:
                # Cut off by the window: whether it opens or closes a block is not known yet.
                break
            if scan.fence is None:
                scan.fence = _Fence(match[1], content.strip())
            elif _closes(scan.fence, match[1], match[2]):
                scan.fence = None
        elif scan.fence is None:
            for space in re.finditer(" ", content):
                end = offset + space.end()
                if end <= limit and not _may_start_fence(window, end):
                    scan.outside.append((end, " "))
        if scan.fence is None and complete and line_end <= limit:
            blank = content in ("", "\r") and offset > 0
            scan.outside.append((line_end, "\n\n" if blank else "\n"))
        offset = line_end
    return scan


def _starts_no_fence(window: str) -> Callable[[int], bool]:
    """Whether a cut in the middle of a line, outside code, leaves the next part starting
    with something other than a fence line."""
    return lambda at: not _may_start_fence(window, at)


def _may_start_fence(window: str, at: int) -> bool:
    """Whether a part starting at `at`, in the middle of a line, may start with a fence line."""
    if window[at : at + 1] not in (" ", "`", "~"):
        return False
    return bool(_FENCE_START.match(window, at) or _FENCE_START_PREFIX.fullmatch(window, at))


def _closes(fence: _Fence, marker: str, info: str) -> bool:
    """Whether a fence line closes the open block (same character, as long, no info)."""
    return marker[0] == fence.marker[0] and len(marker) >= len(fence.marker) and not info.strip()


def _cut_inside_code(
    text: str, window: str, limit: int, fence: _Fence, first_line_end: int | None
) -> tuple[str, str] | None:
    """Cut a long code block at a line, closing it here and reopening it in the next part.

    The block opens on the window's first line (else there would be a cut outside it). It
    is reopened with its opening line, or with the bare marker if that line is too long to
    repeat; None if even the marker leaves no room to make progress.
    """
    marker = fence.marker
    reopen = fence.opener
    if 2 * (len(reopen) + len(marker) + 2) > limit:
        reopen = marker
    room = limit - len(marker) - 1
    newline = window.rfind("\n", 0, room)
    if first_line_end is not None and newline >= first_line_end:
        end = newline + 1
    else:
        if first_line_end is not None and first_line_end < room:
            low = first_line_end + 1  # inside the first line of code
        else:
            # Inside the opening line itself: keep its marker whole in this part.
            indent = len(window) - len(window.lstrip(" "))
            low = max(len(reopen) + 2, indent + len(marker) + 1)
        if low > room:
            return None

        def keeps_open(end: int) -> bool:
            return _keeps_open(window, end, fence)

        end = _hard_cut(window, low, room, keeps_open)
        if (
            first_line_end is not None
            and first_line_end > len(reopen) + 1
            and not any(map(keeps_open, range(low, room + 1)))
        ):
            # Every cut inside the first line of code would leave a piece of it that closes
            # the block: cut right after the opening line (the code goes to the next part).
            end = first_line_end
    head = text[:end]
    closing = marker if head.endswith("\n") else "\n" + marker
    return head + closing, reopen + "\n" + text[end:]


def _keeps_open(window: str, at: int, fence: _Fence) -> bool:
    """Whether a cut inside a line of code leaves no piece of it a line that closes the block:
    the start of the line ends this part, the rest follows the reopening line in the next."""
    line_start = window.rfind("\n", 0, at) + 1
    line_end = window.find("\n", at)
    pieces = [(window[at:line_end], True) if line_end >= 0 else (window[at:], False)]
    if line_start > 0:  # else it is the opening line, which opens this part's block
        pieces.append((window[line_start:at], True))
    closing_prefix = r" {0,3}(" + re.escape(fence.marker[0]) + r"+\s*)?"
    for piece, complete in pieces:
        match = _FENCE.match(piece)
        if match and _closes(fence, match[1], match[2]):
            return False
        if not complete and re.fullmatch(closing_prefix, piece):
            return False  # cut off by the window: it may still become a closing line
    return True


def _hard_cut(window: str, low: int, high: int, safe: Callable[[int], bool]) -> int:
    """Where to cut inside a line, in low..high: as late as possible where `safe`, and not
    inside a character sequence if that can be helped."""
    candidates = range(high, max(low, high - _HARD_CUT_BACKOFF) - 1, -1)
    allowed = [end for end in candidates if safe(end)]
    whole = [end for end in allowed if _between_characters(window, end)]
    return (whole or allowed or [high])[0]


def _between_characters(window: str, at: int) -> bool:
    """Whether a cut at `at` keeps "\\r\\n", combining marks, ZWJ sequences, emoji modifiers."""
    before, after = window[at - 1], window[at]
    if before == "\r" and after == "\n":
        return False
    if "\u200d" in (before, after) or "\U0001f3fb" <= after <= "\U0001f3ff":
        return False
    return not unicodedata.category(after).startswith("M")
