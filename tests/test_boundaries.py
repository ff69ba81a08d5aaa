"""The layers' boundaries, checked on every run: which package may import or run what.

- only `bot/llm/` imports `openai` (the model's SDK);
- only `bot/frontends/discord/` imports `discord`;
- only `bot/store/` imports a database driver or holds SQL;
- a frontend imports nothing from `bot.llm` or `bot.store`: it talks to the engine.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (top-level module, the only folder that may import it)
OWNED_IMPORTS = {
    "openai": "bot/llm/",
    "discord": "bot/frontends/discord/",
    "aiosqlite": "bot/store/",
    "sqlite3": "bot/store/",
    "asyncpg": "bot/store/",
    "psycopg": "bot/store/",
}
FRONTENDS = "bot/frontends/"
NOT_FOR_FRONTENDS = ("bot.llm", "bot.store")
SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX))\b",
    re.IGNORECASE | re.DOTALL,
)


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def crossings(root: Path) -> list[str]:
    """Every import or SQL string under `root/bot` that crosses a boundary, one line each."""
    problems: list[str] = []
    for path in sorted((root / "bot").rglob("*.py")):
        where = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=where)
        for line, module in _imports(tree):
            top = module.split(".")[0]
            owner = OWNED_IMPORTS.get(top)
            if owner is not None and not where.startswith(owner):
                problems.append(f"{where}:{line} imports {module} (only {owner} may)")
            if where.startswith(FRONTENDS) and module.startswith(NOT_FOR_FRONTENDS):
                problems.append(f"{where}:{line} imports {module} (a frontend talks to the engine)")
        if not where.startswith("bot/store/"):
            problems.extend(
                f"{where}:{node.lineno} holds SQL (only bot/store/ may)"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SQL.search(node.value)
            )
    return problems


def test_the_code_keeps_to_its_boundaries():
    """Nothing in the bot crosses a boundary today."""
    assert crossings(REPO) == []


def test_a_planted_crossing_is_caught(tmp_path):
    """The check fails on a new crossing: `import openai` in a frontend, a store import in the
    terminal chat, SQL in the engine."""
    shutil.copytree(REPO / "bot", tmp_path / "bot")
    cog = tmp_path / "bot/frontends/discord/cogs/support.py"
    cog.write_text("import openai\n" + cog.read_text(encoding="utf-8"), encoding="utf-8")
    console = tmp_path / "bot/frontends/console.py"
    console.write_text(
        console.read_text(encoding="utf-8") + "\nfrom bot.store import Store\n", encoding="utf-8"
    )
    engine = tmp_path / "bot/engine/engine.py"
    engine.write_text(
        engine.read_text(encoding="utf-8") + '\nQUERY = "SELECT id FROM tickets"\n',
        encoding="utf-8",
    )
    found = crossings(tmp_path)
    assert any(
        p.startswith("bot/frontends/discord/cogs/support.py:1 imports openai") for p in found
    )
    assert any(p.startswith("bot/frontends/console.py:") and "bot.store" in p for p in found)
    assert any(p.startswith("bot/engine/engine.py:") and "SQL" in p for p in found)
