"""`python -m bot eval`: tasks run K times against the endpoint, scored as tau-bench's pass^k."""

from __future__ import annotations

import json
from math import comb

import pytest

from bot.commands.eval.scores import overall, pass_hat, pass_hats
from fakes.openai_server import Reply
from fakes.process import run_bot
from tests.commands.helpers import llm_env

PASSING = """
name: refund-times
customer: {name: Omar}
turns: ["how long does a refund take?"]
expect:
  says: ["3 to 5 business days"]
  ticket: false
"""
FAILING = """
name: no-promises
customer: {name: Lena}
turns: ["I want all my money back right now"]
expect:
  never_says: ["full refund"]
"""
FLAKY = """
name: late-order
customer: {name: Jo}
turns: ["my order is late"]
expect:
  says: ["sorry"]
"""
SIMULATED = """
name: simulated-refund
customer: {name: Ana}
goal: "find out how long a refund takes"
expect:
  says: ["5 business days"]
"""


def test_pass_hat_is_the_chance_that_k_trials_all_pass():
    assert pass_hat(3, 4, 1) == 3 / 4
    assert pass_hat(3, 4, 2) == comb(3, 2) / comb(4, 2) == 0.5
    assert pass_hat(3, 4, 4) == 0
    assert pass_hats(2, 2) == {"1": 1.0, "2": 1.0}
    assert overall([{"1": 1.0, "2": 1.0}, {"1": 0.5, "2": 0.0}]) == {"1": 0.75, "2": 0.5}
    with pytest.raises(ValueError, match="k must be"):
        pass_hat(1, 2, 3)


async def test_a_passing_a_failing_and_a_flaky_task(llm, tmp_path):
    """Two trials each: pass^k per task and overall as tau-bench defines it; exit 1."""
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    for name, text in (("a.yaml", PASSING), ("b.yaml", FAILING), ("c.yaml", FLAKY)):
        (tasks / name).write_text(text, encoding="utf-8")
    llm.script(
        Reply("Refunds take 3 to 5 business days to reach your card."),
        Reply("Refunds take 3 to 5 business days."),
        Reply("I can't promise a full refund; a person will look at it."),
        Reply("I'll pass this on: a full refund is up to staff."),
        Reply("Sorry about that! It should arrive soon."),
        Reply("It should arrive soon."),
    )
    out = tmp_path / "result.json"
    result = await run_bot(
        "eval", "--tasks", str(tasks), "--k", "2", "--json", str(out),
        env=llm_env(llm, tmp_path), cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert result.code == 1, result.stdout + result.stderr
    report = json.loads(out.read_text())
    by_name = {t["name"]: t for t in report["tasks"]}
    assert by_name["refund-times"]["passed"] == 2
    assert by_name["refund-times"]["pass_hat"] == {"1": 1.0, "2": 1.0}
    assert by_name["no-promises"]["pass_hat"] == {"1": 0.0, "2": 0.0}
    assert by_name["late-order"]["trials"] == 2
    assert by_name["late-order"]["pass_hat"] == {"1": 0.5, "2": 0.0}
    assert report["pass_hat"] == pytest.approx({"1": 0.5, "2": 1 / 3})
    assert any("never_says: 'full refund'" in f for f in by_name["no-promises"]["failures"])
    assert by_name["late-order"]["failures"] == [
        "trial 2: says: 'sorry' missing; the answer said 'It should arrive soon.'"
    ]
    # 6 requests of 10 prompt and 20 completion tokens (the fake's usage) at the defaults.
    assert report["cost_usd"] == pytest.approx((60 * 1.25 + 120 * 2.50) / 1_000_000)
    assert "pass^1" in result.stdout
    assert "3 of 6 trials passed; 2 task(s) failed at least once" in result.stdout


async def test_every_task_passing_every_time_exits_0(llm, tmp_path):
    (tmp_path / "refund.yaml").write_text(PASSING, encoding="utf-8")
    llm.script(Reply("Refunds take 3 to 5 business days."))
    result = await run_bot(
        "eval", "--tasks", str(tmp_path), env=llm_env(llm, tmp_path), cwd=tmp_path
    )
    assert result.code == 0, result.stdout + result.stderr
    assert "1 of 1 trials passed" in result.stdout


async def test_a_simulated_customer_follows_its_goal_until_done(llm, tmp_path):
    """Without turns the model plays the customer: its messages reach the assistant, and
    DONE ends the conversation."""
    (tmp_path / "simulated.yaml").write_text(SIMULATED, encoding="utf-8")
    llm.script(
        Reply("Hi, how long does a refund take?"),  # the simulated customer
        Reply("Refunds take 3 to 5 business days."),  # the assistant
        Reply("DONE"),  # the customer's goal is met
    )
    result = await run_bot(
        "eval", "--tasks", str(tmp_path), env=llm_env(llm, tmp_path), cwd=tmp_path
    )
    assert result.code == 0, result.stdout + result.stderr
    persona = llm.requests[0]["messages"][0]["content"]
    assert "Your name is Ana" in persona
    assert "find out how long a refund takes" in persona
    assistant_saw = [m["content"] for m in llm.requests[1]["messages"] if m["role"] == "user"]
    assert assistant_saw == ["Hi, how long does a refund take?"]


async def test_a_broken_task_file_is_one_clear_line(llm, tmp_path):
    (tmp_path / "broken.yaml").write_text("name: x\ncustomer: {name: A}\n", encoding="utf-8")
    result = await run_bot(
        "eval", "--tasks", str(tmp_path), env=llm_env(llm, tmp_path), cwd=tmp_path
    )
    assert result.code == 2
    assert result.stderr.strip() == (
        "error: task broken.yaml: task: Value error, a task needs `turns` or a `goal` for the"
        " simulated customer"
    )
