"""Tools through Discord: tickets reach the staff channel, receipts are read, attachments that
are not receipts get a note, and bad or parallel tool calls end in one answer."""

from __future__ import annotations

import base64
import json

import pytest

from fakes.openai_server import Call, Reply, Structured, ToolCalls
from tests.engine.test_engine import RECEIPT
from tests.frontends.discord.helpers import (
    NO_PINGS,
    answer_in_order,
    attached,
    bot_messages,
    carried_over,
    message_writes,
    open_thread,
    wait_for_reply,
)
from tests.tools.test_images import image_bytes


async def test_login_problem_becomes_a_ticket_in_the_staff_channel(runner, discord_fake, llm):
    """Cookbook conversation 2: the model asks the name, opens Omar's ticket, staff see it."""
    omar = discord_fake.add_user("omar_k")
    issue = "Cannot log in: the app says the password is wrong even after a password reset."
    llm.script(
        Reply("I'm sorry to hear that! Could you tell me your name?"),
        ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": issue})]),
        Reply("Thanks Omar, I've opened ticket #1. Our staff will follow up here."),
    )
    async with runner.running():
        thread_id = await open_thread(discord_fake, omar, "I can't log into my account")
        await wait_for_reply(
            discord_fake, thread_id, ["I'm sorry to hear that! Could you tell me your name?"]
        )
        await discord_fake.send_user_message(thread_id, omar, "Omar")
        await wait_for_reply(
            discord_fake,
            thread_id,
            [
                "I'm sorry to hear that! Could you tell me your name?",
                "Thanks Omar, I've opened ticket #1. Our staff will follow up here.",
            ],
        )
    tool_result = llm.requests[2]["messages"][-1]
    assert tool_result["role"] == "tool"
    assert tool_result["content"].startswith("Ticket #1 created for Omar.")
    (post,) = discord_fake.messages(discord_fake.staff_channel_id)
    assert post["content"] == "New ticket #1 from Omar"
    (embed,) = post["embeds"]
    assert embed["title"] == "Ticket #1"
    assert embed["description"] == issue
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Name given"] == "Omar"
    assert fields["Customer"] == f"<@{omar['id']}> (omar\\_k)"  # Markdown stays literal
    assert fields["Thread"] == (f"https://discord.com/channels/{discord_fake.guild_id}/{thread_id}")
    staff_write = message_writes(discord_fake, discord_fake.staff_channel_id)[0]
    assert staff_write.json["allowed_mentions"] == NO_PINGS


async def test_receipt_is_read_and_a_refund_ticket_carries_it(runner, discord_fake, llm):
    """Cookbook conversation 3: the receipt's items and 2724-cent total reach the staff post."""
    ana = discord_fake.add_user("ana")
    photo = image_bytes("JPEG", (32, 48))
    attachment = discord_fake.add_attachment("receipt.jpg", photo, "image/jpeg")
    read_back = (
        "I read your receipt: 2 × Margherita pizza ... total 27.24 EUR. Open a refund ticket?"
    )
    issue = "Refund for 2 missing Margherita pizzas (2 × 8.50 EUR) from the order of 2024-05-03."
    # The model calls the tool with the URL it was given: the thread's copy of the photo.
    answer_in_order(
        llm,
        lambda body: ToolCalls([Call("analyze_receipt_image", {"image_url": attached(body)})]),
        Structured(RECEIPT),
        Reply(read_back),
        ToolCalls([Call("create_customer_ticket", {"name": "Ana", "issue": issue})], style="whole"),
        Reply("Done: ticket #1 is open for your refund."),
    )
    async with runner.running():
        thread_id = await open_thread(
            discord_fake, ana, "Two pizzas were missing", attachments=[attachment]
        )
        await wait_for_reply(discord_fake, thread_id, [read_back])
        await discord_fake.send_user_message(thread_id, ana, "Yes please, I'm Ana")
        await wait_for_reply(
            discord_fake, thread_id, [read_back, "Done: ticket #1 is open for your refund."]
        )
    (copy,) = carried_over(discord_fake, thread_id)
    (copied,) = copy["attachments"]
    user_turn = llm.requests[0]["messages"][1]["content"]
    assert user_turn == f"Two pizzas were missing\nAttached image: {copied['url']}"
    vision_image = llm.requests[1]["messages"][1]["content"][1]["image_url"]["url"]
    assert vision_image == "data:image/jpeg;base64," + base64.b64encode(photo).decode()
    # Read once to carry it into the private thread, once (the copy) for the vision model.
    assert len(discord_fake.attachment_downloads) == 2
    tool_result = llm.requests[2]["messages"][-1]
    assert json.loads(tool_result["content"]) == RECEIPT
    (post,) = discord_fake.messages(discord_fake.staff_channel_id)
    fields = {f["name"]: f["value"] for f in post["embeds"][0]["fields"]}
    assert fields["Receipt"].splitlines() == [
        "Date: 2024-05-03",
        "2 × Margherita pizza @ 8.50 EUR",
        "1 × Tiramisu @ 5.49 EUR",
        "1 × Cola @ 2.75 EUR",
        "1 × Delivery fee @ 2.00 EUR",
        "Total: 27.24 EUR",
    ]


