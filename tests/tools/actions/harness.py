"""The engine with the orders API's actions, as `python -m bot chat` wires it, against the
fake LLM and the fake orders API on loopback."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

from bot.app.compose import action_tools, build_engine, endpoint
from bot.frontends.console import ConsoleConfirmer, LocalFiles, chat
from bot.store import Store
from fakes.openai_server import FakeLLM
from fakes.orders_api import SPEC, TOKEN, FakeOrdersAPI
from tests.conftest import make_settings


class Terminal:
    """The engine and what the terminal chat printed."""

    def __init__(self, engine, store: Store, out: io.StringIO, stdin) -> None:
        self.engine = engine
        self.store = store
        self.out = out
        self.stdin = stdin

    async def chat(self, thread: str = "orders") -> str:
        await chat(self.engine, thread, stdin=self.stdin, out=self.out)
        return self.out.getvalue()


@contextlib.asynccontextmanager
async def terminal(
    llm: FakeLLM,
    api: FakeOrdersAPI,
    database: Path | str,
    lines: str | None = None,
    *,
    stdin=None,
    timeout: float = 2.0,
    confirm_seconds: float = 600.0,
) -> AsyncIterator[Terminal]:
    """The chat's engine with the actions of the example document; `lines` are typed."""
    settings = make_settings(
        llm, database, actions_spec=SPEC, actions_base_url=api.base_url, actions_token=TOKEN
    )
    stdin = stdin if stdin is not None else io.StringIO(lines or "")
    out = io.StringIO()
    actions = action_tools(settings, timeout=timeout, confirm_seconds=confirm_seconds)
    async with Store.open(settings.store_location) as store, endpoint(settings) as llm_endpoint:
        engine = build_engine(
            settings,
            store=store,
            llm=llm_endpoint,
            attachments=LocalFiles(),
            confirmer=ConsoleConfirmer(stdin, out),
            actions=actions,
        )
        await engine.prepare()
        yield Terminal(engine, store, out, stdin)


def tool_results(llm: FakeLLM) -> list[str]:
    """Every tool result the model was sent, in order, without repeats."""
    seen: list[str] = []
    for body in llm.requests:
        for message in body.get("messages", []):
            if message.get("role") == "tool" and message["content"] not in seen:
                seen.append(message["content"])
    return seen


def model_saw(llm: FakeLLM) -> str:
    """Everything sent to the model, as one text."""
    return json.dumps(llm.requests)
