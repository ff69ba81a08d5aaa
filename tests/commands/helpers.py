"""The environment of a `python -m bot` process pointed at the fake LLM."""

from __future__ import annotations

from pathlib import Path

from fakes.openai_server import FakeLLM
from fakes.process import clean_env
from tests.conftest import API_KEY, CHAT_MODEL, VISION_MODEL


def llm_env(llm: FakeLLM, tmp_path: Path, **extra: object) -> dict[str, str]:
    """A clean environment naming the fake endpoint, its models and key, and a SQLite file in
    `tmp_path`, plus the given settings."""
    return clean_env(
        xai_api_key=API_KEY,
        xai_base_url=llm.base_url,
        chat_model=CHAT_MODEL,
        vision_model=VISION_MODEL,
        database_path=tmp_path / "bot.sqlite3",
        **extra,
    )
