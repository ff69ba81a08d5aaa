"""`python -m bot forget USER_ID` and `python -m bot export USER_ID`: a customer's data on request.

They need only the database: no API key, no Discord settings, no network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any, TextIO

from bot.config import ConfigError, Settings
from bot.store import ForgetReport, Store


def add_privacy_commands(commands: Any) -> None:
    """Add `forget USER_ID` and `export USER_ID` to the command line."""
    forget = commands.add_parser(
        "forget", help="delete everything stored about a customer (their Discord user id)"
    )
    forget.add_argument("user_id", metavar="USER_ID", help="the customer's Discord user id")
    export = commands.add_parser(
        "export", help="write everything stored about a customer as JSON to stdout"
    )
    export.add_argument("user_id", metavar="USER_ID", help="the customer's Discord user id")
    for command in (forget, export):
        command.set_defaults(run=run_privacy, interactive=True)


def run_privacy(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run `forget` or `export`; a bad id or a missing database is a clear error."""
    user_id = str(args.user_id).strip()
    if not user_id:
        raise ConfigError("USER_ID is empty: give the customer's Discord user id")
    if settings.database_url is None and not settings.database_path.is_file():
        # Opening would create an empty database: say that there is none instead.
        raise ConfigError(f"bad setting DATABASE_PATH: no database at {settings.database_path}")
    if args.command == "export":
        return asyncio.run(export(settings, user_id, out))
    return asyncio.run(forget(settings, user_id, out))


async def export(settings: Settings, user_id: str, out: TextIO) -> int:
    """Write the customer's data as one JSON document."""
    async with Store.open(settings.store_location) as store:
        data = await store.export_customer(user_id)
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")
    return 0


async def forget(settings: Settings, user_id: str, out: TextIO) -> int:
    """Delete the customer's data and say what went."""
    async with Store.open(settings.store_location) as store:
        report = await store.forget_customer(user_id)
    out.write(describe(user_id, report) + "\n")
    return 0


def describe(user_id: str, report: ForgetReport) -> str:
    """One line saying what forgetting a customer removed."""
    if not report.anything:
        return f"nothing stored about {user_id}"
    return (
        f"forgot {user_id}: deleted {report.conversations} conversation(s) with"
        f" {report.messages} message(s), {report.attachments} attachment(s),"
        f" {report.receipts} receipt(s) and {report.tickets} ticket(s); anonymised"
        f" {report.tickets_anonymised} ticket(s) and {report.messages_redacted} message(s)"
        " in other conversations"
    )
