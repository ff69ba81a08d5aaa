"""Shared fixtures: the fake LLM endpoint, settings pointing at it, and a real engine."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app.compose import build_engine, endpoint
from bot.config import Settings
from bot.desk.delivery import ticket_delivery
from bot.engine.engine import SupportEngine
from bot.frontends.console import ConsoleTickets, LocalFiles
from bot.store import Store
from fakes.constants import API_KEY, CHAT_MODEL, VISION_MODEL
from fakes.openai_server import FakeLLM
from fakes.postgres import Server, fresh_schema, postgres_server


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    """A fake OpenAI-compatible endpoint; each test must use up exactly its script."""
    async with FakeLLM(models=[CHAT_MODEL, VISION_MODEL], api_key=API_KEY) as fake:
        yield fake
        assert fake.unexpected == []


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """The PostgreSQL the tests use (TEST_DATABASE_URL, or one started here), if any."""
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
async def store_location(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: Server
) -> AsyncIterator[Path | str]:
    """A fresh, empty store of each kind: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield tmp_path / "bot.sqlite3"
        return
    if postgres.url is None:
        pytest.skip(postgres.reason)
    async with fresh_schema(postgres.url) as url:
        yield url


def make_settings(llm: FakeLLM, database: Path | str, **overrides: object) -> Settings:
    """Settings for tests: the fake endpoint, a temporary database (a SQLite file, or a
    PostgreSQL URL), no .env file."""
    values: dict[str, object] = {
        "xai_api_key": API_KEY,
        "xai_base_url": llm.base_url,
        "chat_model": CHAT_MODEL,
        "vision_model": VISION_MODEL,
    }
    if isinstance(database, str) and database.startswith(("postgres://", "postgresql://")):
        values["database_url"] = database
    else:
        values["database_path"] = database
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def outbox_drained(store: Store, timeout: float = 10.0) -> None:
    """Wait until no ticket event waits for delivery."""
    async with asyncio.timeout(timeout):
        while (await store.delivery_counts())["pending"]:
            await asyncio.sleep(0.01)


class EngineHarness:
    """A real engine over the fake endpoint, with tickets printed to a buffer."""

    def __init__(self, engine: SupportEngine, store: Store, tickets: io.StringIO) -> None:
        self.engine = engine
        self.store = store
        self._tickets = tickets

    @property
    def printed(self) -> str:
        """What the console notifier printed so far."""
        return self._tickets.getvalue()

    async def delivered(self) -> str:
        """What the console printed once the outbox has delivered everything."""
        await outbox_drained(self.store)
        return self._tickets.getvalue()


@contextlib.asynccontextmanager
async def engine_harness(
    llm: FakeLLM, database: Path | str, **overrides: object
) -> AsyncIterator[EngineHarness]:
    """The support engine wired as `python -m bot chat` wires it, against the fake LLM."""
    settings = make_settings(llm, database, **overrides)
    tickets = io.StringIO()
    async with Store.open(settings.store_location) as store, endpoint(settings) as llm_endpoint:
        engine = build_engine(settings, store=store, llm=llm_endpoint, attachments=LocalFiles())
        async with ticket_delivery(settings, store, ConsoleTickets(tickets)):
            yield EngineHarness(engine, store, tickets)


@pytest.fixture
async def harness(llm: FakeLLM, store_location: Path | str) -> AsyncIterator[EngineHarness]:
    """The engine with default settings over a fresh database, of each kind."""
    async with engine_harness(llm, store_location) as running:
        yield running


# Tests that measure time (Discord's rate windows, signs within seconds, a lock lost within
# seconds) or run the real llama.cpp model (it wants the CPU): scripts/test runs them after the
# parallel part, with the machine to themselves.
ALONE = (
    "tests/llm/test_real_server.py",
    "tests/commands/test_eval_real.py",
    "tests/frontends/discord/streaming/",
    "tests/frontends/discord/test_waiting.py",
    "tests/frontends/discord/test_bursts.py",
    "tests/app/test_standby.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that must run alone (see ALONE)."""
    root = Path(__file__).resolve().parent.parent
    for item in items:
        where = Path(str(item.fspath)).resolve().relative_to(root).as_posix()
        if where.startswith(ALONE):
            item.add_marker(pytest.mark.alone)
