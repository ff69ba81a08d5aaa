"""`python -m bot eval` end to end against a real OpenAI-compatible server: llama.cpp with
SmolLM2-135M (tests/llm/real_server.py), on one task of the shipped set.

The model is tiny, so the test asserts that the command ran the task against the server and
wrote the `--json` report in the documented shape, never that the model passed.
"""

from __future__ import annotations

import json
import shutil

import pytest

from bot.commands.eval.tasks import SHIPPED_TASKS, load_tasks
from fakes.process import clean_env, run_bot
from tests.llm.real_server import API_KEY, missing_packages
from tests.llm.test_real_server import llama  # noqa: F401 (the module's llama.cpp server)

pytestmark = pytest.mark.skipif(
    missing_packages() is not None, reason=f"no real llama.cpp server: {missing_packages()}"
)

# A one-question help-center task of the shipped set: one scripted turn, no image.
SHIPPED_TASK = "hc-password-reset.yaml"


@pytest.mark.timeout(600)  # a loaded CI machine: one model request can take a minute
async def test_a_shipped_task_runs_against_llama_cpp(llama, tmp_path):  # noqa: F811
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    shutil.copy(SHIPPED_TASKS / SHIPPED_TASK, tasks / SHIPPED_TASK)
    (task,) = load_tasks(tasks)
    out = tmp_path / "eval.json"
    env = clean_env(
        xai_api_key=API_KEY,
        xai_base_url=llama.base_url,
        chat_model=llama.model,
        vision_model=llama.model,
        reasoning_effort="",  # llama.cpp does not know the parameter
        database_path=tmp_path / "unused.sqlite3",
    )
    result = await run_bot(
        "eval", "--tasks", str(tasks), "--k", "1", "--json", str(out),
        env=env, cwd=tmp_path, timeout=540,
    )  # fmt: skip
    assert result.code in (0, 1), result.stdout + result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {"tasks", "pass_hat", "cost_usd"} <= set(report)  # DESIGN.md's keys, at least
    (ran,) = report["tasks"]
    assert set(ran) == {"name", "trials", "passed", "pass_hat", "failures"}
    assert ran["name"] == task.name
    assert ran["trials"] == 1
    assert ran["passed"] in (0, 1)
    assert ran["pass_hat"] == {"1": float(ran["passed"])}
    assert report["pass_hat"] == ran["pass_hat"]
    # A failed trial says why; a passed one has nothing to say; the exit code agrees.
    assert (ran["failures"] == []) == (ran["passed"] == 1) == (result.code == 0)
    assert all(reason.startswith("trial 1: ") for reason in ran["failures"])
    # The server answered: its token usage was counted and priced.
    assert report["cost_usd"] > 0
    assert "pass^1" in result.stdout
