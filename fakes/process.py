"""Running `python -m bot` as a real process with a clean environment."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path


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


async def run_bot(
    *args: str, env: dict[str, str], cwd: Path, stdin: str = "", timeout: float = 30
) -> Finished:
    """Run `python -m bot ARGS` to completion."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout)
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())
