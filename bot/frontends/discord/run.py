"""Discord start-up: point discord.py where the settings say, run the bot, stop on a signal."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.config import ConfigError, Settings
from bot.desk.destinations import TicketNotifier
from bot.engine.engine import SupportEngine
from bot.frontends.discord.attachments import DiscordAttachments
from bot.frontends.discord.bot import SupportBot
from bot.frontends.discord.staff import StaffChannel
from bot.tools.context import AttachmentReader

log = logging.getLogger(__name__)

EngineFactory = Callable[[AttachmentReader], SupportEngine]
TicketDelivery = Callable[[TicketNotifier], AbstractAsyncContextManager[object]]


def point_discord_py_at(settings: Settings) -> None:
    """Send REST and the gateway where the settings say (a proxy or a test server)."""
    discord.http.Route.BASE = settings.discord_api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def build_support_bot(settings: Settings, make_engine: EngineFactory, **options: Any) -> SupportBot:
    """The bot wired from the settings; its engine reads attachments through Discord."""
    _, support_channel_id, staff_channel_id = settings.require_discord()
    return SupportBot(
        make_engine=lambda client: make_engine(DiscordAttachments(client)),
        support_channel_id=support_channel_id,
        staff_channel_id=staff_channel_id,
        staff_role_id=settings.staff_role_id,
        private_threads=settings.thread_visibility == "private",
        threads_per_minute=settings.threads_per_minute,
        **options,
    )


async def run_discord(
    settings: Settings, make_engine: EngineFactory, deliver_tickets: TicketDelivery
) -> None:
    """Run the bot until SIGINT or SIGTERM, then shut down cleanly.

    `deliver_tickets` runs the ticket-event delivery (staff posts, webhooks) while the bot
    does; the staff channel is one of its destinations.
    """
    token, _, staff_channel_id = settings.require_discord()
    point_discord_py_at(settings)
    bot = build_support_bot(settings, make_engine)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []

    def shut_down(signal_name: str) -> None:
        log.info("%s received: shutting down", signal_name)
        closing.append(loop.create_task(bot.close()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shut_down, sig.name)
    async with bot, deliver_tickets(StaffChannel(bot, staff_channel_id)):
        try:
            await bot.start(token)
        except discord.LoginFailure:
            raise ConfigError("bad setting DISCORD_TOKEN: Discord refused it") from None
