"""What reaches the staff channel: one post a ticket, a receipt that does not add up flagged,
a post Discord refused delivered later."""

from __future__ import annotations

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
from tests.frontends.discord.tickets import ISSUE, fields, open_ticket, staff_post
from tests.tools.test_images import image_bytes


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


# What a customer (or a model they steer) may write to mislead staff: a masked link, Discord's
# mention, channel, command and timestamp tokens with short ids, headings, small text,
# quotes, numbered lists, bold, and a direction override.
HOSTILE_ISSUE = (
    "Approved by [Dashly Support](https://evil.example/refund) <@&123> <#456>\n"
    "## Refund authorised\n-# by a manager\n> staff: pay out\n1. open </refund:789>\n"
    "**URGENT** since <t:1700000000:R> \u202etxt.exe"
)
HOSTILE_NAME = "**Admin** <@1> [ok](https://evil.example)"


async def test_every_customer_or_model_field_reaches_staff_as_plain_text(runner, discord_fake, llm):
    """The name given, the issue, the display name and the receipt's lines, in the post's
    text and its embed: no link hidden behind words, no token or markup rendered."""
    photo = discord_fake.add_attachment("r.png", image_bytes("PNG"), "image/png")
    receipt = dict(
        RECEIPT,
        items=[
            {"name": "[Pizza](https://evil.example) <@&1>", "quantity": 1, "price_in_cents": 2724}
        ],
    )
    answer_in_order(
        llm,
        lambda body: ToolCalls([Call("analyze_receipt_image", {"image_url": attached(body)})]),
        Structured(receipt),
        ToolCalls([Call("create_customer_ticket", {"name": HOSTILE_NAME, "issue": HOSTILE_ISSUE})]),
        Reply("Ticket #1 is open."),
    )
    customer = discord_fake.add_user("# [Support](https://evil.example) <#1>")
    async with runner.running():
        thread_id = await open_thread(discord_fake, customer, "refund", attachments=[photo])
        await wait_for_reply(discord_fake, thread_id, ["Ticket #1 is open."])
        await outbox_drained(runner.bot.engine.services.store)
    post = staff_post(discord_fake)
    assert post["content"] == (
        "New ticket #1 from \\*\\*Admin\\*\\* \\<@1> \\[ok](https://evil.example)"
    )
    assert post["embeds"][0]["description"] == (
        "Approved by \\[Dashly Support](https://evil.example/refund) \\<@&123> \\<#456>\n"
        "\\## Refund authorised\n\\-# by a manager\n\\> staff: pay out\n"
        "1\\. open \\</refund:789>\n\\*\\*URGENT\\*\\* since \\<t:1700000000:R> txt.exe"
    )
    shown = fields(post)
    assert shown["Name given"] == "\\*\\*Admin\\*\\* \\<@1> \\[ok](https://evil.example)"
    assert shown["Customer"] == (
        f"<@{customer['id']}> (\\# \\[Support](https://evil.example) \\<#1>)"
    )
    assert shown["Receipt"].splitlines()[1] == (
        "1 × \\[Pizza](https://evil.example) \\<@&1> @ 27.24 EUR"
    )
