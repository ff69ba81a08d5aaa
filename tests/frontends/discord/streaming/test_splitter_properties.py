"""Properties of the splitter over any text, realistic markdown or not, and any limit >= 20.

Fences are read the way the splitter reads them: a line (split at "\\n" only) of up to three
spaces then three or more backticks or tildes opens a block; inside it, a line of the same
character, at least as long, with nothing but whitespace after, closes it.
"""

from __future__ import annotations

import itertools
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.frontends.discord.streaming.splitter import DISCORD_LIMIT, split_message

_FENCE = re.compile(r"^ {0,3}(```+|~~~+)(.*)$")
_SETTINGS = settings(max_examples=300, deadline=None)

# --- text strategies -----------------------------------------------------------------------

_unicode_bits = st.sampled_from(
    ["é", "e\u0301", "ñ", "中文", "日本語", "😀", "👍🏽", "👩\u200d💻", "🇫🇷", "\u00a0", "ß", "Ω"]
)
_words = st.one_of(
    st.sampled_from(["order", "pizza", "the", "courier", "refund", "a", "is", "on", "way"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8),
    _unicode_bits,
)
_separators = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\r\n", "\r\n\r\n", "\n\n\n"])
_languages = st.sampled_from(["", "python", "js", "json", "bash", " py", "c++ extra info"])
_markers = st.sampled_from(["```", "```", "````", "~~~", "`````"])


@st.composite
def _long_runs(draw: st.DrawFn) -> str:
    """An unbroken run: a URL, a hash, a wall of one character."""
    char = draw(st.sampled_from(["a", "x", "-", "=", "中", "😀", "/"]))
    return char * draw(st.integers(10, 260))


@st.composite
def _code_blocks(draw: st.DrawFn) -> str:
    """A fenced block on its own lines, with or without a language, maybe never closed."""
    marker = draw(_markers)
    indent = draw(st.sampled_from(["", "", " ", "   "]))
    lines = draw(
        st.lists(
            st.one_of(
                st.text(st.sampled_from("abc xyz()=_{}:;'\"\t中😀"), max_size=40),
                st.sampled_from(["", "    indented()", "```not a close", "~~~", "#"]),
                _long_runs(),
            ),
            max_size=12,
        )
    )
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    block = indent + marker + draw(_languages) + newline + "".join(f"{x}{newline}" for x in lines)
    if draw(st.integers(0, 5)):
        block += marker + draw(st.sampled_from(["", " ", "`", "  "]))
    return newline + block + newline


_markdown = st.lists(
    st.one_of(
        _words,
        _separators,
        _separators,
        _code_blocks(),
        _long_runs(),
        st.sampled_from(["`inline`", "**bold**", "- item", "1. step", "> quote", "```x```"]),
        st.sampled_from([" ```", "a ```b", "``", "~~", "   ``` ", "\t"]),
    ),
    max_size=60,
).map("".join)

_arbitrary = st.text(
    st.sampled_from(["a", "b", " ", " ", "\n", "\n", "\r", "`", "`", "~", "é", "\u0301", "😀"]),
    max_size=400,
)

# Dense with fence-like pieces, to hit cuts next to and inside them.
_fency = st.lists(
    st.sampled_from(
        ["```", "````", "~~~", "`", "~", " ", "   ", "\n", "\n", "\r\n", "a", "py", "é"]
    ),
    max_size=120,
).map("".join)

_texts = st.one_of(_markdown, _markdown, _arbitrary, _fency)
_limits = st.one_of(st.integers(20, 60), st.integers(20, 200), st.just(DISCORD_LIMIT))

# --- reading parts back --------------------------------------------------------------------


def _open_fence(text: str) -> str | None:
    """The marker of the code block open at the end of the text, if any."""
    marker: str | None = None
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if not match:
            continue
        if marker is None:
            marker = match[1]
        elif match[1][0] == marker[0] and len(match[1]) >= len(marker) and not match[2].strip():
            marker = None
    return marker


def _opener(text: str) -> str | None:
    """The opening line of the code block open at the end of the text, if any."""
    opener: str | None = None
    marker = ""
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if not match:
            continue
        if opener is None:
            opener, marker = line.strip(), match[1]
        elif match[1][0] == marker[0] and len(match[1]) >= len(marker) and not match[2].strip():
            opener = None
    return opener


def _code_cut(part: str, following: str) -> str | None:
    """The marker if `part` ends with a closing line the splitter added, because the block
    went on into `following`, which then starts with a line the splitter added to reopen it.

    The part ends with a bare marker line that closes a block open before it, and the next
    part's first line reopens a block with that same marker.
    """
    head, newline, last = part.rpartition("\n")
    if not newline or not re.fullmatch(r"`{3,}|~{3,}", last):
        return None
    marker = _open_fence(head)
    first = following.partition("\n")[0]
    reopened = _FENCE.match(first)
    if marker != last or not reopened or reopened[1] != marker:
        return None
    return marker


def _rejoinings(parts: list[str], text: str) -> set[str]:
    """Ways to join the parts after removing the lines the splitter added, that lead to text.

    At a code cut, the part is the text up to the cut, a newline unless it ended with one,
    and the marker; the next part is the reopening line, a newline, and the text from the
    cut. Which of the two the newline before the marker is cannot be told from the parts, so
    both readings are kept while they match the text.
    """
    joined = {""}
    reopened = False
    for index, part in enumerate(parts):
        body = part.partition("\n")[2] if reopened else part
        following = parts[index + 1] if index + 1 < len(parts) else None
        marker = _code_cut(part, following) if following is not None else None
        if marker is None:
            endings = [body]
        else:
            cut = body.removesuffix(marker)
            endings = [cut] + ([cut.removesuffix("\n")] if cut.endswith("\n") else [])
        joined = {j + e for j in joined for e in endings if text.startswith(j + e)}
        reopened = marker is not None
    return joined


def _short_markers(text: str, limit: int) -> bool:
    """Whether every run of backticks or tildes is short enough to close and reopen a block."""
    runs = re.findall(r"`+|~+", text)
    return all(2 * len(run) + 6 <= limit for run in runs)


# --- properties ----------------------------------------------------------------------------


@_SETTINGS
@given(_texts, _limits)
@example("```\n" + "x" * 13 + "\n```\nmore text here", 20)
@example("```" + "x" * 60, 20)
@example("```python\n" + "y" * 60, 20)
@example("ab ```pythonxxxxxxxxx\ncode\n```\n", 20)
@example("```` `````\n``````````", 20)  # every cut in the closing line would close the block
def test_parts_fit_balance_and_rejoin(text: str, limit: int) -> None:
    """Each part has 1..limit characters; every part but the last closes the blocks it opens,
    the last leaves open what the text leaves open; removing the closing and reopening lines
    added at code cuts gives back the text, and without code cuts plain joining does."""
    parts = split_message(text, limit)
    if not text:
        assert parts == [""]
        return
    assert all(1 <= len(part) <= limit for part in parts)
    if _short_markers(text, limit):
        assert all(_open_fence(part) is None for part in parts[:-1])
        assert _open_fence(parts[-1]) == _open_fence(text)
    assert text in _rejoinings(parts, text)
    code_cuts = [_code_cut(a, b) for a, b in itertools.pairwise(parts)]
    if not any(code_cuts):
        assert "".join(parts) == text
    for part, following, marker in zip(parts, parts[1:], code_cuts, strict=False):
        if marker is not None:
            # Reopened with the block's own opening line, or the bare marker if that is long.
            opener = _opener(part.rpartition("\n")[0])
            assert following.partition("\n")[0] in (opener, marker)


@_SETTINGS
@given(_texts, _limits, st.data())
def test_earlier_parts_never_change_as_the_text_grows(
    text: str, limit: int, data: st.DataObject
) -> None:
    """For any prefix P of T split into k > 1 parts, its first k-1 parts are T's first k-1."""
    parts = split_message(text, limit)
    ends = data.draw(st.lists(st.integers(0, len(text)), max_size=6))
    # Also just before and after each cut, where a difference would show first.
    position = 0
    for part in parts[:-1]:
        position += len(part)
        ends += [max(0, position - 2), min(len(text), position + 1)]
    for end in ends:
        settled = split_message(text[:end], limit)[:-1]
        assert parts[: len(settled)] == settled


_prose = st.lists(
    st.one_of(_words, _separators, _long_runs()).filter(lambda s: not re.search(r"[`~]", s)),
    max_size=80,
).map("".join)


@_SETTINGS
@given(_prose, _limits)
def test_prose_is_cut_at_the_best_boundary_available(text: str, limit: int) -> None:
    """Without code, a part ends at the last paragraph break at least half way through the
    limit, else the last line break, else the last space (one not followed only by up to three
    spaces to the end of what the splitter may look at, which could still become an indented
    fence); else at the last of any of them; with none at all, close to the limit."""
    parts = split_message(text, limit)
    start = 0
    for part in parts[:-1]:
        window = text[start : start + limit + 1]
        paragraphs = [e for e in range(2, limit + 1) if window[:e].endswith(("\n\n", "\n\r\n"))]
        lines = [e for e in range(1, limit + 1) if window[e - 1] == "\n" and e not in paragraphs]
        spaces = [
            e
            for e in range(1, limit + 1)
            if window[e - 1] == " " and not re.fullmatch(" {0,3}", window[e:])
        ]
        for kind in (paragraphs, lines, spaces):
            good = [e for e in kind if e >= limit / 2]
            if good:
                assert len(part) == max(good)
                break
        else:
            if paragraphs or lines or spaces:
                assert len(part) == max(paragraphs + lines + spaces)
            else:
                assert limit - 16 <= len(part) <= limit
        start += len(part)


@settings(max_examples=40, deadline=None)
@given(st.integers(20, 120), st.sampled_from(["python", "", "js"]), st.integers(1, 60))
def test_a_long_block_is_reopened_with_its_language(limit: int, language: str, rows: int) -> None:
    """Every part of a block too long for one message is a whole block in that language."""
    body = "".join(f"print({i})\n" for i in range(rows))
    text = f"```{language}\n{body}```"
    parts = split_message(text, limit)
    opener = f"```{language}" if 2 * (len(language) + 8) <= limit else "```"
    for index, part in enumerate(parts):
        assert part.startswith(f"```{language}\n" if index == 0 else f"{opener}\n")
        assert part.endswith("```")
    assert text in _rejoinings(parts, text)
