"""`python -m bench.soak` runs a short soak and reports consistent figures (not their values)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def test_a_short_soak_accounts_for_every_message(tmp_path: Path) -> None:
    """A few seconds of traffic, the SIGKILL and the restart: every message sent is answered,
    given a notice or lost; the table, the summary line and the JSON all say so."""
    out_file = tmp_path / "soak.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.soak",
        "--minutes",
        "0.15",
        "--customers",
        "3",
        "--drain",
        "5",
        "--seed",
        "7",
        "--json",
        str(out_file),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()[-3000:]
    figures = json.loads(out_file.read_text())
    assert figures["messages"] > 0
    assert figures["messages"] == figures["answered"] + figures["failure_notices"] + figures["lost"]
    assert len(figures["per_message"]) == figures["messages"]
    assert figures["lost_tokens"] == [
        m["ref"] for m in figures["per_message"] if m["outcome"] == "lost"
    ]
    assert figures["killed_at_s"] is not None
    assert figures["model_requests"] > 0
    for key in ("duplicate_tickets", "invalid_histories", "p50_s", "p95_s", "max_s"):
        assert key in figures
    text = out.decode()
    assert re.search(r"^\| messages sent \| \d+ \|$", text, re.M), text
    summary = (
        rf"^soak: {figures['answered']}/{figures['messages']} answered \(\d+\.\d%\),"
        rf" {figures['failure_notices']} failure notices, {figures['lost']} lost,"
        rf" {figures['duplicate_tickets']} duplicate tickets,"
        rf" {figures['invalid_histories']} invalid histories, p95 "
    )
    assert re.search(summary, text, re.M), text


def test_the_history_check_is_the_fake_models_own() -> None:
    """The soak judges stored histories as the fake model judges requests: each of the three
    refusals is found, and a valid history with a tool round passes."""
    from fakes.openai_server.checks import history_problem

    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    user = {"role": "user", "content": "hi"}
    good = [
        user,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "assistant", "content": "done"},
    ]
    assert history_problem(good) is None
    assert history_problem([user, {"role": "assistant", "content": None}]) is not None
    assert history_problem([user, {"role": "tool", "tool_call_id": "c1", "content": "x"}])
    assert history_problem([user, {"role": "assistant", "content": "", "tool_calls": [call]}])
