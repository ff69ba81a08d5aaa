"""The fake Discord the self-tests run against."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes.discord_server import FakeDiscord


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    """A running fake with discord.py patched to use it."""
    async with FakeDiscord() as fake:
        with fake.patch_discord_py():
            yield fake
