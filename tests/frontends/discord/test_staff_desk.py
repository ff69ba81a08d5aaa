"""The staff desk through the real discord.py: buttons, hand-off, quiet threads, commands."""

from __future__ import annotations

import pytest

from fakes.openai_server import Call, Reply, Structured, ToolCalls
from tests.conftest import outbox_drained
from tests.engine.test_engine import RECEIPT
from tests.frontends.discord.helpers import (
    answer_in_order,
    attached,
    bot_messages,
    open_thread,
    wait_for_reply,
)
from tests.tools.test_images import image_bytes

ISSUE = "Order 1234 arrived cold and 50 minutes late."


def staff_post(fake, ticket_id: int = 1) -> dict:
    """The staff channel's post of a ticket, as it is now."""
    return next(
        m
        for m in fake.messages(fake.staff_channel_id)
        if m["embeds"] and m["embeds"][0]["title"] == f"Ticket #{ticket_id}"
    )


def fields(post: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in post["embeds"][0]["fields"]}


def buttons(post: dict) -> list[str]:
    return [c["custom_id"] for row in post["components"] for c in row["components"]]


async def stored_count(runner, thread_id: int, at_least: int) -> None:
    """Wait until the thread's conversation holds `at_least` stored messages."""
    import asyncio

    from bot.frontends.discord.bot import conversation_key

    store = runner.bot.engine.services.store
    for _ in range(500):
        conversation = await store.get_conversation(conversation_key(thread_id))
        if conversation and len(await store.load_history(conversation.id)) >= at_least:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("messages were not stored")


async def open_ticket(fake, llm, customer) -> int:
    """A conversation in which the model opens ticket #1; returns the thread id."""
    llm.script(
        ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": ISSUE})]),
        Reply("Ticket #1 is open; staff will follow up here."),
    )
    thread_id = await open_thread(fake, customer, "My food was cold and late")
    await wait_for_reply(fake, thread_id, ["Ticket #1 is open; staff will follow up here."])
    await fake.wait_for(lambda: bool(fake.messages(fake.staff_channel_id)))
    return thread_id


async def test_ticket_post_is_an_embed_with_claim_and_resolve(runner, discord_fake, llm):
    """A new ticket shows as an open (orange) embed with Claim and Resolve buttons."""
    omar = discord_fake.add_user("omar")
    async with runner.running():
        thread_id = await open_ticket(discord_fake, llm, omar)
    post = staff_post(discord_fake)
    embed = post["embeds"][0]
    assert embed["color"] == 0xE67E22
    assert embed["description"] == ISSUE
    assert fields(post)["Status"] == "🟠 Open"
    assert fields(post)["Customer"] == f"<@{omar['id']}> (omar)"
    assert fields(post)["Name given"] == "Omar"
    assert fields(post)["Thread"].endswith(f"/{thread_id}")
    assert "timestamp" in embed
    assert buttons(post) == ["ticket:claim:1", "ticket:resolve:1"]


async def test_claim_quiets_the_bot_and_resolve_brings_it_back(runner, discord_fake, llm):
    """Claimed: staff and customer talk, all stored; resolved: the bot answers knowing it all."""
    omar = discord_fake.add_user("omar")
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running():
        thread_id = await open_ticket(discord_fake, llm, omar)
        claim = await discord_fake.click_button(staff_post(discord_fake), "ticket:claim:1", sam)
        await claim.wait_for_response()
        claimed_notice = (
            "👋 sam from our support team has picked up ticket #1 and will help you here from"
            " now on."
        )
        await discord_fake.wait_for(lambda: claimed_notice in bot_messages(discord_fake, thread_id))
        await discord_fake.wait_for(
            lambda: fields(staff_post(discord_fake))["Status"] == "🔵 Claimed"
        )
        post = staff_post(discord_fake)
        assert fields(post)["Status"] == "🔵 Claimed"
        assert fields(post)["Claimed by"].startswith(f"<@{sam['id']}> <t:")
        assert buttons(post) == ["ticket:resolve:1"]
        assert post["embeds"][0]["color"] == 0x3498DB

        requests_before = len(llm.requests)
        await discord_fake.send_user_message(thread_id, omar, "Is anyone there?")
        await discord_fake.send_user_message(
            thread_id, sam, "Hi Omar, refunding the delivery fee now."
        )
        await discord_fake.send_user_message(thread_id, omar, "Thanks Sam!")
        await stored_count(runner, thread_id, at_least=9)
        resolve = await discord_fake.click_button(staff_post(discord_fake), "ticket:resolve:1", sam)
        await resolve.wait_for_response()
        resolved_notice = (
            "✅ Ticket #1 is resolved. If there is anything else, just write here: I'm back to"
            " help."
        )
        await discord_fake.wait_for(
            lambda: resolved_notice in bot_messages(discord_fake, thread_id)
        )
        assert len(llm.requests) == requests_before

        llm.script(Reply("Glad Sam sorted out the refund! Anything else?"))
        await discord_fake.send_user_message(thread_id, omar, "One more question")
        await discord_fake.wait_for(lambda: len(llm.requests) == requests_before + 1)
        await discord_fake.wait_for(
            lambda: (
                bot_messages(discord_fake, thread_id)[-1]
                == "Glad Sam sorted out the refund! Anything else?"
            )
        )
        await discord_fake.wait_for(
            lambda: buttons(staff_post(discord_fake)) == ["ticket:reopen:1"]
        )
    assert fields(staff_post(discord_fake))["Status"] == "🟢 Resolved"
    assert buttons(staff_post(discord_fake)) == ["ticket:reopen:1"]
    sent = [(m["role"], m["content"]) for m in llm.requests[-1]["messages"]][-6:]
    assert sent == [
        ("assistant", claimed_notice),
        ("user", "Is anyone there?"),
        ("user", "[staff · sam] Hi Omar, refunding the delivery fee now."),
        ("user", "Thanks Sam!"),
        ("assistant", resolved_notice),
        ("user", "One more question"),
    ]


