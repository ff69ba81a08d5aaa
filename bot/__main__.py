"""Entry point: `python -m bot` (Discord), `python -m bot chat`, `python -m bot check`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.app import build_engine, llm_client
from bot.config import ConfigError, Settings, load_settings
from bot.knowledge_cli import add_knowledge_commands, run_knowledge
from bot.logs import setup_logging
from bot.privacy_cli import add_privacy_commands, run_privacy
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
    add_privacy_commands(commands)
    return parser.parse_args(argv)


def point_discord_py_at(settings: Settings) -> None:
    """Send REST and the gateway where the settings say (a proxy or a test server)."""
    discord.http.Route.BASE = settings.discord_api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def run_discord(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM, then shut down cleanly."""
    from bot.frontends.discord.bot import build_support_bot

    token, _, _ = settings.require_discord()
    point_discord_py_at(settings)
    client = llm_client(settings)
    async with Store.open(settings.database_path) as store, client:
        bot = build_support_bot(settings, store=store, client=client)
        loop = asyncio.get_running_loop()

        closing: list[asyncio.Task[None]] = []

        def shut_down(signal_name: str) -> None:
            log.info("%s received: shutting down", signal_name)
            closing.append(loop.create_task(bot.close()))

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, shut_down, sig.name)
        async with bot:
            try:
                await bot.start(token)
            except discord.LoginFailure:
                raise ConfigError("bad setting DISCORD_TOKEN: Discord refused it") from None
    log.info("stopped")


async def run_chat(settings: Settings, thread: str | None) -> None:
    """The terminal chat."""
    from bot.frontends.console import ConsoleTickets, LocalFiles, chat

    client = llm_client(settings)
    async with Store.open(settings.database_path) as store, client:
        engine = build_engine(
            settings,
            store=store,
            client=client,
            notifier=ConsoleTickets(sys.stdout),
            attachments=LocalFiles(),
        )
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
        if args.command in ("forget", "export"):
            return run_privacy(args, settings, sys.stdout)
        settings.require_llm()
        if args.command == "check":
            from bot.check import check

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
