"""Ticket events as other systems see them: their types and the documented payload.

The payload's shape is a contract (docs/webhooks.md): add fields, never rename or remove them.
"""

from __future__ import annotations

from typing import Any

from bot.store import OutboxEntry, TicketStatus, format_time

TICKET_CREATED = "ticket.created"
TICKET_CLAIMED = "ticket.claimed"
TICKET_RESOLVED = "ticket.resolved"
TICKET_REOPENED = "ticket.reopened"
# The customer rated the conversation after the ticket was resolved (or changed the rating).
TICKET_RATED = "ticket.rated"
WEBHOOK_TEST = "webhook.test"

# The event a change of status reports.
STATUS_EVENTS = {
    TicketStatus.CLAIMED: TICKET_CLAIMED,
    TicketStatus.RESOLVED: TICKET_RESOLVED,
    TicketStatus.OPEN: TICKET_REOPENED,
}


def _person(person_id: str | None, name: str | None) -> dict[str, str | None] | None:
    if person_id is None and name is None:
        return None
    return {"discord_id": person_id, "name": name}


def event_payload(entry: OutboxEntry, staff_post_url: str | None = None) -> dict[str, Any]:
    """The JSON body of an event: the ticket as the event left it.

    The staff post is made by another destination, often after the event: its link is taken
    from the ticket as it is now when the snapshot has none.
    """
    ticket = entry.snapshot["ticket"]
    resolved = entry.snapshot.get("resolved")
    claimed_by = _person(ticket.get("claimed_by"), ticket.get("claimed_by_name"))
    return {
        "type": entry.type,
        "timestamp": format_time(entry.created_at),
        "data": {
            "ticket": {
                "number": ticket["id"],
                "status": ticket["status"],
                "name_given": ticket["customer_name"],
                "issue": ticket["issue"],
                "customer": _person(ticket["user_id"], ticket["user_display"]),
                "created_at": ticket["created_at"],
                "thread_url": ticket["thread_url"],
                "staff_post_url": ticket.get("staff_post_url") or staff_post_url,
                "claimed_by": claimed_by,
                "claimed_at": ticket.get("claimed_at") if claimed_by else None,
                "resolved_by": _person(resolved["id"], resolved["name"]) if resolved else None,
                "resolved_at": resolved["at"] if resolved else None,
                "receipt": entry.snapshot.get("receipt"),
                # The customer's rating, on ticket.rated: {score, comment, rated_at}.
                "rating": entry.snapshot.get("rating"),
            },
            "actor": _person(entry.actor_id, entry.actor_name),
        },
    }


def probe_payload(timestamp: str) -> dict[str, Any]:
    """The body `python -m bot check` sends to see that a receiver answers."""
    return {
        "type": WEBHOOK_TEST,
        "timestamp": timestamp,
        "data": {"message": "A test from the support bot's `python -m bot check`."},
    }
