"""A task's `expect` held against a trial's transcript: each failed check, with its reason."""

from __future__ import annotations

from bot.commands.eval.tasks import Expect
from bot.commands.eval.transcript import Transcript

QUOTE = 160


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= QUOTE else flat[: QUOTE - 1] + "…")


def failures(expect: Expect, seen: Transcript) -> list[str]:
    """Why the trial failed, one reason per failed check (empty: it passed)."""
    found: list[str] = []
    issues = " ".join(t.issue for t in seen.tickets).lower()
    if expect.ticket is True and not seen.tickets:
        found.append(f"ticket: none was opened; the answer said {_quote(seen.said)}")
    if expect.ticket is False and seen.tickets:
        found.append(f"ticket: {len(seen.tickets)} opened, none expected ({_quote(issues)})")
    if expect.ticket_name is not None:
        names = [t.customer_name for t in seen.tickets]
        if expect.ticket_name.strip().lower() not in (n.strip().lower() for n in names):
            found.append(f"ticket_name: expected {expect.ticket_name!r}, tickets name {names}")
    found += [
        f"ticket_issue_contains: {word!r} not in {_quote(issues)}"
        for word in expect.ticket_issue_contains
        if word.lower() not in issues
    ]
    if expect.handoff is not None and expect.handoff != seen.handoff:
        state = "handed off" if seen.handoff else "not handed off"
        found.append(f"handoff: expected {expect.handoff}, the conversation was {state}")
    if expect.articles and not seen.articles & set(expect.articles):
        found.append(
            f"articles: expected one of {expect.articles}, the help center gave"
            f" {sorted(seen.articles) or 'nothing'}"
        )
    said = seen.said.lower()
    found += [
        f"says: {words!r} missing; the answer said {_quote(seen.said)}"
        for words in expect.says
        if words.lower() not in said
    ]
    found += [
        f"never_says: {words!r} was said: {_quote(seen.said)}"
        for words in expect.never_says
        if words.lower() in said
    ]
    found += [
        f"actions: {action} was not requested (requested: {seen.actions})"
        for action in expect.actions
        if action not in seen.actions
    ]
    found += [f"no_actions: {a} was requested" for a in expect.no_actions if a in seen.actions]
    return found
