"""`check` shows where the store is, never DATABASE_URL's password, nor a piece of it."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from fakes.process import run_bot
from tests.commands.helpers import llm_env

PASSWORD = "hunter2-Zq8x"


def with_password(url: str, password: str) -> str:
    """The URL with `password` in its user part (a trust-auth server ignores it)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    netloc = f"{user}:{password}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


async def test_check_shows_the_database_url_with_its_password_masked(tmp_path, llm, postgres):
    """The store line names the URL (user, host, port, database) with `[secret]` for the
    password, in the user part or in a `password` query parameter."""
    if postgres.url is None:
        pytest.skip(postgres.reason)
    in_user = with_password(postgres.url, PASSWORD)
    base = urlsplit(postgres.url)
    in_query = urlunsplit(base._replace(query=f"password={PASSWORD}"))
    for url, shown in (
        (in_user, with_password(postgres.url, "[secret]")),
        (in_query, urlunsplit(base._replace(query="password=[secret]"))),
    ):
        env = llm_env(llm, tmp_path, database_url=url)
        result = await run_bot("check", env=env, cwd=tmp_path)
        output = result.stdout + result.stderr
        assert PASSWORD not in output
        line = next(line for line in result.stdout.splitlines() if "store: PostgreSQL" in line)
        assert line.startswith(f"ok  store: PostgreSQL at {shown} (server ")


async def test_a_password_that_breaks_the_url_is_not_shown_in_pieces(tmp_path, llm):
    """An unencoded "/" in the password turns part of it into what a parser takes for the
    port: a clear one-line error naming DATABASE_URL, and no piece of the password."""
    env = llm_env(llm, tmp_path, database_url="postgresql://bot:Zq8/secretpart@db.example/bot")
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: bad setting DATABASE_URL: ")
    assert "Zq8" not in result.stderr
    assert "secretpart" not in result.stderr