async def test_only_staff_may_press_the_buttons(runner, discord_fake, llm):
    """Anyone else gets a private refusal and the ticket stays as it was."""
    omar = discord_fake.add_user("omar")
    async with runner.running():
        await open_ticket(discord_fake, llm, omar)
        press = await discord_fake.click_button(staff_post(discord_fake), "ticket:claim:1", omar)
        await press.wait_for_response()
    assert press.ephemeral
    assert press.content == "Only support staff can work tickets."
    assert fields(staff_post(discord_fake))["Status"] == "🟠 Open"


async def test_staff_role_setting_decides_who_is_staff(runner, discord_fake, llm):
    """With STAFF_ROLE_ID set, holding that role counts, Manage Threads alone does not."""
    desk_role = discord_fake.new_snowflake()
    discord_fake._add_role(desk_role, "Support desk", 0, position=3)
    clerk = discord_fake.add_user("clerk", roles=[desk_role])
    moderator = discord_fake.add_user("mod", roles=[discord_fake.staff_role_id])
    runner.settings = runner.settings.model_copy(update={"staff_role_id": desk_role})
    async with runner.running():
        await open_ticket(discord_fake, llm, discord_fake.add_user("omar"))
        refused = await discord_fake.click_button(
            staff_post(discord_fake), "ticket:claim:1", moderator
        )
        await refused.wait_for_response()
        allowed = await discord_fake.click_button(staff_post(discord_fake), "ticket:claim:1", clerk)
        await allowed.wait_for_response()
        await discord_fake.wait_for(
            lambda: fields(staff_post(discord_fake))["Status"] == "🔵 Claimed"
        )
    assert refused.ephemeral
    assert refused.content == "Only support staff can work tickets."
    assert fields(staff_post(discord_fake))["Claimed by"].startswith(f"<@{clerk['id']}>")


async def test_buttons_still_work_after_a_restart(runner, discord_fake, llm):
    """The ticket id lives in the custom_id: a restarted bot handles old posts."""
    omar = discord_fake.add_user("omar")
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running():
        await open_ticket(discord_fake, llm, omar)
    async with runner.running():
        press = await discord_fake.click_button(staff_post(discord_fake), "ticket:claim:1", sam)
        await press.wait_for_response()
        await discord_fake.wait_for(
            lambda: fields(staff_post(discord_fake))["Status"] == "🔵 Claimed"
        )
        resolve = await discord_fake.click_button(staff_post(discord_fake), "ticket:resolve:1", sam)
        await resolve.wait_for_response()
        await discord_fake.wait_for(
            lambda: buttons(staff_post(discord_fake)) == ["ticket:reopen:1"]
        )
        reopen = await discord_fake.click_button(staff_post(discord_fake), "ticket:reopen:1", sam)
        await reopen.wait_for_response()
        await discord_fake.wait_for(lambda: fields(staff_post(discord_fake))["Status"] == "🟠 Open")
    assert buttons(staff_post(discord_fake)) == ["ticket:claim:1", "ticket:resolve:1"]


async def test_a_repeated_tool_call_posts_one_ticket(runner, discord_fake, llm):
    """The same tool call id arriving twice makes one ticket and one staff post."""
    call = Call("create_customer_ticket", {"name": "Omar", "issue": ISSUE}, id="call_dup")
    llm.script(ToolCalls([call]), ToolCalls([call]), Reply("Ticket #1 is open."))
    async with runner.running():
        thread_id = await open_thread(discord_fake, discord_fake.add_user("omar"), "cold food")
        await wait_for_reply(discord_fake, thread_id, ["Ticket #1 is open."])
        await outbox_drained(runner.bot.engine.services.store)
    assert len(discord_fake.messages(discord_fake.staff_channel_id)) == 1
    results = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "tool"]
    assert results[0] == results[1]


