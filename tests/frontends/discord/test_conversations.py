"""End to end through the real discord.py and openai SDK: threads, streaming, tools."""

from __future__ import annotations

import base64
import itertools
import json
import re

import pytest

from bot.engine.copy import MOVED_HERE
from bot.frontends.discord.streaming.renderer import CURSOR
from fakes.openai_server import Call, Fault, Reply, Structured, ToolCalls
from tests.engine.test_engine import RECEIPT
from tests.frontends.discord.helpers import (
    NO_PINGS,
    bot_messages,
    carried_over,
    message_writes,
    open_thread,
    wait_for_reply,
)
from tests.tools.test_images import image_bytes


def attached(body: dict) -> str:
    """The image URL the customer's first message named, as the model reads it."""
    return re.search(r"Attached image: (\S+)", body["messages"][1]["content"])[1]


GREETING = "Hello Omar! I'm the Dashly assistant. How can I help with your order today?"


async def test_greeting_opens_a_private_thread_and_streams_the_answer(runner, discord_fake, llm):
    """A message in the support channel gets a private thread with only the customer added;
    the message is carried over as the first turn and removed from the channel; the reply
    streams."""
    omar = discord_fake.add_user("omar")
    llm.script(Reply(GREETING, chunk_size=6, delay=0.02))
    async with runner.running():
        before = set(discord_fake.threads)
        original = await discord_fake.send_user_message(
            discord_fake.support_channel_id, omar, "Hi!"
        )
        await discord_fake.wait_for(lambda: set(discord_fake.threads) - before)
        (thread_id,) = set(discord_fake.threads) - before
        await wait_for_reply(discord_fake, thread_id, [GREETING])
    thread = discord_fake.threads[thread_id]
    assert thread["parent_id"] == str(discord_fake.support_channel_id)
    assert thread["type"] == 12
    assert thread["name"] == "Support · omar"
    assert discord_fake.thread_members(thread_id) == {discord_fake.bot_user_id, int(omar["id"])}
    assert discord_fake.get_message(discord_fake.support_channel_id, int(original["id"])) is None
    (copy,) = carried_over(discord_fake, thread_id)
    assert copy["content"] == f"**omar** wrote:\n> Hi!\n{MOVED_HERE}"
    assert llm.requests[0]["messages"][1] == {"role": "user", "content": "Hi!"}
    writes = message_writes(discord_fake, thread_id)
    first = writes[0]
    assert first.method == "POST"
    assert first.json["content"].endswith(CURSOR)
    assert GREETING.startswith(first.json["content"].removesuffix(CURSOR))
    assert len(first.json["content"].removesuffix(CURSOR)) < len(GREETING)
    assert writes[-1].json["content"] == GREETING
    assert all(w.json["allowed_mentions"] == NO_PINGS for w in writes)
    assert discord_fake.requests_matching("POST", f"/channels/{thread_id}/typing")


async def test_public_threads_when_configured(runner, discord_fake, llm):
    """THREAD_VISIBILITY=public: a public thread from the customer's message, which stays."""
    runner.settings = runner.settings.model_copy(update={"thread_visibility": "public"})
    omar = discord_fake.add_user("omar")
    llm.script(Reply(GREETING))
    async with runner.running():
        message = await discord_fake.send_user_message(discord_fake.support_channel_id, omar, "Hi!")
        thread_id = int(message["id"])
        await wait_for_reply(discord_fake, thread_id, [GREETING])
    assert discord_fake.threads[thread_id]["type"] == 11
    assert discord_fake.get_message(discord_fake.support_channel_id, thread_id) is not None
    assert carried_over(discord_fake, thread_id) == []


async def test_edits_are_progressive_and_about_a_second_apart(runner, discord_fake, llm):
    """A slow stream edits the message as it grows, at most about once a second."""
    text = " ".join(f"word{i}" for i in range(60))
    llm.script(Reply(text, chunk_size=12, delay=0.1))
    async with runner.running():
        thread_id = await open_thread(discord_fake, discord_fake.add_user("sam"), "Tell me")
        await wait_for_reply(discord_fake, thread_id, [text])
    writes = message_writes(discord_fake, thread_id)
    edits = [w for w in writes if w.method == "PATCH"]
    assert len(edits) >= 2
    contents = [w.json["content"] for w in writes]
    for earlier, later in itertools.pairwise(contents):
        assert text.startswith(earlier.removesuffix(CURSOR))
        assert len(later.removesuffix(CURSOR)) >= len(earlier.removesuffix(CURSOR))
    times = [w.at for w in writes]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))
    assert edits[-1].json["content"] == text


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
    answers = [
        lambda body: ToolCalls([Call("analyze_receipt_image", {"image_url": attached(body)})]),
        lambda body: Structured(RECEIPT),
        lambda body: Reply(read_back),
        lambda body: ToolCalls(
            [Call("create_customer_ticket", {"name": "Ana", "issue": issue})], style="whole"
        ),
        lambda body: Reply("Done: ticket #1 is open for your refund."),
    ]
    llm.set_responder(lambda body: answers.pop(0)(body))  # noqa: PLW0108 - the next one each time
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


