"""Slash commands through the real discord.py: /human and /ticket for customers, /tickets for
staff."""

from __future__ import annotations

import pytest

from tests.conftest import outbox_drained
from tests.frontends.discord.helpers import answered_thread
from tests.frontends.discord.tickets import human_command, person, staff_post, tickets_command


async def test_human_command_hands_off_and_ticket_shows_status(runner, discord_fake, llm):
    """/human opens one ticket; /ticket shows it privately; outside a thread they explain."""
    kim = discord_fake.add_user("kim")
    async with runner.running():
        thread_id = await answered_thread(
            discord_fake, llm, kim, "hello", "Hello Kim, how can I help?"
        )
        first = await human_command(discord_fake, kim, thread_id, "I want to talk to someone")
        again = await human_command(discord_fake, kim, thread_id)
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
                person(omar),
                name=f"Customer {number + 1}",
                issue=f"Problem {number + 1}",
                request_id=f"r{number}",
                thread_url=None,
            )
        await engine.services.desk.resolve(1, person(sam))
        listing = await tickets_command(discord_fake, sam, "list")
        first_page = listing.embeds[0]
        older = await discord_fake.click_button(listing.message, "tickets:active:1:next", sam)
        await older.wait_for_response()
        stats = await tickets_command(discord_fake, sam, "stats")
        with pytest.raises(PermissionError):  # hidden from customers: Discord refuses
            await tickets_command(discord_fake, omar, "list")
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
        gaps = await tickets_command(discord_fake, sam, "gaps")
        with pytest.raises(PermissionError):  # hidden from customers: Discord refuses
            await tickets_command(discord_fake, omar, "gaps")
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
    assert names == {"tickets", "ticket", "human", "support"}


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
            conversation, person(sam), name="Sam", issue="test", request_id="r", thread_url=None
        )
        await outbox_drained(bot.engine.services.store)
        stats = await tickets_command(discord_fake, sam, "stats")
    counts = {f["name"]: f["value"] for f in stats.embeds[0]["fields"]}
    assert counts["Undelivered events"].startswith("⚠ 1:")


async def test_staff_running_human_in_a_thread_opens_the_customers_ticket(
    runner, discord_fake, llm
):
    """Staff escalating a conversation with /human make a ticket for its customer (the name,
    the Discord user), saying who handed it over; they never become the customer."""
    kim = discord_fake.add_user("kim")
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running() as bot:
        thread_id = await answered_thread(
            discord_fake, llm, kim, "hello", "Hello Kim, how can I help?"
        )
        human = await human_command(discord_fake, sam, thread_id, "refund over 50 EUR")
        await outbox_drained(bot.engine.services.store)
        ticket = await bot.engine.services.store.get_ticket(1)
    assert human.followups[0]["content"] == (
        "A person from our support team will follow up here (ticket #1)."
    )
    assert (ticket.user_id, ticket.user_display, ticket.customer_name) == (kim["id"], "kim", "kim")
    post = staff_post(discord_fake)
    assert post["embeds"][0]["description"] == (
        "sam (staff) handed the conversation to the desk. refund over 50 EUR"
    )
    customer = next(f for f in post["embeds"][0]["fields"] if f["name"] == "Customer")
    assert customer["value"] == f"<@{kim['id']}> (kim)"


async def test_tickets_gaps_shows_a_hostile_question_as_typed(runner, discord_fake, llm):
    """A question holding Discord tokens, a numbered list or a direction override is shown
    as the text it is."""
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running() as bot:
        store = bot.engine.services.store
        conversation = await store.get_or_create_conversation("console:hostile-gap")
        await store.record_help_gap(conversation.id, "1. ask <#42> for <@&7>\u202e now")
        gaps = await tickets_command(discord_fake, sam, "gaps")
    line = gaps.embeds[0]["description"].splitlines()[0]
    assert line.split("` ", 1)[1] == "1\\. ask \\<#42> for \\<@&7> now"
