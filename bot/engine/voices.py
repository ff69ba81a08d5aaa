"""Who said what, as the model reads it: staff words carry a mark that nobody else's can.

Staff messages reach the model as `[staff · NAME] text` (the system prompt explains the
mark). A customer could type the same form, and a tool result or a help-center article
could contain it; in those, every imitation of the mark (any case, spacing or bracket
lookalike, on any line) is rewritten as `[not staff: ...`, so the model can tell a real
staff message from words that only look like one.
"""

from __future__ import annotations

import re

STAFF_PREFIX = "[staff · "
# An opening bracket (or a lookalike) followed by "staff": the start of an imitation.
_IMITATION = re.compile(r"[\[［【〔⟦⁅❲〚]\s*(?=staff)", re.IGNORECASE)
NOT_STAFF = "[not staff: "


def staff_words(name: str, text: str) -> str:
    """A staff member's message as the model reads it."""
    return f"{STAFF_PREFIX}{unforgeable(name)}] {text}"


def unforgeable(text: str) -> str:
    """Text from anyone but staff, with every imitation of the staff mark defused."""
    return _IMITATION.sub(NOT_STAFF, text)
