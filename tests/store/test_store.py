"""The store keeps histories whole and tickets unique."""

from __future__ import annotations

from bot.store import NewMessage, Store, Usage


async def test_history_round_trips_every_kind_of_message(store_location):
    """System, user, assistant-with-tool-calls and tool messages come back as stored."""
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    async with Store.open(store_location) as store:
        conversation = await store.get_or_create_conversation("discord:1", channel_id=1)
        await store.append_messages(
            conversation.id,
            [
                NewMessage("system", "be nice"),
                NewMessage("user", "hi", author_id="42", discord_message_id=7),
                NewMessage("assistant", None, tool_calls=[call]),
                NewMessage("tool", "done", tool_call_id="call_1"),
                NewMessage("assistant", "hello"),
            ],
        )
        history = [m.to_chat() for m in await store.load_history(conversation.id)]
    assert history == [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "done", "tool_call_id": "call_1"},
        {"role": "assistant", "content": "hello"},
    ]


async def test_a_request_key_never_makes_a_second_ticket_in_its_conversation(store_location):
    """Creating a ticket again with the same request key returns the first one; the same key
    in another conversation is another request."""
    async with Store.open(store_location) as store:
        conversation = await store.get_or_create_conversation("discord:1")
        args = {
            "customer_name": "Omar",
            "issue": "cannot log in",
            "user_id": "42",
            "user_display": "omar",
            "thread_url": None,
            "receipt_id": None,
        }
        first, created_first = await store.create_ticket(conversation.id, request_key="c1", **args)
        again, created_again = await store.create_ticket(conversation.id, request_key="c1", **args)
        other, _ = await store.create_ticket(conversation.id, request_key="c2", **args)
        assert created_first
        assert not created_again
        assert again == first
        assert other.id != first.id
        assert len(await store.tickets_for_conversation(conversation.id)) == 2
        elsewhere = await store.get_or_create_conversation("discord:2")
        theirs, created = await store.create_ticket(elsewhere.id, request_key="c1", **args)
        assert created
        assert theirs.id not in (first.id, other.id)


async def test_usage_is_recorded_per_turn(store_location):
    """Each turn's token usage is stored with its model."""
    async with Store.open(store_location) as store:
        conversation = await store.get_or_create_conversation("console:x")
        await store.record_usage(conversation.id, Usage("m", 10, 5, 15, 2))
        assert await store.usage_for_conversation(conversation.id) == [Usage("m", 10, 5, 15, 2)]
