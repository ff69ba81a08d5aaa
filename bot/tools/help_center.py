"""The search_help_center tool: the model answers from the company's own articles."""

from __future__ import annotations

from typing import Annotated

from bot.helpcenter.index import ArticleMatch
from bot.llm.tools import ToolError, text, tool
from bot.tools.context import SupportContext

# About 1500 tokens at about 4 characters a token: room for a few passages, not the shelf.
BUDGET_CHARS = 6000
MAX_PASSAGES = 5
# A cut passage shorter than this says too little to be worth its place.
MIN_CUT_CHARS = 300

NO_MATCH = (
    "No help-center article matches this question. Do not guess an answer: tell the customer"
    " you could not find it in the help center, and offer to open a ticket so a person can"
    " answer."
)


@tool
async def search_help_center(
    context: SupportContext,
    call_id: str,
    query: Annotated[
        str, text(500, "The customer's question, in their words or a short paraphrase")
    ],
) -> str:
    """Search Dashly's help center (policies, fees, delivery, payments, accounts, how-tos) and get the best passages with their article's title and path. Use it before answering any such question."""  # noqa: E501
    help_center = context.services.help_center
    if help_center is None:
        raise ToolError("the help center is not available; offer the customer a ticket instead")
    query = query.strip()
    matches = await help_center.search(query, limit=MAX_PASSAGES)
    if not matches:
        await context.services.store.record_help_gap(context.conversation.id, query)
        return NO_MATCH
    return format_passages(query, matches)


def format_passages(query: str, matches: list[ArticleMatch]) -> str:
    """The best passages, best first, each under its article's title and path, within budget."""
    hits = sorted(
        (hit for match in matches for hit in match.passages), key=lambda h: h.score, reverse=True
    )[:MAX_PASSAGES]
    parts = [
        f'Help-center passages for "{query}", best first. Answer only from them and name the'
        ' article you use ("From our help center, *Title*: ..."). If they do not answer the'
        " question, say so and offer a ticket."
    ]
    room = BUDGET_CHARS - len(parts[0])
    for hit in hits:
        passage = hit.passage
        section = f" > {passage.heading}" if passage.heading != passage.title else ""
        header = f"\n\n## {passage.title} ({passage.path}){section}\n"
        body = passage.body
        if len(header) + len(body) > room:
            space = room - len(header) - 1
            if space < MIN_CUT_CHARS:
                break
            body = body[:space].rsplit(" ", 1)[0] + "…"
        parts.append(header + body)
        room -= len(header) + len(body)
    return "".join(parts)
