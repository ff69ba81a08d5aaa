"""Ratings in the store: one prompt per episode, part of a customer's export, gone with
`forget`."""

from __future__ import annotations

from bot.store import NewMessage, Store
from tests.store.helpers import OMAR, store_conversation


async def test_one_prompt_per_episode_and_privacy(store_location):
    async with Store.open(store_location) as store:
        omar = await store_conversation(store, OMAR, "Omar", 500)
        cid = omar.conversation_id
        asked = await store.ask_rating(cid, reason="quiet")
        assert asked is not None
        assert await store.ask_rating(cid, reason="resolved") is None  # same episode
        await store.rate(asked.id, by=OMAR, rating=3)
        await store.rate(asked.id, by=OMAR, comment="The driver got lost")
        await store.store_message(cid, NewMessage(role="user", content="Again", author_id=OMAR))
        again = await store.ask_rating(cid, reason="quiet")
        assert again is not None  # the customer wrote: a new episode
        assert [r.id for r in await store.ratings_for_conversation(cid)] == [asked.id, again.id]

        exported = await store.export_customer(OMAR)
        (conversation,) = exported["conversations"]
        assert [(r["rating"], r["comment"]) for r in conversation["ratings"]] == [
            (3, "The driver got lost"),
            (None, None),
        ]
        await store.forget_customer(OMAR)
        assert await store.ratings_for_conversation(cid) == []
        assert await store.get_rating(asked.id) is None
