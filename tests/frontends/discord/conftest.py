"""The real SupportBot, run in-process against the fake Discord and the fake LLM."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app.compose import build_engine, endpoint
from bot.desk.delivery import ticket_delivery
from bot.desk.outbox import RetryPolicy
from bot.frontends.discord.bot import SupportBot
from bot.frontends.discord.run import build_support_bot, point_discord_py_at
from bot.frontends.discord.staff import StaffChannel
from bot.store import Store
from fakes.discord_limits import LimitedDiscord
from fakes.discord_server import FakeDiscord
from fakes.openai_server import FakeLLM
from tests.conftest import make_settings
from tests.frontends.discord.helpers import discord_settings


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord with Discord's real rate limits on; no request of the bot may break the
    spec, draw a 429 or hit an unknown route."""
    async with LimitedDiscord() as fake:
        yield fake
        assert fake.violations == []
        assert fake.unexpected == []


class BotRunner:
    """Starts and stops the bot over one database, as a deployment would across restarts."""

    def __init__(self, fake: FakeDiscord, llm: FakeLLM, database: Path | str) -> None:
        self.fake = fake
        self.llm = llm
        self.settings = make_settings(llm, database, **discord_settings(fake))
        self.bot: SupportBot | None = None
        self.retry: RetryPolicy | None = None
        # Builds the action tools (ACTIONS_SPEC) with test timeouts; None: from the settings.
        self.make_actions: Any = None

    @contextlib.asynccontextmanager
    async def running(self, **bot_options: Any) -> AsyncIterator[SupportBot]:
        """Run the bot until the block ends, then shut it down cleanly."""
        # discord.py waits this long for more guilds before on_ready; the fake has one.
        bot_options.setdefault("guild_ready_timeout", 0.05)
        settings = self.settings
        with self.fake.patch_discord_py():
            point_discord_py_at(settings)
            async with Store.open(settings.store_location) as store, endpoint(settings) as llm:
                bot = build_support_bot(
                    settings,
                    lambda attachments, confirmer: build_engine(
                        settings,
                        store=store,
                        llm=llm,
                        attachments=attachments,
                        confirmer=confirmer,
                        actions=self.make_actions(settings) if self.make_actions else None,
                    ),
                    **bot_options,
                )
                self.bot = bot
                staff = StaffChannel(bot, self.fake.staff_channel_id)
                async with (
                    self.fake.run_client(bot),
                    ticket_delivery(settings, store, staff, retry=self.retry),
                ):
                    yield bot
                self.bot = None


@pytest.fixture
def runner(discord_fake: FakeDiscord, llm: FakeLLM, store_location: Path | str) -> BotRunner:
    """A bot runner over a fresh database, of each kind."""
    return BotRunner(discord_fake, llm, store_location)
