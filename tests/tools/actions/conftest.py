"""The fake orders API for the actions' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes.orders_api import FakeOrdersAPI


@pytest.fixture
async def api() -> AsyncIterator[FakeOrdersAPI]:
    """The demo orders API on loopback, recording every request."""
    async with FakeOrdersAPI() as fake:
        yield fake
