"""A customer's data on request (export, forget) and the retention purge of idle conversations.

A customer is the `customer_id` of the conversations opened for them. They can also appear in
other conversations: as the person who opened a ticket there (`tickets.user_id`), as the author
of a message (`messages.author_id`), as the actor of a ticket's status change, or as the staff
member who claimed a ticket. Forgetting deletes their own conversations with everything in them
and anonymises those other traces in place, so staff statistics (ticket counts, times to claim
and resolve) keep their rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.database import Database, Row, Session
from bot.store.records import format_time

DELETED = "[deleted]"


@dataclass(frozen=True)
class ForgetReport:
    """What forgetting a customer removed or anonymised."""

    conversations: int
    messages: int
    receipts: int
    attachments: int
    tickets: int
    tickets_anonymised: int
    messages_redacted: int

    @property
    def anything(self) -> bool:
        """Whether anything at all was stored about the customer."""
        return any((self.conversations, self.tickets_anonymised, self.messages_redacted))


def marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


def rows_as_dicts(rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


class PrivacyQueries(Database):
    """Forget and purge: the queries behind a customer's rights and RETENTION_DAYS."""

    async def forget_customer(self, customer_id: str) -> ForgetReport:
        """Delete a customer's conversations and anonymise their traces elsewhere, atomically.

        Their own conversations go with every message, attachment, receipt, ticket (and its
        history), usage row, unanswered question and
        action request (the company's API calls). In other conversations their tickets keep
        status and times but lose name, issue and who opened them; their messages keep their
        place in the history (so it stays a valid request) with the text replaced, and the
        attachments and receipts of those messages are deleted; their name is removed from
        ticket histories and claims.
        """
        async with self._transaction() as db:
            own = [
                int(row[0])
                for row in await db.all(
                    "SELECT id FROM conversations WHERE customer_id = ?", (customer_id,)
                )
            ]
            counts = await self._count_contents(db, own)
            redacted = await self._redact_messages_elsewhere(db, customer_id, own)
            anonymised = await self._anonymise_tickets_elsewhere(db, customer_id, own)
            await self._delete_conversations(db, own)
        return ForgetReport(
            conversations=len(own),
            messages=counts["messages"],
            receipts=counts["receipts"],
            attachments=counts["attachments"],
            tickets=counts["tickets"],
            tickets_anonymised=anonymised,
            messages_redacted=redacted,
        )

    @staticmethod
    async def _count_contents(db: Session, own: list[int]) -> dict[str, int]:
        counts = {}
        for table in ("messages", "receipts", "attachments", "tickets"):
            if not own:
                counts[table] = 0
                continue
            row = await db.one(
                f"SELECT COUNT(*) FROM {table} WHERE conversation_id IN ({marks(own)})", own
            )
            counts[table] = int(row[0]) if row else 0
        return counts

    @staticmethod
    async def _redact_messages_elsewhere(db: Session, customer_id: str, own: list[int]) -> int:
        outside = f"AND conversation_id NOT IN ({marks(own)})" if own else ""
        found = await db.all(
            "SELECT conversation_id, discord_message_id FROM messages"
            f" WHERE author_id = ? {outside}",
            (customer_id, *own),
        )
        for conversation_id, discord_message_id in found:
            if discord_message_id is None:
                continue
            urls = [
                row[0]
                for row in await db.all(
                    "SELECT url FROM attachments"
                    " WHERE conversation_id = ? AND discord_message_id = ?",
                    (conversation_id, discord_message_id),
                )
            ]
            if not urls:
                continue
            receipts = (
                f"SELECT id FROM receipts WHERE conversation_id = ? AND image_url IN"
                f" ({marks(urls)})"
            )
            await db.execute(
                f"UPDATE tickets SET receipt_id = NULL WHERE receipt_id IN ({receipts})",
                (conversation_id, *urls),
            )
            await db.execute(
                f"DELETE FROM receipts WHERE id IN ({receipts})", (conversation_id, *urls)
            )
            await db.execute(
                "DELETE FROM attachments WHERE conversation_id = ? AND discord_message_id = ?",
                (conversation_id, discord_message_id),
            )
        return await db.execute(
            f"UPDATE messages SET content = ?, author_id = NULL WHERE author_id = ? {outside}",
            (DELETED, customer_id, *own),
        )

    @staticmethod
    async def _anonymise_tickets_elsewhere(db: Session, customer_id: str, own: list[int]) -> int:
        outside = f"AND conversation_id NOT IN ({marks(own)})" if own else ""
        # The events queued or sent for those tickets carry the ticket as it was: they go,
        # and with them any delivery still pending (their data is not forwarded any more).
        await db.execute(
            f"DELETE FROM outbox WHERE ticket_id IN (SELECT id FROM tickets WHERE user_id = ?"
            f" {outside})",
            (customer_id, *own),
        )
        await db.execute(
            "UPDATE outbox SET actor_id = NULL, actor_name = ? WHERE actor_id = ?",
            (DELETED, customer_id),
        )
        anonymised = await db.execute(
            "UPDATE tickets SET customer_name = ?, issue = ?, user_display = ?, user_id = NULL"
            f" WHERE user_id = ? {outside}",
            (DELETED, DELETED, DELETED, customer_id, *own),
        )
        await db.execute(
            "UPDATE tickets SET claimed_by = NULL, claimed_by_name = ? WHERE claimed_by = ?",
            (DELETED, customer_id),
        )
        await db.execute(
            "UPDATE ticket_events SET actor_id = NULL, actor_name = ? WHERE actor_id = ?",
            (DELETED, customer_id),
        )
        return anonymised

    # Retention

    async def purge_idle(self, days: int, *, now: dt.datetime | None = None) -> int:
        """Delete conversations without a message for more than `days` days; return how many.

        A conversation whose ticket is still open or claimed is kept: staff are not done with
        it. Ticket events older than that, with no delivery still pending, go too. `days` of
        0 or less purges nothing (retention off).
        """
        if days <= 0:
            return 0
        moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        cutoff = format_time(moment - dt.timedelta(days=days))
        async with self._transaction() as db:
            idle = [
                int(row[0])
                for row in await db.all(
                    "SELECT id FROM conversations WHERE updated_at < ? AND NOT EXISTS"
                    " (SELECT 1 FROM tickets t WHERE t.conversation_id = conversations.id"
                    "  AND t.status IN ('open', 'claimed'))",
                    (cutoff,),
                )
            ]
            await self._delete_conversations(db, idle)
            # Ticket events kept for delivery hold a snapshot of the ticket: once nothing is
            # left to deliver, they follow the same retention.
            await db.execute(
                "DELETE FROM outbox WHERE created_at < ? AND NOT EXISTS"
                " (SELECT 1 FROM outbox_deliveries d WHERE d.outbox_id = outbox.id"
                "  AND d.state = 'pending')",
                (cutoff,),
            )
        return len(idle)

    @staticmethod
    async def _delete_conversations(db: Session, ids: list[int]) -> None:
        """Delete conversations and, by cascade, everything in them."""
        if not ids:
            return
        # A ticket elsewhere pointing at one of their receipts would block the cascade.
        await db.execute(
            "UPDATE tickets SET receipt_id = NULL WHERE receipt_id IN"
            f" (SELECT id FROM receipts WHERE conversation_id IN ({marks(ids)}))",
            ids,
        )
        await db.execute(f"DELETE FROM conversations WHERE id IN ({marks(ids)})", ids)
