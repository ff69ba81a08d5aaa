"""The system prompt: a Markdown file an operator can edit without touching code."""

from __future__ import annotations

from importlib import resources


def load_system_prompt() -> str:
    """The packaged system prompt."""
    return (resources.files("bot.engine") / "prompts" / "system.md").read_text("utf-8").strip()
