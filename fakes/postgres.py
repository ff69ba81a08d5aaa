"""A real PostgreSQL for the tests and benchmarks: TEST_DATABASE_URL when set (.ci/run sets
it), otherwise a throwaway cluster started with scripts/postgres when the server binaries are
installed.

Each test gets a schema of its own (created and dropped around it), named in the URL's
`search_path`, so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Server:
    """A reachable server (url), or why there is none (reason)."""

    url: str | None
    reason: str = ""


@contextlib.contextmanager
def postgres_server() -> Iterator[Server]:
    """The server the tests use for the whole session."""
    given = os.environ.get("TEST_DATABASE_URL", "").strip()
    if given:
        yield Server(given)
        return
    folder = tempfile.mkdtemp(prefix="bot-tests-pg-")
    started = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres"), "start", folder],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if started.returncode != 0:
        reason = started.stderr.strip().splitlines()[-1:] or ["unknown error"]
        yield Server(
            None,
            f"no PostgreSQL: TEST_DATABASE_URL is unset and scripts/postgres could not start a"
            f" server ({reason[0]}); install the postgresql package to run these",
        )
        return
    try:
        yield Server(started.stdout.strip())
    finally:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "postgres"), "stop", folder],
            capture_output=True,
            check=False,
            timeout=60,
        )


def with_schema(url: str, schema: str) -> str:
    """The URL with the schema as the connection's search_path (asyncpg passes unknown query
    parameters on as server settings)."""
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


@contextlib.asynccontextmanager
async def fresh_schema(url: str) -> AsyncIterator[str]:
    """A new, empty schema on the server, dropped afterwards; yields its URL."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield with_schema(url, schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()