async def test_receipt_that_does_not_add_up_is_flagged_for_staff(runner, discord_fake, llm):
    """The staff post warns when the receipt's items do not sum to its total."""
    photo = discord_fake.add_attachment("r.png", image_bytes("PNG"), "image/png")
    answer_in_order(
        llm,
        lambda body: ToolCalls([Call("analyze_receipt_image", {"image_url": attached(body)})]),
        Structured(dict(RECEIPT, total_in_cents=3100)),
        ToolCalls([Call("create_customer_ticket", {"name": "Ana", "issue": "Overcharged"})]),
        Reply("Ticket #1 is open."),
    )
    async with runner.running():
        thread_id = await open_thread(
            discord_fake, discord_fake.add_user("ana"), "overcharged", attachments=[photo]
        )
        await wait_for_reply(discord_fake, thread_id, ["Ticket #1 is open."])
        await outbox_drained(runner.bot.engine.services.store)
    receipt = fields(staff_post(discord_fake))["Receipt"]
    assert receipt.splitlines()[-2:] == [
        "Total: 31.00 EUR",
        "⚠ Items add up to 27.24 EUR, not the total.",
    ]


async def test_human_command_hands_off_and_ticket_shows_status(runner, discord_fake, llm):
    """/human opens one ticket; /ticket shows it privately; outside a thread they explain."""
    kim = discord_fake.add_user("kim")
    llm.script(Reply("Hello Kim, how can I help?"))
    async with runner.running():
        thread_id = await open_thread(discord_fake, kim, "hello")
        await wait_for_reply(discord_fake, thread_id, ["Hello Kim, how can I help?"])
        first = await discord_fake.run_command(
            "human", kim, thread_id, options={"reason": "I want to talk to someone"}
        )
        await first.wait_for_response()
        await discord_fake.wait_for(lambda: bool(first.followups))
        again = await discord_fake.run_command("human", kim, thread_id)
        await again.wait_for_response()
        await discord_fake.wait_for(lambda: bool(again.followups))
        status = await discord_fake.run_command("ticket", kim, thread_id)
        await status.wait_for_response()
        elsewhere = await discord_fake.run_command("ticket", kim, discord_fake.other_channel_id)
        await elsewhere.wait_for_response()
        await outbox_drained(runner.bot.engine.services.store)
    assert first.followups[0]["content"] == (
        "A person from our support team will follow up here (ticket #1)."
    )
    assert again.followups[0]["content"].startswith("Ticket #1 is already with our support team")
    assert len(discord_fake.messages(discord_fake.staff_channel_id)) == 1
    post = staff_post(discord_fake)
    assert post["embeds"][0]["description"] == (
        "The customer asked to talk to a person. I want to talk to someone"
    )
    assert status.ephemeral
    assert status.content.startswith("Ticket #1: 🟠 Open")
    assert elsewhere.ephemeral
    assert "support thread" in elsewhere.content
    assert llm.requests[0]["messages"][-1]["content"] == "hello"


async def test_tickets_list_paginates_and_stats_count(runner, discord_fake, llm):
    """/tickets list pages ten at a time, newest first; /tickets stats counts by status."""
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    omar = discord_fake.add_user("omar")
    async with runner.running() as bot:
        engine = bot.engine
        for number in range(12):
            conversation = await engine.services.store.get_or_create_conversation(
                f"console:list{number}"
            )
            await engine.services.desk.open_ticket(
                conversation,
                _person(omar),
                name=f"Customer {number + 1}",
                issue=f"Problem {number + 1}",
                request_id=f"r{number}",
                thread_url=None,
            )
        await engine.services.desk.resolve(1, _person(sam))
        listing = await discord_fake.run_command(
            "tickets", sam, discord_fake.staff_channel_id, subcommand="list"
        )
        await listing.wait_for_response()
        first_page = listing.embeds[0]
        older = await discord_fake.click_button(listing.message, "tickets:active:1:next", sam)
        await older.wait_for_response()
        stats = await discord_fake.run_command(
            "tickets", sam, discord_fake.staff_channel_id, subcommand="stats"
        )
        await stats.wait_for_response()
        with pytest.raises(PermissionError):  # hidden from customers: Discord refuses
            await discord_fake.run_command(
                "tickets", omar, discord_fake.staff_channel_id, subcommand="list"
            )
    assert listing.ephemeral
    assert first_page["title"] == "Open tickets (11)"
    lines = first_page["description"].splitlines()
    assert [line.split()[0] for line in lines] == [f"**#{n}**" for n in range(12, 2, -1)]
    assert first_page["footer"]["text"] == "Page 1 of 2"
    second_page = older.embeds[0]
    assert [line.split()[0] for line in second_page["description"].splitlines()] == ["**#2**"]
    assert second_page["footer"]["text"] == "Page 2 of 2"
    counts = {f["name"]: f["value"] for f in stats.embeds[0]["fields"]}
    assert counts["🟠 Open"] == "11"
    assert counts["🟢 Resolved"] == "1"
    assert "Median time to resolution" in counts
    assert counts["Undelivered events"] == "0"


