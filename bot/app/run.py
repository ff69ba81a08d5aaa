"""The two ways the bot runs, `python -m bot` (Discord) and `python -m bot chat` (terminal):
each opens what it needs (store, standby, endpoint, retention, ticket delivery) as
`async with`, so everything is closed again however the run ends."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any, TextIO

from bot.app.compose import build_engine, endpoint
from bot.app.standby import active_process
from bot.config import Settings
from bot.desk.delivery import ticket_delivery
from bot.engine.retention import retention
from bot.store import Store

log = logging.getLogger("bot")


def add_app_commands(commands: Any) -> None:
    """Add `run` (the default, also without a command) and `chat` to the command line."""
    commands.add_parser("run", help="run the Discord bot (the default)").set_defaults(run=run_app)
    chat = commands.add_parser("chat", help="chat with the support engine in the terminal")
    chat.add_argument("--thread", metavar="NAME", help="resume (or start) the named conversation")
    # Routine log lines would land in the middle of the conversation.
    chat.set_defaults(run=run_app, interactive=True)


def run_app(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run the bot in Discord, or in the terminal for `chat`, until it is stopped."""
    settings.require_llm()
    if args.command == "chat":
        asyncio.run(run_chat(settings, args.thread, out))
    else:
        asyncio.run(run_discord(settings))
    return 0


async def run_discord(settings: Settings) -> None:
    """The Discord bot over the store and the endpoint, until SIGINT or SIGTERM; with
    PostgreSQL, first standing by while another process is the active one."""
    settings.require_discord()
    async with (
        Store.open(settings.store_location) as store,
        active_process(settings.store_location) as active,
    ):
        if active:
            await _run_active(settings, store)
    log.info("stopped")


async def _run_active(settings: Settings, store: Store) -> None:
    """The bot itself, once this process is the active one (see bot.app.standby)."""
    from bot.frontends.discord.run import run_discord as run_bot

    async with endpoint(settings) as llm, retention(store, settings.retention_days):
        await run_bot(
            settings,
            make_engine=lambda attachments, confirmer: build_engine(
                settings, store=store, llm=llm, attachments=attachments, confirmer=confirmer
            ),
            deliver_tickets=lambda staff: ticket_delivery(settings, store, staff),
        )


async def run_chat(settings: Settings, thread: str | None, out: TextIO) -> None:
    """The terminal chat; tickets are printed to `out`."""
    from bot.frontends.console import ConsoleConfirmer, ConsoleTickets, LocalFiles, chat

    async with (
        Store.open(settings.store_location) as store,
        endpoint(settings) as llm,
        retention(store, settings.retention_days),
    ):
        engine = build_engine(
            settings,
            store=store,
            llm=llm,
            attachments=LocalFiles(),
            confirmer=ConsoleConfirmer(sys.stdin, out),
        )
        await engine.prepare()
        async with ticket_delivery(settings, store, ConsoleTickets(out)):
            await chat(engine, thread)
