"""A turn's store round trips before its model request, counted through the store seam."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from bot.app.compose import build_engine, endpoint
from bot.engine.events import Incoming, ReplyText
from bot.frontends.console import LocalFiles
from bot.store import Store
from fakes.openai_server import Reply
from tests.conftest import make_settings

KEY = "console:round-trips"


class CountingStore:
    """The real store, with every awaited call noted together with how many model requests
    the fake endpoint had received by then."""

    def __init__(self, store: Store, llm: Any) -> None:
        self._store = store
        self._llm = llm
        self.calls: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not inspect.iscoroutinefunction(found):
            return found

        @functools.wraps(found)
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, len(self._llm.requests)))
            return await found(*args, **kwargs)

        return counted

    def before_request(self, number: int) -> list[str]:
        """The calls made after request `number - 1` and before request `number`."""
        return [name for name, requests in self.calls if requests == number - 1]


async def answer(engine, text: str, *, opens: bool = False) -> None:
    incoming = Incoming(KEY, "1001", "Omar", text, opens=opens)
    events = [event async for event in engine.receive(incoming)]
    assert any(isinstance(e, ReplyText) for e in events)


async def test_a_turn_makes_at_most_three_round_trips_before_its_model_request(llm, store_location):
    settings = make_settings(llm, store_location)
    async with Store.open(settings.store_location) as store, endpoint(settings) as model:
        counting = CountingStore(store, llm)
        engine = build_engine(settings, store=counting, llm=model, attachments=LocalFiles())  # type: ignore[arg-type]
        llm.script(Reply("Hello Omar!"))
        await answer(engine, "hi", opens=True)
        assert counting.before_request(1) == [
            "open_conversation",
            "store_message",
            "begin_turn",
        ]
        llm.script(Reply("Your order is on its way."))
        await answer(engine, "where is my order?")
        # After the first reply was stored (and the turn finished), the next message:
        assert counting.before_request(2)[-3:] == ["standing", "store_message", "begin_turn"]