async def test_restart_in_the_middle_keeps_the_whole_history(runner, discord_fake, llm):
    """After a restart the next turn in the thread carries everything said before."""
    omar = discord_fake.add_user("omar")
    llm.script(Reply("Which order is it about?"))
    async with runner.running():
        thread_id = await open_thread(discord_fake, omar, "My order is late")
        await wait_for_reply(discord_fake, thread_id, ["Which order is it about?"])
    llm.script(Reply("Thanks, I see order 1234 is 40 minutes late."))
    async with runner.running():
        await discord_fake.send_user_message(thread_id, omar, "Order 1234")
        await wait_for_reply(
            discord_fake,
            thread_id,
            ["Which order is it about?", "Thanks, I see order 1234 is 40 minutes late."],
        )
    sent = [(m["role"], m["content"]) for m in llm.requests[1]["messages"][1:]]
    assert sent == [
        ("user", "My order is late"),
        ("assistant", "Which order is it about?"),
        ("user", "Order 1234"),
    ]
    assert discord_fake.identify_count == 2


async def test_a_long_reply_with_code_splits_at_boundaries(runner, discord_fake, llm):
    """A 5000-character reply becomes messages within 2000 characters, code kept whole."""
    code = "```python\n" + "\n".join(f"order_{i} = fetch({i})" for i in range(40)) + "\n```"
    prose = "Here is how the refund works in detail. " * 12
    text = "\n\n".join([prose, prose, code, *[prose] * 8])[:5000]
    text = text[: text.rfind(" ")]
    assert 4900 < len(text) <= 5000
    llm.script(Reply(text, chunk_size=150, delay=0.01))
    async with runner.running():
        thread_id = await open_thread(discord_fake, discord_fake.add_user("dev"), "explain")
        await discord_fake.wait_for(
            lambda: "".join(bot_messages(discord_fake, thread_id)) == text, timeout=20
        )
    parts = bot_messages(discord_fake, thread_id)
    assert len(parts) == 3
    assert all(len(p) <= 2000 for p in parts)
    assert any(code in p for p in parts)
    assert all(p.count("```") % 2 == 0 for p in parts)


async def test_mentions_in_model_output_never_ping(runner, discord_fake, llm):
    """@everyone, user and role mentions from the model are shown but never notify."""
    risky = (
        f"Hey @everyone and @here, <@{discord_fake.owner_id}> and <@&{discord_fake.staff_role_id}>!"
    )
    llm.script(Reply(risky))
    async with runner.running():
        thread_id = await open_thread(discord_fake, discord_fake.add_user("eve"), "ping them")
        await wait_for_reply(discord_fake, thread_id, [risky])
    writes = message_writes(discord_fake)
    assert writes
    assert all(w.json["allowed_mentions"] == NO_PINGS for w in writes)


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


async def test_bots_other_channels_and_foreign_threads_are_ignored(runner, discord_fake, llm):
    """Only people in the support channel and in the bot's threads get an answer."""
    other_bot = discord_fake.add_user("webhook-bot", bot=True)
    person = discord_fake.add_user("pat")
    llm.script(Reply("Hi Pat!"))
    async with runner.running():
        await discord_fake.send_user_message(discord_fake.support_channel_id, other_bot, "beep")
        await discord_fake.send_user_message(discord_fake.other_channel_id, person, "hello?")
        await discord_fake.send_user_message(
            discord_fake.support_channel_id, discord_fake.bot_user, "my own message"
        )
        thread_id = await open_thread(discord_fake, person, "Hi")
        await wait_for_reply(discord_fake, thread_id, ["Hi Pat!"])
    assert len(llm.requests) == 1
    assert list(discord_fake.threads) == [thread_id]
    assert bot_messages(discord_fake, discord_fake.other_channel_id) == []


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


