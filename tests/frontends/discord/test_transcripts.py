"""The Transcript button of a resolved ticket's staff post: the conversation as a Markdown
file, attached ephemerally, for staff only."""

from __future__ import annotations

import aiohttp

from bot.engine.copy import STAFF_ONLY
from tests.frontends.discord.helpers import stored_count
from tests.frontends.discord.tickets import ISSUE, buttons, open_ticket, staff_post


async def test_a_resolved_ticket_hands_staff_its_transcript(runner, discord_fake, llm):
    omar = discord_fake.add_user("omar")
    sam = discord_fake.add_user("sam", roles=[discord_fake.staff_role_id])
    async with runner.running():
        thread_id = await open_ticket(discord_fake, llm, omar)
        assert "ticket:transcript:1" not in buttons(staff_post(discord_fake))
        claim = await discord_fake.click_button(staff_post(discord_fake), "ticket:claim:1", sam)
        await claim.wait_for_response()
        await discord_fake.send_user_message(thread_id, sam, "Refunded the delivery fee, Omar.")
        await stored_count(runner, thread_id, at_least=7)
        resolve = await discord_fake.click_button(staff_post(discord_fake), "ticket:resolve:1", sam)
        await resolve.wait_for_response()
        await discord_fake.wait_for(
            lambda: "ticket:transcript:1" in buttons(staff_post(discord_fake))
        )
        refused = await discord_fake.click_button(
            staff_post(discord_fake), "ticket:transcript:1", omar
        )
        await refused.wait_for_response()
        pressed = await discord_fake.click_button(
            staff_post(discord_fake), "ticket:transcript:1", sam
        )
        await discord_fake.wait_for(lambda: bool((pressed.message or {}).get("attachments")))
        (attached,) = pressed.message["attachments"]
        async with aiohttp.ClientSession() as http, http.get(attached["url"]) as response:
            text = await response.text()
    assert (refused.ephemeral, refused.content) == (True, STAFF_ONLY)
    assert pressed.ephemeral
    assert attached["filename"] == "ticket-1-transcript.md"
    assert text.startswith("# Ticket #1: conversation transcript\n")
    assert f"- Issue: {ISSUE}" in text
    assert "- Status: resolved, claimed by sam" in text
    said = [line for line in text.splitlines() if line.startswith("> ")]
    assert said[0] == "> My food was cold and late"
    assert "> Ticket #1 is open; staff will follow up here." in said
    assert any("Refunded the delivery fee, Omar." in line for line in said)
    assert text.index("**omar**") < text.index("**Assistant**") < text.index("**Staff**")
