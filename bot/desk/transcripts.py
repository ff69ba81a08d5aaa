"""A ticket's conversation as a Markdown file for staff (the Transcript button)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store import Store, TranscriptLine

STAFF_MARK = "[staff · "


@dataclass(frozen=True)
class Transcript:
    """A file to hand to staff."""

    filename: str
    text: str


async def transcript(store: Store, ticket_id: int) -> Transcript | None:
    """The conversation of a ticket, oldest message first; None when there is no such
    ticket (or its conversation was forgotten)."""
    ticket = await store.get_ticket(ticket_id)
    if ticket is None:
        return None
    lines = await store.transcript_lines(ticket.conversation_id)
    customer = ticket.user_display or ticket.user_id or "customer"
    head = [
        f"# Ticket #{ticket.id}: conversation transcript",
        "",
        f"- Customer: {customer} (Discord id {ticket.user_id or 'unknown'}),"
        f" name given: {ticket.customer_name}",
        f"- Issue: {ticket.issue}",
        f"- Status: {ticket.status}"
        + (f", claimed by {ticket.claimed_by_name}" if ticket.claimed_by_name else ""),
        f"- Thread: {ticket.thread_url or 'none'}",
        "",
    ]
    body = [_entry(line, customer) for line in lines]
    return Transcript(f"ticket-{ticket.id}-transcript.md", "\n".join(head + body) + "\n")


def _entry(line: TranscriptLine, customer: str) -> str:
    content = line.content or ""
    if line.role == "assistant":
        who = "Assistant"
    elif line.author_kind == "staff" or content.startswith(STAFF_MARK):
        who = "Staff"
    else:
        who = customer
    quoted = "\n".join(f"> {part}" if part else ">" for part in content.splitlines())
    return f"**{who}** · {line.created_at:%Y-%m-%d %H:%M} UTC\n{quoted}\n"
