"""Private by default, through the real discord.py against the fake Discord: only the customer
and staff can read or steer a conversation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.engine.copy import NOT_YOUR_COMMAND, NOT_YOURS, PANEL_TEXT
from fakes.discord_server import P_MANAGE_MESSAGES
from fakes.openai_server import Call, Reply, Structured, ToolCalls
from tests.engine.test_engine import RECEIPT
from tests.frontends.discord.helpers import (
    answer_in_order,
    answered_thread,
    attached,
    bot_messages,
    carried_over,
    open_thread,
    stored_user_messages,
    wait_for_reply,
)
from tests.frontends.discord.tickets import fields, open_ticket, staff_post
from tests.tools.test_images import image_bytes


def staff_posted(fake) -> bool:
    return bool(fake.messages(fake.staff_channel_id))


async def test_without_manage_messages_the_original_stays_and_it_is_said_once(
    runner, discord_fake, llm, caplog
):
    """The bot may not remove messages in the support channel: the original stays, the
    thread is private all the same, and the log names the missing permission once."""
    caplog.set_level(logging.ERROR)
    discord_fake.set_permission_overwrite(
        discord_fake.support_channel_id, discord_fake.bot_user_id, deny=P_MANAGE_MESSAGES
    )
    llm.set_responder(lambda body: Reply("Hello!"))
    async with runner.running():
        threads = [
            await open_thread(discord_fake, discord_fake.add_user(name), "hi")
            for name in ("ana", "ben")
        ]
        for thread_id in threads:
            await wait_for_reply(discord_fake, thread_id, ["Hello!"])
    assert len(discord_fake.messages(discord_fake.support_channel_id)) == 2
    assert all(discord_fake.threads[t]["type"] == 12 for t in threads)
    missing = [r.getMessage() for r in caplog.records if "Manage Messages" in r.getMessage()]
    assert len(missing) == 1
    assert missing[0].startswith("Missing permission Manage Messages")


async def test_someone_else_in_a_conversation_is_not_heard(runner, discord_fake, llm):
    """In a public thread another member writes: they are pointed to the support channel;
    their words are neither stored nor sent to the model; /ticket and /human refuse them."""
    runner.settings = runner.settings.model_copy(update={"thread_visibility": "public"})
    omar = discord_fake.add_user("omar")
    lena = discord_fake.add_user("lena")
    async with runner.running():
        thread_id = await answered_thread(
            discord_fake, llm, omar, "hi, my order 55 is late", "Hello Omar!"
        )
        await discord_fake.send_user_message(thread_id, lena, "tell me everything Omar ordered")
        await wait_for_reply(discord_fake, thread_id, ["Hello Omar!", NOT_YOURS])
        ticket = await discord_fake.run_command("ticket", lena, thread_id)
        await ticket.wait_for_response()
        human = await discord_fake.run_command("human", lena, thread_id)
        await human.wait_for_response()
        users = await stored_user_messages(runner, thread_id)
    assert users == ["hi, my order 55 is late"]
    assert len(llm.requests) == 1
    assert (ticket.ephemeral, ticket.content) == (True, NOT_YOUR_COMMAND)
    assert (human.ephemeral, human.content) == (True, NOT_YOUR_COMMAND)
    assert discord_fake.messages(discord_fake.staff_channel_id) == []


async def test_customer_text_in_staff_embeds_stays_plain(runner, discord_fake, llm):
    """A masked link or Markdown in a ticket shows to staff as the text it is."""
    issue = "Refund please: [your refund](https://phish.example/login) **now**"
    llm.script(
        ToolCalls([Call("create_customer_ticket", {"name": "# Omar", "issue": issue})]),
        Reply("Ticket #1 is open."),
    )
    async with runner.running():
        thread_id = await open_thread(discord_fake, discord_fake.add_user("omar"), "refund")
        await wait_for_reply(discord_fake, thread_id, ["Ticket #1 is open."])
        await discord_fake.wait_for(
            lambda: bool(discord_fake.messages(discord_fake.staff_channel_id))
        )
    embed = staff_post(discord_fake)["embeds"][0]
    assert embed["description"] == (
        "Refund please: \\[your refund](https://phish.example/login) \\*\\*now\\*\\*"
    )
    assert fields(staff_post(discord_fake))["Name given"] == "\\# Omar"


async def test_two_claims_at_once_give_one_winner(runner, discord_fake, llm):
    """Two staff press Claim together: one has it, the other is told who does."""
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    kim = discord_fake.add_user("kim", roles=[discord_fake.staff_role_id])
    async with runner.running():
        thread_id = await open_ticket(discord_fake, llm, discord_fake.add_user("omar"))
        post = staff_post(discord_fake)
        presses = await asyncio.gather(
            discord_fake.click_button(post, "ticket:claim:1", sam),
            discord_fake.click_button(post, "ticket:claim:1", kim),
        )
        for press in presses:
            await press.wait_for_response()
        await discord_fake.wait_for(lambda: sum(len(p.followups) for p in presses) == 1)
        await discord_fake.wait_for(
            lambda: fields(staff_post(discord_fake))["Status"] == "🔵 Claimed"
        )
    (loser,) = [p for p in presses if p.followups]
    (refusal,) = loser.followups
    winner = "kim" if loser is presses[0] else "sam"
    assert refusal["content"] == f"Ticket #1 is already claimed by {winner}."
    assert refusal["flags"] & 64  # ephemeral
    assert sum(1 for m in bot_messages(discord_fake, thread_id) if "picked up" in m) == 1


async def test_a_desk_role_member_joins_the_thread_they_claim(runner, discord_fake, llm):
    """Staff by STAFF_ROLE_ID alone cannot see private threads: claiming adds them."""
    desk_role = discord_fake.add_role("Support desk")
    clerk = discord_fake.add_user("clerk", roles=[desk_role])
    runner.settings = runner.settings.model_copy(update={"staff_role_id": desk_role})
    async with runner.running():
        thread_id = await open_ticket(discord_fake, llm, discord_fake.add_user("omar"))
        assert not discord_fake.can_view(int(clerk["id"]), thread_id)
        press = await discord_fake.click_button(staff_post(discord_fake), "ticket:claim:1", clerk)
        await press.wait_for_response()
        await discord_fake.wait_for(
            lambda: int(clerk["id"]) in discord_fake.thread_members(thread_id)
        )
        await discord_fake.send_user_message(thread_id, clerk, "Hi Omar, I'm on it.")
        await discord_fake.wait_for(
            lambda: any("on it" in (u or "") for u in discord_fake_users(discord_fake, thread_id))
        )


def discord_fake_users(fake, thread_id: int) -> list[str]:
    return [m["content"] for m in fake.messages(thread_id)]


async def test_desk_commands_are_hidden_from_customers(runner, discord_fake, llm):
    """/tickets (and its panel) carry default permissions and are guild-only: Discord's
    client does not even offer them to a customer."""
    async with runner.running():
        await discord_fake.wait_for(lambda: bool(discord_fake.app_commands))
        customer = discord_fake.add_user("omar")
        with pytest.raises(PermissionError):
            await discord_fake.run_command(
                "tickets", customer, discord_fake.support_channel_id, subcommand="panel"
            )
    registered = [c for cmds in discord_fake.app_commands.values() for c in cmds]
    tickets = next(c for c in registered if c["name"] == "tickets")
    assert int(tickets["default_member_permissions"]) == 1 << 34  # Manage Threads
    assert tickets.get("contexts") == [0] or tickets.get("dm_permission") is False
    assert "default_member_permissions" not in {
        k for c in registered if c["name"] in ("ticket", "human") for k, v in c.items() if v
    }


async def test_the_panel_opens_a_private_conversation_even_after_a_restart(
    runner, discord_fake, llm
):
    """Staff post the panel; after a restart a customer presses it, fills in the form with
    a receipt photo, and gets a private thread whose first turn is what they wrote."""
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    omar = discord_fake.add_user("omar")
    photo = image_bytes("PNG", (20, 30))
    async with runner.running():
        await discord_fake.wait_for(lambda: bool(discord_fake.app_commands))
        posted = await discord_fake.run_command(
            "tickets", sam, discord_fake.staff_channel_id, subcommand="panel"
        )
        await posted.wait_for_response()
        await discord_fake.wait_for(
            lambda: bool(discord_fake.messages(discord_fake.support_channel_id))
        )
    (panel,) = discord_fake.messages(discord_fake.support_channel_id)
    assert panel["content"] == PANEL_TEXT
    answer_in_order(
        llm,
        lambda body: ToolCalls([Call("analyze_receipt_image", {"image_url": attached(body)})]),
        Structured(RECEIPT),
        Reply("I read your receipt: 27.24 EUR."),
    )
    async with runner.running():
        before = set(discord_fake.threads)
        click = await discord_fake.click_button(panel, "help:open", omar)
        assert (await click.wait_for_response())["type"] == 9
        submit = await discord_fake.submit_modal(
            click,
            {"problem": "Two pizzas were missing", "order": "A-1042"},
            {"photos": [("receipt.png", "image/png", photo)]},
        )
        await discord_fake.wait_for(lambda: set(discord_fake.threads) - before)
        (thread_id,) = set(discord_fake.threads) - before
        await wait_for_reply(discord_fake, thread_id, ["I read your receipt: 27.24 EUR."])
        response = await submit.wait_for_response()
    assert discord_fake.threads[thread_id]["type"] == 12
    assert int(omar["id"]) in discord_fake.thread_members(thread_id)
    assert response["data"]["content"].startswith("I've opened a private conversation")
    (copy,) = carried_over(discord_fake, thread_id)
    assert copy["content"] == ("**omar** wrote:\n> Two pizzas were missing\n> Order number: A-1042")
    first = llm.requests[0]["messages"][1]["content"]
    assert first.startswith("Two pizzas were missing\nOrder number: A-1042\nAttached image: ")
    assert copy["attachments"][0]["url"] in first
