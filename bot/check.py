"""`python -m bot check`: is the configuration complete, are the LLM endpoint and webhooks there?"""

from __future__ import annotations

from typing import TextIO

import openai

from bot.app import llm_client
from bot.config import ConfigError, Settings
from bot.integrations.commands import check_webhooks


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
    client = llm_client(settings, max_retries=1)
    async with client:
        try:
            models = {model.id async for model in client.models.list()}
        except openai.AuthenticationError:
            report(False, f"XAI_API_KEY was refused by {settings.xai_base_url}")
            return False
        except openai.APIConnectionError:
            report(False, f"cannot reach XAI_BASE_URL {settings.xai_base_url}")
            return False
        except openai.APIStatusError as exc:
            report(False, f"XAI_BASE_URL {settings.xai_base_url} answered HTTP {exc.status_code}")
            return False
    report(True, f"endpoint {settings.xai_base_url} reachable, {len(models)} model(s)")
    for variable, name in (
        ("CHAT_MODEL", settings.chat_model),
        ("VISION_MODEL", settings.vision_model),
    ):
        if name in models:
            report(True, f"{variable} {name} exists")
        else:
            report(False, f"{variable} {name} is not offered by the endpoint")
    return ok
