"""The staff desk through the real discord.py: the ticket post, its buttons, the hand-off and
who may press them."""

from __future__ import annotations

from fakes.openai_server import Reply
from tests.frontends.discord.helpers import bot_messages, stored_count
from tests.frontends.discord.tickets import ISSUE, buttons, click, fields, open_ticket, staff_post


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
        await click(discord_fake, "claim", sam)
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
        await click(discord_fake, "resolve", sam)
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
            lambda: buttons(staff_post(discord_fake)) == ["ticket:reopen:1", "ticket:transcript:1"]
        )
    assert fields(staff_post(discord_fake))["Status"] == "🟢 Resolved"
    assert buttons(staff_post(discord_fake)) == ["ticket:reopen:1", "ticket:transcript:1"]
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
        press = await click(discord_fake, "claim", omar)
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
        refused = await click(discord_fake, "claim", moderator)
        await click(discord_fake, "claim", clerk)
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
        await click(discord_fake, "claim", sam)
        await discord_fake.wait_for(
            lambda: fields(staff_post(discord_fake))["Status"] == "🔵 Claimed"
        )
        await click(discord_fake, "resolve", sam)
        await discord_fake.wait_for(
            lambda: buttons(staff_post(discord_fake)) == ["ticket:reopen:1", "ticket:transcript:1"]
        )
        await click(discord_fake, "reopen", sam)
        await discord_fake.wait_for(lambda: fields(staff_post(discord_fake))["Status"] == "🟠 Open")
    assert buttons(staff_post(discord_fake)) == ["ticket:claim:1", "ticket:resolve:1"]