async def test_a_failing_model_is_told_to_the_customer(runner, discord_fake, llm):
    """When the endpoint fails the customer reads why; the next message works."""
    customer = discord_fake.add_user("lee")
    llm.script(Fault(503, times=4), Reply("I'm back. How can I help?"))
    async with runner.running():
        thread_id = await open_thread(discord_fake, customer, "Where is my food?")
        notice = (
            "⚠️ The assistant had an error (HTTP 503). Your message is saved; please try again"
            " in a moment."
        )
        await wait_for_reply(discord_fake, thread_id, [notice])
        await discord_fake.send_user_message(thread_id, customer, "Hello?")
        await wait_for_reply(discord_fake, thread_id, [notice, "I'm back. How can I help?"])
    users = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "user"]
    assert users == ["Where is my food?", "Hello?"]


async def test_two_messages_at_once_take_turns(runner, discord_fake, llm):
    """A second message during a turn waits; its request includes the first answer."""
    customer = discord_fake.add_user("max")
    llm.script(
        Reply("First answer, slowly written.", chunk_size=3, delay=0.05),
        Reply("Second answer."),
    )
    async with runner.running():
        thread_id = await open_thread(discord_fake, customer, "one")
        await discord_fake.wait_for(lambda: len(llm.requests) == 1)
        await discord_fake.send_user_message(thread_id, customer, "two")
        await wait_for_reply(
            discord_fake, thread_id, ["First answer, slowly written.", "Second answer."]
        )
    second = [(m["role"], m["content"]) for m in llm.requests[1]["messages"][1:]]
    assert second == [
        ("user", "one"),
        ("assistant", "First answer, slowly written."),
        ("user", "two"),
    ]


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


async def test_shutdown_marks_a_reply_it_cannot_wait_for(runner, discord_fake, llm):
    """Past the grace period an in-flight reply is cut, marked in Discord and in the store."""
    from bot.engine.copy import INTERRUPTED_NOTICE
    from bot.engine.turn import INTERRUPTED_MARK
    from bot.frontends.discord.bot import conversation_key
    from bot.store import Store

    llm.script(Reply("This answer takes a long time to write. " * 20, chunk_size=10, delay=0.1))
    async with runner.running(shutdown_grace=0.3):
        thread_id = await open_thread(discord_fake, discord_fake.add_user("zoe"), "slow please")
        await discord_fake.wait_for(lambda: bool(bot_messages(discord_fake, thread_id)))
    (shown,) = bot_messages(discord_fake, thread_id)
    assert shown.startswith("This answer takes a long time")
    assert shown.endswith(INTERRUPTED_NOTICE)
    async with Store.open(runner.settings.store_location) as store:
        conversation = await store.get_conversation(conversation_key(thread_id))
        assert conversation is not None
        history = await store.load_history(conversation.id)
    assert [(m.role, m.status) for m in history] == [
        ("system", "complete"),
        ("user", "complete"),
        ("assistant", "interrupted"),
    ]
    assert history[-1].content is not None
    assert history[-1].content.endswith(INTERRUPTED_MARK)


async def test_what_the_real_api_does_reaches_the_customer(runner, discord_fake, llm):
    """Through Discord with its real limits: an empty answer shows the fallback, a cut answer
    ends with a notice, and an unexpected error mid-stream leaves the text, a notice, no
    cursor, and a thread that answers the next message."""
    from bot.engine.copy import EMPTY_ANSWER, OUR_FAULT
    from fakes.openai_server import MalformedStream

    llm.script(
        Reply(""),
        Reply("Our policy has three parts. First,", finish_reason="length"),
        MalformedStream("Checking your order"),
        Reply("Found it: it is on its way."),
    )
    lena = discord_fake.add_user("lena")
    async with runner.running():
        thread_id = await open_thread(discord_fake, lena, "hello")
        await wait_for_reply(discord_fake, thread_id, [EMPTY_ANSWER])
        for count, text in enumerate(("policy?", "order?", "and now?"), start=2):
            await discord_fake.send_user_message(thread_id, lena, text)
            await discord_fake.wait_for(
                lambda count=count: (
                    len(bot_messages(discord_fake, thread_id)) == count
                    and not bot_messages(discord_fake, thread_id)[-1].endswith(CURSOR)
                ),
                timeout=20,
            )
    shown = bot_messages(discord_fake, thread_id)
    assert shown[1].startswith("Our policy has three parts. First,\n\n⚠️ My answer was cut off")
    assert shown[2].startswith("Checking your order\n\n⚠️ " + OUR_FAULT)
    assert shown[3] == "Found it: it is on its way."
    assert not any(m.endswith(CURSOR) for m in shown)
    assert llm.rejections == []
