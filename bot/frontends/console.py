"""The terminal chat: the same engine, tools and store, streamed to stdout."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from bot.llm.agent import TextDelta, ToolFinished, ToolStarted
from bot.llm.errors import LLMError
from bot.store import Attachment, Conversation, ReceiptRecord, Ticket
from bot.support.context import Customer
from bot.support.conversation import CUT_BY_RESTART, SupportEngine, UserTurn
from bot.support.images import triage
from bot.support.outbox import StaffPost
from bot.support.receipts import Receipt, summarize

EXIT_WORDS = {"exit", "quit"}
ATTACH_PREFIX = "/attach "
CONSOLE_CUSTOMER = Customer(id="console", display_name="terminal user")


class ConsoleTickets:
    """Prints new tickets to the terminal (a TicketNotifier)."""

    name = "console"

    def __init__(self, out: TextIO) -> None:
        self._out = out

    async def ready(self) -> None:
        """The terminal is always there."""

    async def ticket_created(
        self, ticket: Ticket, receipt: ReceiptRecord | None
    ) -> StaffPost | None:
        """Print the ticket as staff would see it."""
        lines = [
            "",
            f"=== Ticket #{ticket.id} for staff ===",
            f"Name given: {ticket.customer_name}",
            f"Customer:   {ticket.user_display or ticket.user_id}",
            f"Issue:      {ticket.issue}",
        ]
        if receipt is not None:
            lines.append("Receipt:")
            summary = summarize(Receipt.model_validate(receipt.data))
            lines += [f"  {line}" for line in summary.splitlines()]
        self._out.write("\n".join(lines) + "\n\n")
        self._out.flush()
        return None

    async def ticket_changed(self, ticket: Ticket, receipt: ReceiptRecord | None) -> None:
        """Print the new status."""
        self._out.write(f"\n=== Ticket #{ticket.id} is now {ticket.status} ===\n")
        self._out.flush()


class LocalFiles:
    """Reads images attached from the terminal with /attach (an AttachmentReader)."""

    async def read(self, attachment: Attachment) -> bytes:
        """The file's bytes."""
        return await asyncio.to_thread(Path(attachment.url.removeprefix("file://")).read_bytes)


def local_attachment(path_text: str) -> Attachment:
    """An attachment for a local file, as if Discord had delivered it."""
    path = Path(path_text).expanduser().resolve()
    return Attachment(path.as_uri(), path.name, None, path.stat().st_size)


async def chat(
    engine: SupportEngine,
    thread: str | None,
    *,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
) -> None:
    """Talk to the engine in the terminal until `exit` or end of input."""
    name = thread or dt.datetime.now(dt.UTC).strftime("chat-%Y%m%d-%H%M%S")
    key = f"console:{name}"
    resumed = await engine.services.store.get_conversation(key) is not None
    conversation = await engine.open_conversation(key, customer=CONSOLE_CUSTOMER)
    if await engine.recover_cut_turn(conversation, CUT_BY_RESTART):
        out.write(f"{CUT_BY_RESTART}\n")
    turns = [
        m for m in await engine.services.store.load_history(conversation.id) if m.role == "user"
    ]
    status = f"resumed, {len(turns)} earlier message(s)" if resumed else "new"
    out.write(
        f"Conversation '{name}' ({status}). Type 'exit' to quit; '/attach PATH text' sends an"
        " image.\n"
    )
    while True:
        out.write("\nYou: ")
        out.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.strip()
        if text.lower() in EXIT_WORDS:
            break
        if not text:
            continue
        turn = _turn(text, out)
        if turn is None:
            continue
        await _answer(engine, conversation, turn, out)
    out.write("\nBye.\n")


def _turn(text: str, out: TextIO) -> UserTurn | None:
    images: list[Attachment] = []
    if text.startswith(ATTACH_PREFIX):
        path, _, text = text.removeprefix(ATTACH_PREFIX).partition(" ")
        try:
            sorted_out = triage([local_attachment(path)])
        except OSError as exc:
            out.write(f"Cannot attach {path}: {exc.strerror}\n")
            return None
        for note in sorted_out.notes:
            out.write(f"Note: {note}\n")
        images = sorted_out.images
    lines = [text] if text else []
    lines += [f"Attached image: {image.url}" for image in images]
    if not lines:
        return None
    return UserTurn("\n".join(lines), CONSOLE_CUSTOMER, images)


async def _answer(
    engine: SupportEngine, conversation: Conversation, turn: UserTurn, out: TextIO
) -> None:
    out.write("Assistant: ")
    out.flush()
    try:
        async with engine.lock(conversation):
            async for event in engine.turn(conversation, turn):
                if isinstance(event, TextDelta):
                    out.write(event.text)
                elif isinstance(event, ToolStarted):
                    out.write(f"\n[calling {event.call.name}]\n")
                elif isinstance(event, ToolFinished) and not event.ok:
                    out.write(f"[{event.call.name}: {event.content}]\n")
                out.flush()
    except LLMError as exc:
        out.write(f"\n[{exc.user_message} Your message is saved; try again.]")
    out.write("\n")
