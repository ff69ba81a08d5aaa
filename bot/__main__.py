"""Entry point: `python -m bot` (Discord), `chat`, `check`, `webhooks retry`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.app.compose import build_engine, endpoint
from bot.app.logs import setup_logging
from bot.app.standby import active_process
from bot.commands.knowledge import add_knowledge_commands, run_knowledge
from bot.commands.privacy import add_privacy_commands, run_privacy
from bot.commands.webhooks import retry_dead
from bot.config import ConfigError, Settings, load_settings
from bot.desk.delivery import ticket_delivery
from bot.engine.retention import retention
from bot.store import Store

log = logging.getLogger("bot")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the Discord bot (the default)")
    chat = commands.add_parser("chat", help="chat with the support engine in the terminal")
    chat.add_argument("--thread", metavar="NAME", help="resume (or start) the named conversation")
    commands.add_parser("check", help="validate the configuration and reach the LLM endpoint")
    add_knowledge_commands(commands)
    webhooks = commands.add_parser("webhooks", help="ticket events for other systems")
    webhooks.add_argument("action", choices=["retry"], help="retry: re-queue dead deliveries")
    add_privacy_commands(commands)
    return parser.parse_args(argv)


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
            make_engine=lambda attachments: build_engine(
                settings, store=store, llm=llm, attachments=attachments
            ),
            deliver_tickets=lambda staff: ticket_delivery(settings, store, staff),
        )


async def run_chat(settings: Settings, thread: str | None) -> None:
    """The terminal chat."""
    from bot.frontends.console import ConsoleTickets, LocalFiles, chat

    async with (
        Store.open(settings.store_location) as store,
        endpoint(settings) as llm,
        retention(store, settings.retention_days),
    ):
        engine = build_engine(settings, store=store, llm=llm, attachments=LocalFiles())
        await engine.prepare()
        async with ticket_delivery(settings, store, ConsoleTickets(sys.stdout)):
            await chat(engine, thread)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen command; a bad configuration ends it with one clear line."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings()
        quiet = ("chat", "knowledge", "forget", "export")
        setup_logging(settings, interactive=args.command in quiet)
        if args.command == "knowledge":
            return run_knowledge(args, settings, sys.stdout)
        if args.command == "webhooks":
            return asyncio.run(retry_dead(settings, sys.stdout))
        if args.command in ("forget", "export"):
            return run_privacy(args, settings, sys.stdout)
        settings.require_llm()
        if args.command == "check":
            from bot.commands.check import check

            return 0 if asyncio.run(check(settings, sys.stdout)) else 1
        if args.command == "chat":
            asyncio.run(run_chat(settings, args.thread))
        else:
            asyncio.run(run_discord(settings))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