async def test_bad_tool_arguments_get_an_answer_not_a_crash(runner, discord_fake, llm):
    """A malformed tool call is answered with an error to the model; the customer gets a reply."""
    llm.script(
        ToolCalls([Call("create_customer_ticket", '{"name": "Omar", "issue"')]),
        Reply("Sorry, could you describe the problem once more?"),
    )
    async with runner.running():
        thread_id = await open_thread(discord_fake, discord_fake.add_user("omar"), "help!")
        await wait_for_reply(
            discord_fake, thread_id, ["Sorry, could you describe the problem once more?"]
        )
    assert "not valid JSON" in llm.requests[1]["messages"][-1]["content"]
    assert discord_fake.messages(discord_fake.staff_channel_id) == []


async def test_attachments_that_are_not_receipts_get_a_note(runner, discord_fake, llm):
    """A PDF is ignored and a photo over 20 MiB refused, each with a note; the turn goes on."""
    pdf = discord_fake.add_attachment("invoice.pdf", b"%PDF-1.4 ...", "application/pdf")
    huge = discord_fake.add_attachment("huge.png", image_bytes("PNG"), "image/png")
    huge["size"] = 25 * 1024 * 1024
    llm.script(Reply("Could you send a smaller photo of the receipt?"))
    async with runner.running():
        thread_id = await open_thread(
            discord_fake, discord_fake.add_user("kim"), "receipt", attachments=[pdf, huge]
        )
        await discord_fake.wait_for(lambda: len(bot_messages(discord_fake, thread_id)) == 2)
    notice, reply = bot_messages(discord_fake, thread_id)
    assert "invoice.pdf was ignored" in notice
    assert "huge.png was not accepted: it is 25.0 MiB" in notice
    assert reply == "Could you send a smaller photo of the receipt?"
    turn = llm.requests[0]["messages"][1]["content"]
    assert "Attached image" not in turn
    assert "(Attachment note: huge.png was not accepted" in turn
    assert discord_fake.attachment_downloads == []


@pytest.mark.parametrize("style", ["fragments", "whole"])
async def test_both_wire_styles_work_through_discord(runner, discord_fake, llm, style):
    """Parallel tool calls in either wire style end in one reply and one staff post."""
    llm.script(
        ToolCalls(
            [
                Call("create_customer_ticket", {"name": "Jo", "issue": "Cold food"}),
                Call("no_such_tool", {}),
            ],
            style=style,
        ),
        Reply("Ticket #1 is open."),
    )
    async with runner.running():
        thread_id = await open_thread(discord_fake, discord_fake.add_user("jo"), "cold food")
        await wait_for_reply(discord_fake, thread_id, ["Ticket #1 is open."])
    results = [m for m in llm.requests[1]["messages"] if m["role"] == "tool"]
    assert len(results) == 2
    assert results[0]["content"].startswith("Ticket #1 created")
    assert "unknown tool" in results[1]["content"]
    assert len(discord_fake.messages(discord_fake.staff_channel_id)) == 1