async def test_tickets_gaps_lists_unanswered_questions_for_staff(runner, discord_fake, llm):
    """/tickets gaps shows the newest questions without an article, to staff only."""
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    omar = discord_fake.add_user("omar")
    async with runner.running() as bot:
        store = bot.engine.services.store
        conversation = await store.get_or_create_conversation("console:gaps")
        await store.record_help_gap(conversation.id, "do you deliver **alcohol**?")
        await store.record_help_gap(conversation.id, "is the app in Spanish")
        gaps = await discord_fake.run_command(
            "tickets", sam, discord_fake.staff_channel_id, subcommand="gaps"
        )
        await gaps.wait_for_response()
        with pytest.raises(PermissionError):  # hidden from customers: Discord refuses
            await discord_fake.run_command(
                "tickets", omar, discord_fake.staff_channel_id, subcommand="gaps"
            )
    assert gaps.ephemeral
    embed = gaps.embeds[0]
    assert embed["title"] == "Questions the help center could not answer"
    lines = embed["description"].splitlines()
    assert [line.split("` ", 1)[1] for line in lines] == [
        "is the app in Spanish",
        "do you deliver \\*\\*alcohol\\*\\*?",
    ]


async def test_slash_commands_are_registered_in_the_guild(runner, discord_fake, llm):
    """At start the commands are synced to the support channel's guild."""
    async with runner.running():
        await discord_fake.wait_for(
            lambda: bool(discord_fake.app_commands.get(discord_fake.guild_id))
        )
    names = {c["name"] for c in discord_fake.app_commands[discord_fake.guild_id]}
    assert names == {"tickets", "ticket", "human"}


def _person(user):
    from bot.desk.desk import Person

    return Person(id=user["id"], display_name=user["username"])


async def test_a_post_discord_refused_appears_by_itself(runner, discord_fake, llm):
    """Discord refuses the staff post twice (missing permission): the outbox posts it later."""
    from bot.desk.outbox import RetryPolicy

    runner.retry = RetryPolicy(first_delay=0.05, max_delay=0.2)
    staff_posts = f"/channels/{discord_fake.staff_channel_id}/messages"
    discord_fake.inject_error("POST", staff_posts, 403, times=2)
    omar = discord_fake.add_user("omar")
    async with runner.running():
        thread_id = await open_ticket(discord_fake, llm, omar)
        store = runner.bot.engine.services.store
        await outbox_drained(store)
        ticket = await store.get_ticket(1)
    attempts = [
        r.status for r in discord_fake.requests if r.method == "POST" and r.path == staff_posts
    ]
    assert attempts == [403, 403, 200]
    post = staff_post(discord_fake)
    assert fields(post)["Thread"].endswith(f"/{thread_id}")
    assert ticket.staff_message_id == int(post["id"])
    assert ticket.staff_post_url.endswith(f"/{discord_fake.staff_channel_id}/{post['id']}")
    assert bot_messages(discord_fake, thread_id) == [
        "Ticket #1 is open; staff will follow up here."
    ]


async def test_stats_show_events_that_could_not_be_delivered(runner, discord_fake, llm):
    """A post Discord kept refusing until its deadline is dead, and /tickets stats says so."""
    from bot.desk.outbox import RetryPolicy

    runner.retry = RetryPolicy(first_delay=0.01, max_delay=0.05, give_up_after=0.2)
    discord_fake.inject_error(
        "POST", f"/channels/{discord_fake.staff_channel_id}/messages", 403, times=1000
    )
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running() as bot:
        conversation = await bot.engine.services.store.get_or_create_conversation("console:dead")
        await bot.engine.services.desk.open_ticket(
            conversation, _person(sam), name="Sam", issue="test", request_id="r", thread_url=None
        )
        await outbox_drained(bot.engine.services.store)
        stats = await discord_fake.run_command(
            "tickets", sam, discord_fake.staff_channel_id, subcommand="stats"
        )
        await stats.wait_for_response()
    counts = {f["name"]: f["value"] for f in stats.embeds[0]["fields"]}
    assert counts["Undelivered events"].startswith("⚠ 1:")
