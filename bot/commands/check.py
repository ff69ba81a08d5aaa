"""`python -m bot check`: is the configuration complete, are the LLM endpoint and webhooks there?"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any, TextIO

from bot.app.compose import action_tools, endpoint
from bot.commands.webhooks import check_webhooks
from bot.config import SECRET_MASK, ConfigError, Settings
from bot.llm import EndpointError, Unreachable
from bot.store import Store


def add_check_commands(commands: Any) -> None:
    """Add `check` to the command line."""
    check_parser = commands.add_parser(
        "check", help="validate the configuration and reach the LLM endpoint"
    )
    check_parser.set_defaults(run=run_check)


def run_check(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run the check: exit code 0 only when all is well (no API key: a configuration error)."""
    settings.require_llm()
    return 0 if asyncio.run(check(settings, out)) else 1


async def check_store(settings: Settings, report: Callable[[bool, str], None]) -> None:
    """Which store is in use, whether it is reachable, and whether it is migrated."""
    try:
        status = await Store.status(settings.store_location)
    except Exception as exc:  # any driver error is a failed check, not a crash
        setting = "DATABASE_URL" if settings.database_url else "DATABASE_PATH"
        # The driver's words name host, port or file; should they quote a secret, it is masked.
        words = mask(f"{type(exc).__name__}: {exc}", settings.secret_values)
        report(False, f"cannot reach the store of {setting}: {words}")
        return
    name = "PostgreSQL" if status.dialect == "postgres" else "SQLite"
    server = f" (server {status.server})" if status.server else ""
    where = settings.shown_database_url or status.where
    report(True, f"store: {name} at {where}{server}, reachable")
    if status.version > status.latest:
        report(False, f"store schema version {status.version} is newer than this bot's")
    elif status.version < status.latest:
        pending = status.latest - status.version
        report(True, f"store schema version {status.version}: {pending} migration(s) run at start")
    else:
        report(True, f"store migrated (schema version {status.version})")


def check_actions(settings: Settings, report: Callable[[bool, str], None]) -> None:
    """The operations of ACTIONS_SPEC that became tools, the consequential ones marked."""
    if settings.actions_spec is None:
        report(True, "ACTIONS_SPEC not set: no actions")
        return
    try:
        tools = action_tools(settings)
    except ConfigError as exc:
        report(False, str(exc))
        return
    report(True, f"ACTIONS_SPEC {settings.actions_spec}: {len(tools)} operation(s) became tools")
    for tool in tools:
        operation = tool.operation
        mark = " [consequential: the customer confirms]" if tool.consequential else ""
        report(True, f"  action {tool.name}: {operation.method} {operation.path}{mark}")


def mask(text: str, secrets: list[str]) -> str:
    """The text with every secret in it (longest first) replaced by the mask."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, SECRET_MASK)
    return text


async def check(settings: Settings, out: TextIO) -> bool:
    """Report each setting and the endpoint's models; True only when everything is fine."""
    ok = True

    def report(good: bool, text: str) -> None:
        nonlocal ok
        ok = ok and good
        out.write(f"{'ok ' if good else 'ERR'} {text}\n")

    try:
        settings.require_discord()
        report(
            True, "Discord settings present (DISCORD_TOKEN, SUPPORT_CHANNEL_ID, STAFF_CHANNEL_ID)"
        )
    except ConfigError as exc:
        report(False, str(exc))
    await check_store(settings, report)
    await check_webhooks(settings, report)
    check_actions(settings, report)
    async with endpoint(settings) as llm:
        try:
            models = await llm.list_models()
        except EndpointError as exc:
            url = settings.xai_base_url
            report(
                False,
                {
                    Unreachable.REFUSED_KEY: f"XAI_API_KEY was refused by {url}",
                    Unreachable.NO_CONNECTION: f"cannot reach XAI_BASE_URL {url}",
                    Unreachable.HTTP_ERROR: f"XAI_BASE_URL {url} answered HTTP {exc.status}",
                }[exc.reason],
            )
            return False
    report(True, f"endpoint {settings.xai_base_url} reachable, {len(models)} model(s)")
    for variable, name in (
        ("CHAT_MODEL", settings.chat_model),
        ("VISION_MODEL", settings.vision_model),
    ):
        if name in models:
            report(True, f"{variable} {name} exists")
        else:
            # Providers retire models: name what can be chosen instead.
            offered = ", ".join(sorted(models)) or "none"
            report(
                False,
                f"{variable} {name} is not offered by the endpoint (retired or misspelt?);"
                f" it offers: {offered}",
            )
    effort = settings.reasoning_effort or "not sent"
    report(True, f"REASONING_EFFORT {effort}")
    return ok
