"""`ticket.rated`: the customer's rating of a resolved ticket's conversation, through the
outbox to webhooks, in the documented payload."""

from __future__ import annotations

import jsonschema

from bot.desk.ratings import Ratings
from bot.store import NewMessage
from tests.conftest import outbox_drained
from tests.desk.test_webhooks import SAM, payload_schema, receiver, running, settings_for

__all__ = ["receiver"]  # the fixture


async def test_a_rating_of_a_resolved_ticket_goes_out_as_ticket_rated(tmp_path, receiver):
    """Resolve asks; the customer's rating and then their comment each go out, in order, as
    ticket.rated carrying the rating; the payload fits the documented schema."""
    async with running(settings_for(tmp_path, receiver.url)) as bot:
        number = await bot.ticket()
        ticket = await bot.desk.resolve(number, SAM)
        ratings = Ratings(bot.store, after_minutes=30)
        asked = await ratings.ask_after_resolve(ticket)
        assert asked is None  # the customer never wrote: no episode to rate
        conversation = await bot.store.get_conversation("console:omar")
        assert conversation is not None
        await bot.store.store_message(conversation.id, NewMessage(role="user", content="Thanks"))
        asked = await ratings.ask_after_resolve(ticket)
        assert asked is not None
        assert await ratings.ask_after_resolve(ticket) is None  # once per episode
        await ratings.rate(asked.id, "1001", 4)
        await ratings.comment(asked.id, "1001", "  Quick and kind  ")
        await outbox_drained(bot.store)
    rated = [r.json for r in receiver.received if r.type == "ticket.rated"]
    assert [r["data"]["ticket"]["rating"]["score"] for r in rated] == [4, 4]
    assert [r["data"]["ticket"]["rating"]["comment"] for r in rated] == [None, "Quick and kind"]
    assert rated[0]["data"]["ticket"]["status"] == "resolved"
    assert rated[0]["data"]["actor"] == {"discord_id": "1001", "name": "omar_k"}
    for event in rated:
        jsonschema.validate(event, payload_schema())
    created = next(r.json for r in receiver.received if r.type == "ticket.created")
    assert created["data"]["ticket"]["rating"] is None
