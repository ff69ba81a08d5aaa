"""Helpers of the rating and person-button tests: the prompt, its buttons, a moved clock."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.engine.copy import RATING_QUESTION
from bot.frontends.discord.bot import conversation_key
from bot.store import RatingRecord
from fakes.discord_server import FakeDiscord


def prompts(fake: FakeDiscord, thread_id: int) -> list[dict]:
    """The rating prompts in a thread, oldest first."""
    return [m for m in fake.messages(thread_id) if m["content"] == RATING_QUESTION]


def button_labels(message: dict) -> list[str]:
    return [
        c.get("label", "") for row in message.get("components") or [] for c in row["components"]
    ]


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


def move_clock(runner, by: dt.timedelta) -> None:
    """The ratings' clock (and so the quiet period) runs `by` ahead of the wall clock."""
    runner.bot.engine.operations.ratings.clock = lambda: dt.datetime.now(dt.UTC) + by


async def sweep(runner) -> int:
    """One look for due rating prompts, as the minute's sweep makes it (once every turn
    under way has ended: the answer shows before its turn is marked done)."""
    store = runner.bot.engine.services.store
    for _ in range(500):
        if not await store.unfinished():
            break
        await asyncio.sleep(0.01)
    # discord.py loads each extension as a module of its own: the cog is found by name.
    cog = runner.bot.get_cog("Outcomes")
    assert cog is not None
    return await cog.ask_due()


async def stored_ratings(runner, thread_id: int) -> list[RatingRecord]:
    store = runner.bot.engine.services.store
    conversation = await store.get_conversation(conversation_key(thread_id))
    assert conversation is not None
    return await store.ratings_for_conversation(conversation.id)
