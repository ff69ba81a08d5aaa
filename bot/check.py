"""`python -m bot check`: is the configuration complete, are the LLM endpoint and webhooks there?"""

from __future__ import annotations

from typing import TextIO

from bot.app import endpoint
from bot.config import ConfigError, Settings
from bot.integrations.commands import check_webhooks
from bot.llm import EndpointError, Unreachable


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
    report(True, f"database: {settings.database_path}")
    await check_webhooks(settings, report)
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
