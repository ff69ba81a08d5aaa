"""Running `python -m bot` as a real process with a clean environment (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakes.discord_server import FakeDiscord
    from fakes.openai_server import FakeLLM


def clean_env(**values: object) -> dict[str, str]:
    """Only what a process needs, plus the given settings (no developer .env leaks in)."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SYSTEMROOT") if k in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({k.upper(): str(v) for k, v in values.items()})
    return env


@dataclass
class Finished:
    """A finished process: exit code and output."""

    code: int
    stdout: str
    stderr: str


async def start_bot(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """Start `python -m bot ARGS` with its standard input, output and error piped."""
    pipe = asyncio.subprocess.PIPE
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd, stdin=pipe, stdout=pipe, stderr=pipe
    )


async def run_bot(
    *args: str, env: dict[str, str], cwd: Path, stdin: str = "", timeout: float = 30
) -> Finished:
    """Run `python -m bot ARGS` to completion."""
    process = await start_bot(*args, env=env, cwd=cwd)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout)
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())


def fake_bot_env(discord_fake: FakeDiscord, llm: FakeLLM, **values: object) -> dict[str, str]:
    """`clean_env` for a bot pointed at both fakes (Discord's token, channels, REST base and
    gateway; the model's base URL), plus the given settings."""
    return clean_env(
        discord_token=discord_fake.token,
        support_channel_id=discord_fake.support_channel_id,
        staff_channel_id=discord_fake.staff_channel_id,
        xai_base_url=llm.base_url,
        discord_api_base=discord_fake.api_base,
        discord_gateway_url=discord_fake.gateway_url,
        **values,
    )


@contextlib.asynccontextmanager
async def bot_process(
    env: dict[str, str], cwd: Path, log_path: Path, *, stop_timeout: float = 30
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot` writing to a log file (a full pipe nobody reads would block it); at the
    end, if still running, stopped with SIGTERM, then killed after `stop_timeout` seconds."""
    with log_path.open("a") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=cwd, stderr=log, stdout=log
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=stop_timeout)
            except TimeoutError:
                process.kill()
                await process.wait()
