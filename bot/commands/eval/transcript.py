"""What one trial left behind, read from the throwaway store: answers, tickets, hand-off,
the help-center articles the answers rest on, the actions requested, and the tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.store import Conversation, Store, Ticket
from bot.tools import SUPPORT_TOOLS

# search_help_center's result names each passage's article: "## Title (path.md)".
_ARTICLE = re.compile(r"^## .*\(([^()\s]+\.md)\)", re.MULTILINE)
BUILT_IN = {tool.name for tool in SUPPORT_TOOLS}
HAND_OFF_ISSUE = "The customer asked to talk to a person."


@dataclass
class Transcript:
    """One trial's outcomes."""

    answers: list[str] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    handoff: bool = False
    articles: set[str] = field(default_factory=set)
    actions: list[str] = field(default_factory=list)
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0

    @property
    def said(self) -> str:
        """Everything the customer was shown, as one text."""
        return "\n".join(self.answers)


async def read_transcript(
    store: Store, conversation: Conversation, answers: list[str]
) -> Transcript:
    """The trial's outcomes as the store shows them."""
    transcript = Transcript(answers=answers)
    transcript.tickets = await store.tickets_for_conversation(conversation.id)
    calls: dict[str, str] = {}
    for message in await store.load_history(conversation.id):
        for call in message.tool_calls or []:
            name = call["function"]["name"]
            calls[call["id"]] = name
            if name == "request_human":
                transcript.handoff = True
            elif name not in BUILT_IN:
                transcript.actions.append(name)
        if message.role == "tool" and calls.get(message.tool_call_id or "") == "search_help_center":
            transcript.articles.update(_ARTICLE.findall(message.content or ""))
    if any(t.issue.startswith(HAND_OFF_ISSUE) for t in transcript.tickets):
        transcript.handoff = True
    for usage in await store.usage_for_conversation(conversation.id):
        transcript.input_tokens += usage.prompt_tokens
        transcript.cached_tokens += usage.cached_tokens
        transcript.output_tokens += usage.completion_tokens
    return transcript
