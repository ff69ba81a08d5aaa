"""`python -m bot eval`: the operator's customer tasks, each run K times, scored as pass^k."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.app.compose import endpoint
from bot.commands.eval.checks import failures
from bot.commands.eval.scores import overall, pass_hats
from bot.commands.eval.tasks import SHIPPED_TASKS, Task, load_tasks
from bot.commands.eval.transcript import Transcript
from bot.commands.eval.trial import run_trial
from bot.config import Settings


def add_eval_commands(commands: Any) -> None:
    """Add `eval` to the command line."""
    evaluate = commands.add_parser("eval", help="run the customer tasks K times; pass^k")
    evaluate.add_argument("--tasks", type=Path, default=SHIPPED_TASKS, metavar="DIR")
    evaluate.add_argument("--k", type=_positive, default=1, metavar="K")
    evaluate.add_argument("--json", type=Path, metavar="FILE")
    evaluate.set_defaults(run=run_eval, interactive=True)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@dataclass
class TaskResult:
    """One task's trials: how many passed, and why the others failed."""

    task: Task
    trials: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    transcripts: list[Transcript] = field(default_factory=list)


def run_eval(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run every task K times; print the table; 0 only when every trial passed."""
    settings.require_llm()
    tasks = load_tasks(args.tasks)
    results = asyncio.run(evaluate(tasks, settings, args.k))
    report = summarize(results, settings)
    print_report(report, results, out)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.passed == r.trials for r in results) else 1


async def evaluate(tasks: list[Task], settings: Settings, k: int) -> list[TaskResult]:
    """Each task K times, each trial from a blank conversation."""
    results: list[TaskResult] = []
    async with endpoint(settings) as llm:
        simulator = llm.chat_model(
            settings.simulator_model or settings.chat_model,
            max_output_tokens=settings.max_output_tokens,
        )
        for task in tasks:
            result = TaskResult(task)
            for number in range(1, k + 1):
                seen = await run_trial(task, settings, llm, simulator, number)
                reasons = failures(task.expect, seen)
                result.trials += 1
                result.passed += not reasons
                result.failures += [f"trial {number}: {reason}" for reason in reasons]
                result.transcripts.append(seen)
            results.append(result)
    return results


def cost_usd(input_tokens: int, cached: int, output: int, settings: Settings) -> float:
    """What the tokens cost at PRICE_INPUT, PRICE_CACHED_INPUT and PRICE_OUTPUT."""
    return (
        (input_tokens - cached) * settings.price_input
        + cached * settings.price_cached_input
        + output * settings.price_output
    ) / 1_000_000


def summarize(results: list[TaskResult], settings: Settings) -> dict[str, Any]:
    """The `--json` shape of DESIGN.md."""
    tasks: list[dict[str, Any]] = [
        {
            "name": r.task.name,
            "trials": r.trials,
            "passed": r.passed,
            "pass_hat": pass_hats(r.passed, r.trials),
            "failures": r.failures,
        }
        for r in results
    ]
    seen = [t for r in results for t in r.transcripts]
    tokens = (
        sum(t.input_tokens for t in seen),
        sum(t.cached_tokens for t in seen),
        sum(t.output_tokens for t in seen),
    )
    return {
        "tasks": tasks,
        "pass_hat": overall([t["pass_hat"] for t in tasks]),
        "cost_usd": round(cost_usd(*tokens, settings), 6),
        "tokens": {"input": tokens[0], "cached_input": tokens[1], "output": tokens[2]},
    }


def print_report(report: dict[str, Any], results: list[TaskResult], out: TextIO) -> None:
    """A table of pass^1..pass^K per task and overall, tokens, cost and each failure."""
    ks = list(report["pass_hat"])
    width = max([len("overall"), *(len(t["name"]) for t in report["tasks"])])
    header = f"{'task':<{width}}  passed  " + "  ".join(f"pass^{k:<3}" for k in ks)
    out.write(header + "\n" + "-" * len(header) + "\n")
    for task in report["tasks"]:
        hats = "  ".join(f"{task['pass_hat'][k]:>7.0%}" for k in ks)
        out.write(f"{task['name']:<{width}}  {task['passed']:>2}/{task['trials']:<3}  {hats}\n")
    hats = "  ".join(f"{report['pass_hat'][k]:>7.0%}" for k in ks)
    out.write(f"{'overall':<{width}}  {'':6}  {hats}\n")
    tokens = report["tokens"]
    out.write(
        f"\ntokens: {tokens['input']:,} input ({tokens['cached_input']:,} cached),"
        f" {tokens['output']:,} output; cost ${report['cost_usd']:.4f}\n"
    )
    failed = [r for r in results if r.failures]
    for result in failed:
        out.write(f"\n{result.task.name}:\n")
        out.writelines(f"  - {reason}\n" for reason in result.failures)
    every = sum(r.trials for r in results)
    good = sum(r.passed for r in results)
    out.write(f"\n{good} of {every} trials passed; {len(failed)} task(s) failed at least once\n")
