"""Entry point: `python -m bot` (Discord), `chat`, `check`, `knowledge`, `forget`, `export`,
`webhooks retry`, `eval`, `stats`."""

from __future__ import annotations

import argparse
import sys

from bot.app.logs import setup_logging
from bot.app.run import add_app_commands, run_app
from bot.commands.check import add_check_commands
from bot.commands.eval import add_eval_commands
from bot.commands.knowledge import add_knowledge_commands
from bot.commands.privacy import add_privacy_commands
from bot.commands.stats import add_stats_commands
from bot.commands.webhooks import add_webhooks_commands
from bot.config import ConfigError, load_settings

# Each adds its subcommands, each with the function that runs it (`run`) and whether it is
# used at the terminal (`interactive`: routine log lines stay quiet).
COMMANDS = (
    add_app_commands,
    add_check_commands,
    add_knowledge_commands,
    add_webhooks_commands,
    add_privacy_commands,
    add_eval_commands,
    add_stats_commands,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line; without a command, the Discord bot runs."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.set_defaults(run=run_app, interactive=False)
    commands = parser.add_subparsers(dest="command")
    for add_commands in COMMANDS:
        add_commands(commands)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen command; a bad configuration ends it with one clear line."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings()
        setup_logging(settings, interactive=args.interactive)
        code: int = args.run(args, settings, sys.stdout)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
