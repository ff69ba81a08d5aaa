"""The layers' boundaries.

The import rules are import-linter contracts in `pyproject.toml`, checked by `lint-imports` in
the README's test command (`scripts/test`). Here: a planted crossing makes `lint-imports` fail,
so the contracts do bite; and what import-linter cannot see: SQL strings outside `bot/store/`,
and `sqlite3` (a contract cannot name a module nothing imports, and nothing imports sqlite3).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STORE = "bot/store/"
SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX))\b",
    re.IGNORECASE | re.DOTALL,
)


def sql_outside_the_store(root: Path) -> list[str]:
    """Every SQL string and `sqlite3` import under `root/bot` outside the store, one a line."""
    problems: list[str] = []
    for path in sorted((root / "bot").rglob("*.py")):
        where = path.relative_to(root).as_posix()
        if where.startswith(STORE):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=where)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if SQL.search(node.value):
                    problems.append(f"{where}:{node.lineno} holds SQL (only {STORE} may)")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    names.append(node.module or "")
                if any(name.split(".")[0] == "sqlite3" for name in names):
                    problems.append(f"{where}:{node.lineno} imports sqlite3 (only {STORE} may)")
    return problems


def test_sql_stays_in_the_store():
    assert sql_outside_the_store(REPO) == []


def test_planted_sql_is_caught(tmp_path):
    """SQL in the engine and a sqlite3 import in a tool are both found."""
    shutil.copytree(REPO / "bot", tmp_path / "bot")
    _append(tmp_path / "bot/engine/__init__.py", '\nQUERY = "SELECT id FROM tickets"\n')
    _append(tmp_path / "bot/tools/__init__.py", "\nimport sqlite3\n")
    found = sql_outside_the_store(tmp_path)
    assert any(p.startswith("bot/engine/__init__.py:") and "SQL" in p for p in found)
    assert any(p.startswith("bot/tools/__init__.py:") and "sqlite3" in p for p in found)


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _contract_name(contract_id: str) -> str:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c["name"] for c in contracts if c["id"] == contract_id)


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` over the tree at `root` (its pyproject.toml, its bot/)."""
    linter = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(linter), "--no-logo", "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "line", "contract", "shown"),
    [
        # The model's SDK in a cog.
        (
            "bot/frontends/discord/cogs/support.py",
            "import openai",
            "only-llm-imports-openai",
            "bot.frontends.discord.cogs.support -> openai",
        ),
        # The store straight from the terminal chat.
        (
            "bot/frontends/console.py",
            "from bot.store import Store",
            "frontends-talk-to-engine",
            "bot.frontends.console -> bot.store",
        ),
        # A lower layer reaching up.
        ("bot/desk/desk.py", "import bot.engine", "layers", "bot.desk.desk -> bot.engine"),
    ],
)
def test_a_planted_crossing_fails_lint_imports(tmp_path, module, line, contract, shown):
    """A copy of the tree with one bad import: `lint-imports` fails on that contract and
    names the import."""
    shutil.copytree(REPO / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    _append(tmp_path / module, f"\n{line}  # planted\n")
    result = _lint_imports(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"{_contract_name(contract)} BROKEN" in " ".join(output.split())
    assert shown in output
