"""Customers over a limit, and odd input, get a clear reply; nothing they send is lost."""

from __future__ import annotations

import asyncio

from bot.engine.admission import OVER_LONG_PLACEHOLDER
from bot.engine.copy import EMPTY_MESSAGE_REPLY
from fakes.openai_server import Call, Reply, ToolCalls
from tests.frontends.discord import helpers as h
from tests.tools.test_images import image_bytes


async def test_six_quick_messages_are_all_answered_without_a_resend(runner, discord_fake, llm):
    """A customer writing six short messages 0.7 s apart while the answer streams: every
    message is stored at once and answered, each exactly once and in order, and nobody is
    asked to send anything again."""
    writer = discord_fake.add_user("quick")
    first = "Let me look into that for you. " * 6
    llm.script(Reply(first, chunk_size=10, delay=0.25))
    llm.set_responder(
        lambda body: Reply(
            "Got all of that: a cold pizza, a missing cola.", chunk_size=10, delay=0.1
        )
    )
    parts = ["my order", "is cold", "the pizza", "and the cola", "is missing", "order 5521"]
    async with runner.running():
        thread_id = await h.open_thread(discord_fake, writer, "hi, problem")
        await discord_fake.wait_for(lambda: bool(h.bot_messages(discord_fake, thread_id)))
        for part in parts:
            await discord_fake.send_user_message(thread_id, writer, part)
            await asyncio.sleep(0.7)
        await discord_fake.wait_for(
            lambda: (
                h.bot_messages(discord_fake, thread_id)[-1:]
                == ["Got all of that: a cold pizza, a missing cola."]
            ),
            timeout=20,
        )
        stored = await h.stored_user_messages(runner, thread_id)
    assert stored == ["hi, problem", *parts]
    # A request either answers at least one new message or is started over by one (a young
    # reply, at most twice an answer): never two requests for the same words.
    assert len(llm.requests) < 2 * len(stored)
    sent = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "user"]
    assert sent == stored  # each message exactly once, in order
    shown = " ".join(h.bot_messages(discord_fake, thread_id))
    assert "again" not in shown
    assert "wait" not in shown.lower()


async def test_a_10000_character_message_is_kept_and_explained(runner, discord_fake, llm):
    """A message over MAX_MESSAGE_CHARS is kept as a placeholder the model may read (never the
    text) and the customer told the limit."""
    writer = discord_fake.add_user("novelist")
    long_text = "My order story. " * 625
    async with runner.running():
        thread_id = await h.answered_thread(discord_fake, llm, writer, "hi", "Hello!")
        await discord_fake.send_user_message(thread_id, writer, long_text)
        await discord_fake.wait_for(lambda: len(h.bot_messages(discord_fake, thread_id)) == 2)
        stored = await h.stored_user_messages(runner, thread_id)
    assert h.bot_messages(discord_fake, thread_id)[-1] == (
        "That message is 10,000 characters long; I can read up to 4,000. Please shorten it"
        " or send it in a few parts."
    )
    assert stored[-1] == OVER_LONG_PLACEHOLDER.format(length=10_000, limit=4_000)
    assert len(llm.requests) == 1


async def test_images_beyond_the_per_message_cap_get_a_note(runner, discord_fake, llm):
    """Only the first MAX_ATTACHMENTS_PER_MESSAGE images are offered to the model."""
    runner.settings = runner.settings.model_copy(update={"max_attachments_per_message": 1})
    photos = [
        discord_fake.add_attachment(f"r{i}.png", image_bytes("PNG"), "image/png") for i in range(2)
    ]
    llm.script(Reply("Got your receipt."))
    async with runner.running():
        thread_id = await h.open_thread(
            discord_fake, discord_fake.add_user("ana"), "receipts", attachments=photos
        )
        await discord_fake.wait_for(lambda: len(h.bot_messages(discord_fake, thread_id)) == 2)
    assert (
        "r1.png was not read: I read up to 1 images a message."
        in h.bot_messages(discord_fake, thread_id)[0]
    )
    (copy,) = h.carried_over(discord_fake, thread_id)
    first, second = copy["attachments"]
    turn = llm.requests[0]["messages"][1]["content"]
    assert f"Attached image: {first['url']}" in turn
    assert second["url"] not in turn


async def test_a_corrupt_image_is_reported_to_the_model(runner, discord_fake, llm):
    """A broken receipt image becomes a tool error; the customer still gets an answer."""
    broken = discord_fake.add_attachment(
        "receipt.jpg", b"\xff\xd8\xff\xe0 not a jpeg", "image/jpeg"
    )
    h.answer_in_order(
        llm,
        lambda body: ToolCalls([Call("analyze_receipt_image", {"image_url": h.attached(body)})]),
        Reply("I couldn't read that photo. Could you send a clearer one?"),
    )
    async with runner.running():
        thread_id = await h.open_thread(
            discord_fake, discord_fake.add_user("ana"), "receipt", attachments=[broken]
        )
        await h.wait_for_reply(
            discord_fake, thread_id, ["I couldn't read that photo. Could you send a clearer one?"]
        )
    result = llm.requests[1]["messages"][-1]["content"]
    assert result == (
        "Error: the image cannot be read: the file is not a readable image (JPG, PNG, WebP or GIF)"
    )


async def test_empty_and_odd_unicode_messages(runner, discord_fake, llm):
    """An empty message gets a hint; RTL text, emoji and zero-width characters pass intact."""
    odd = "مرحبا 👩🏽‍🍳 z̷̛͓a̶l̴g̵o\u200b\u202e test"
    llm.script(Reply("Hello! 👋"), Reply("Noted."))
    customer = discord_fake.add_user("uni")
    async with runner.running():
        thread_id = await h.open_thread(discord_fake, customer, "hi")
        await h.wait_for_reply(discord_fake, thread_id, ["Hello! 👋"])
        await discord_fake.send_user_message(thread_id, customer, "")
        await discord_fake.wait_for(lambda: len(h.bot_messages(discord_fake, thread_id)) == 2)
        await discord_fake.send_user_message(thread_id, customer, odd)
        await h.wait_for_reply(
            discord_fake, thread_id, ["Hello! 👋", EMPTY_MESSAGE_REPLY, "Noted."]
        )
    assert llm.requests[-1]["messages"][-1]["content"] == odd
