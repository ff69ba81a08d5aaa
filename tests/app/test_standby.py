"""One active process on one PostgreSQL, even when the network drops silently.

A TCP proxy in front of the real server can freeze a connection (bytes stop both ways, nothing
is closed: a silent drop), as a cut cable or a vanished host does; the server side is then
closed with pg_terminate_backend, as the server's own keepalives would after a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.app.standby import EXIT_LOCK_LOST, active_process
from bot.store.active_lock import ACTIVE_LOCK, ActiveLock
from fakes.postgres import fresh_schema
from fakes.tcp_proxy import FreezingProxy

ROOT = Path(__file__).resolve().parents[2]

# The active process in miniature: it holds the lock through `active_process` and stops as
# the bot does on SIGTERM; with "hangs", its clean shutdown needs the store, which a silent
# drop took away, and never finishes by itself.
CHILD = """
import asyncio, logging, signal, sys
from bot.app.standby import active_process

async def main(url):
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    async with active_process(url) as active:
        print("active" if active else "standby", flush=True)
        await stopping.wait()
        print("shutting down", flush=True)
        if sys.argv[2] == "hangs":
            await asyncio.Event().wait()

asyncio.run(main(sys.argv[1]))
"""


def _server_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


async def _waiting_for(admin: asyncpg.Connection, holder_pid: int) -> list[int]:
    """The backends waiting for a lock `holder_pid` holds."""
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", holder_pid
    )
    return [row["pid"] for row in rows]


async def _until(check, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _hold_lock(url: str) -> asyncpg.Connection:
    """A connection holding the active lock of `url`'s schema (another active process)."""
    holder = await asyncpg.connect(url)
    await holder.execute(f"SELECT pg_advisory_lock({ACTIVE_LOCK})")
    return holder


async def _stand_by(url: str) -> bool:
    """`active_process` until it is active (True), leaving at once."""
    async with active_process(url) as active:
        return active


@pytest.mark.parametrize("shutdown", ["finishes", "hangs"])
async def test_a_silent_drop_stops_the_active_process_and_the_standby_takes_over(
    postgres, shutdown
):
    """The active process's lock connection freezes: it stops, loudly and non-zero, within
    10 s, even when its clean shutdown cannot finish; the standby on a direct connection
    waits until the server frees the lock (here pg_terminate_backend), then takes over."""
    if postgres.url is None:
        pytest.skip(postgres.reason)
    loop = asyncio.get_running_loop()
    async with (
        fresh_schema(postgres.url) as url,
        FreezingProxy(*_server_address(postgres.url)) as proxy,
    ):
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            proxy.url(url),
            shutdown,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        standby = ActiveLock(url)
        try:
            assert child.stdout is not None
            assert child.stderr is not None
            line = await asyncio.wait_for(child.stdout.readline(), 15)
            assert line == b"active\n"
            taking_over = asyncio.create_task(standby.acquire())
            await asyncio.sleep(0.5)
            assert not taking_over.done()

            [link] = proxy.links
            frozen_at = loop.time()
            proxy.freeze(link)
            code = await asyncio.wait_for(child.wait(), 12)
            stopped_after = loop.time() - frozen_at
            errors = (await child.stderr.read()).decode()
            assert code == EXIT_LOCK_LOST
            print(f"stopped {stopped_after:.1f} s after the freeze:\n{errors}")
            assert stopped_after < 10, stopped_after
            assert "lost the active lock" in errors, errors
            assert "Traceback" not in errors, errors
            assert ("did not finish" in errors) == (shutdown == "hangs"), errors
            # The server still sees the frozen session holding the lock: nobody takes over yet.
            assert not taking_over.done()

            admin = await asyncpg.connect(url)
            try:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = $1",
                    link.upstream_port,
                )
            finally:
                await admin.close()
            await asyncio.wait_for(taking_over, 5)
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
            await standby.release()


async def test_a_standby_keeps_standing_by_when_its_connection_is_closed(postgres):
    """The standby's waiting connection is closed server side (pg_terminate_backend, as a
    failover or a restart does): it reconnects and waits again, and takes over later."""
    if postgres.url is None:
        pytest.skip(postgres.reason)
    async with fresh_schema(postgres.url) as url:
        holder = await _hold_lock(url)
        admin = await asyncpg.connect(url)
        waiting = asyncio.create_task(_stand_by(url))
        try:
            holder_pid = holder.get_server_pid()
            await _until(lambda: _has_waiter(admin, holder_pid), 10)
            [first] = await _waiting_for(admin, holder_pid)
            await admin.execute("SELECT pg_terminate_backend($1)", first)
            await _until(
                lambda: _has_waiter(admin, holder_pid, other_than=first, unless=waiting), 10
            )
            assert not waiting.done(), waiting
            await holder.close()
            assert await asyncio.wait_for(waiting, 5) is True
        finally:
            waiting.cancel()
            with contextlib.suppress(BaseException):
                await waiting
            await admin.close()
            await holder.close()


async def _has_waiter(
    admin: asyncpg.Connection,
    holder_pid: int,
    other_than: int = 0,
    unless: asyncio.Task[bool] | None = None,
) -> bool:
    """Whether a backend other than `other_than` waits for the holder (or `unless` ended)."""
    if unless is not None and unless.done():
        return True
    return any(pid != other_than for pid in await _waiting_for(admin, holder_pid))


@pytest.fixture
def own_cluster():
    """A throwaway PostgreSQL cluster of this test's own (it gets restarted); in a folder the
    server's user can reach (pytest's tmp_path is private to the user running the tests)."""
    folder = Path(tempfile.mkdtemp(prefix="bot-standby-pg-"))
    script = ROOT / "scripts" / "postgres"
    started = subprocess.run(
        ["bash", str(script), "start", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if started.returncode != 0:
        pytest.skip(f"no throwaway PostgreSQL: {started.stderr.strip()[-200:]}")
    try:
        yield folder, started.stdout.strip()
    finally:
        subprocess.run(["bash", str(script), "stop", str(folder)], check=False, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def _restart(folder: Path) -> None:
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    command = [str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w"]
    command += ["-l", str(folder / "server.log"), "restart"]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


async def test_a_standby_survives_a_server_restart(own_cluster):
    """PostgreSQL restarts while a process stands by: its wait reconnects instead of
    crashing, and as the restart freed the lock it takes over."""
    folder, url = own_cluster
    holder = await _hold_lock(url)
    waiting = asyncio.create_task(_stand_by(url))
    try:
        await asyncio.sleep(1)
        assert not waiting.done()
        await asyncio.to_thread(_restart, folder)
        assert await asyncio.wait_for(waiting, 10) is True
    finally:
        waiting.cancel()
        with contextlib.suppress(BaseException):
            await waiting
        holder.terminate()
