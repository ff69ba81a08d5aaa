"""The terminal chat: the same engine, tools and store, streamed to stdout."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

from bot.desk.desk import ReceiptRecord, Ticket
from bot.desk.destinations import StaffPost
from bot.engine import events
from bot.engine.copy import (
    CONFIRM_DETAIL,
    CONSOLE_BYE,
    CONSOLE_CANNOT_ATTACH,
    CONSOLE_CONFIRM,
    CONSOLE_NEW,
    CONSOLE_RESUMED,
    CONSOLE_WELCOME,
    EXPIRED_NOTE,
    HOLDING,
)
from bot.engine.engine import SupportEngine
from bot.tools.actions import (
    CONFIRM_SECONDS,
    ConfirmationPrompt,
    Decision,
    Verdict,
    plain_arguments,
)
from bot.tools.receipts import Receipt, summarize

EXIT_WORDS = {"exit", "quit"}
ATTACH_PREFIX = "/attach "
CONSOLE_CUSTOMER_ID = "console"
CONSOLE_CUSTOMER_NAME = "terminal user"
# Control characters (a terminal runs escape sequences: clearing the screen, moving the
# cursor, retitling the window), and direction overrides that make text read backwards.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# Continuation lines of a field are indented under its value: none can pass for a header.
FIELD_INDENT = " " * 12


def terminal_safe(text: str, indent: str = FIELD_INDENT) -> str:
    """Text a customer or the model wrote, printed for staff as the plain text it is."""
    lines = _UNPRINTABLE.sub("", text.replace("\r\n", "\n")).split("\n")
    return f"\n{indent}".join(lines)


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
            f"Name given: {terminal_safe(ticket.customer_name)}",
            f"Customer:   {terminal_safe(ticket.user_display or ticket.user_id or '')}",
            f"Issue:      {terminal_safe(ticket.issue)}",
        ]
        if receipt is not None:
            lines.append("Receipt:")
            summary = summarize(Receipt.model_validate(receipt.data))
            lines.append("  " + terminal_safe(summary, indent="  "))
        self._out.write("\n".join(lines) + "\n\n")
        self._out.flush()
        return None

    async def ticket_changed(self, ticket: Ticket, receipt: ReceiptRecord | None) -> None:
        """Print the new status."""
        self._out.write(f"\n=== Ticket #{ticket.id} is now {ticket.status} ===\n")
        self._out.flush()


class ConsoleConfirmer:
    """Asks `y/N` on the terminal before a consequential action (a Confirmer): only `y` or
    `yes` confirms; anything else, or no answer in time, does not."""

    def __init__(self, stdin: TextIO, out: TextIO) -> None:
        self._stdin = stdin
        self._out = out

    async def confirm(self, prompt: ConfirmationPrompt) -> Decision:
        """Print the question and read the answer."""
        details = "\n".join(
            CONFIRM_DETAIL.format(label=label, value=value)
            for label, value in plain_arguments(prompt.arguments)
        )
        self._out.write("\n" + CONSOLE_CONFIRM.format(title=prompt.title, details=details))
        self._out.flush()
        try:
            line = await asyncio.wait_for(asyncio.to_thread(self._stdin.readline), prompt.timeout)
        except TimeoutError:
            minutes = f"{CONFIRM_SECONDS / 60:.0f}"
            self._out.write("\n" + EXPIRED_NOTE.format(title=prompt.title, minutes=minutes) + "\n")
            return Decision(Verdict.EXPIRED)
        if line.strip().lower() in {"y", "yes"}:
            return Decision(Verdict.CONFIRMED, prompt.customer_id)
        return Decision(Verdict.CANCELLED, prompt.customer_id)


class LocalFiles:
    """Reads images attached from the terminal with /attach (an AttachmentReader)."""

    async def read(self, url: str) -> bytes:
        """The file's bytes."""
        return await asyncio.to_thread(Path(url.removeprefix("file://")).read_bytes)


def local_attachment(path_text: str) -> events.Attachment:
    """An attachment for a local file, as if Discord had delivered it."""
    path = Path(path_text).expanduser().resolve()
    return events.Attachment(path.as_uri(), path.name, None, path.stat().st_size)


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
    earlier = await engine.user_messages(key)
    cut = await engine.recover_cut_turn(key)
    if cut is not None:
        out.write(f"{cut.notice}\n")
        if cut.unanswered:
            await _show(engine.resume(key), out)
    status = CONSOLE_RESUMED.format(earlier=earlier) if earlier else CONSOLE_NEW
    out.write(CONSOLE_WELCOME.format(name=name, status=status) + "\n")
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
        incoming = _incoming(key, text, out)
        if incoming is not None:
            await _show(engine.receive(incoming), out)
    out.write(f"\n{CONSOLE_BYE}\n")


def _incoming(key: str, text: str, out: TextIO) -> events.Incoming | None:
    """The typed line as the engine takes it; `/attach PATH text` attaches a local image."""
    attachments: list[events.Attachment] = []
    if text.startswith(ATTACH_PREFIX):
        path, _, text = text.removeprefix(ATTACH_PREFIX).partition(" ")
        try:
            attachments.append(local_attachment(path))
        except OSError as exc:
            out.write(CONSOLE_CANNOT_ATTACH.format(path=path, reason=exc.strerror) + "\n")
            return None
    return events.Incoming(
        conversation=key,
        author_id=CONSOLE_CUSTOMER_ID,
        author_name=CONSOLE_CUSTOMER_NAME,
        text=text,
        attachments=attachments,
        opens=True,
    )


async def _show(stream: AsyncIterator[events.EngineEvent], out: TextIO) -> None:
    """Print the engine's events: notices, and each turn streamed as it comes."""
    holding = False  # the holding line is said once per wait for an answer
    async for event in stream:
        if isinstance(event, events.Notice):
            out.write(f"{event.text}\n")
        elif isinstance(event, events.Waiting):
            if not holding:
                out.write(f"{HOLDING}\n")
                holding = True
        elif isinstance(event, events.TurnStarted):
            out.write("Assistant: ")
        elif isinstance(event, events.ReplyText):
            out.write(event.text)
        elif isinstance(event, events.ToolStarted):
            out.write(f"\n[calling {event.name}]\n")
        elif isinstance(event, events.ToolFinished) and not event.ok:
            out.write(f"[{event.name}: {event.result}]\n")
        elif isinstance(event, events.TurnEnded):
            out.write(f"\n{event.notice}\n" if event.notice else "\n")
            holding = False
        out.flush()
