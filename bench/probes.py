"""Measuring the bot process and the benchmark's own loop: CPU, memory, profile, lag."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_peak_kib(pid: int) -> int:
    """Peak resident memory (VmHWM) of a process in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def start_profiler(pid: int) -> asyncio.subprocess.Process | None:
    """With BENCH_PROFILE=FILE, py-spy samples the bot during the run (raw flame graph data)."""
    target = os.environ.get("BENCH_PROFILE")
    if not target:
        return None
    py_spy = Path(sys.executable).with_name("py-spy")
    return await asyncio.create_subprocess_exec(
        str(py_spy),
        "record",
        "--format",
        "raw",
        "--rate",
        "250",
        "-o",
        target,
        "-p",
        str(pid),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def watch_lag(lags: list[float], stop: asyncio.Event) -> None:
    """How late the benchmark's own event loop (the fakes') wakes up: it must stay small."""
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.sleep(0.05)
        lags.append(time.monotonic() - started - 0.05)
