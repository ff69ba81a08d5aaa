"""The staff desk as staff see it: ticket posts in the staff channel, their fields and
buttons, and the /tickets command."""

from __future__ import annotations

from bot.desk.desk import Person
from fakes.discord_server import FakeDiscord
from fakes.openai_server import Call, Reply, ToolCalls
from tests.frontends.discord.helpers import open_thread, wait_for_reply

ISSUE = "Order 1234 arrived cold and 50 minutes late."


def staff_post(fake: FakeDiscord, ticket_id: int = 1) -> dict:
    """The staff channel's post of a ticket, as it is now."""
    return next(
        m
        for m in fake.messages(fake.staff_channel_id)
        if m["embeds"] and m["embeds"][0]["title"] == f"Ticket #{ticket_id}"
    )


async def click(fake: FakeDiscord, action: str, user: dict, ticket_id: int = 1):
    """`user` presses the `action` button (claim, resolve, ...) of a ticket's staff post;
    returns the interaction once it is answered."""
    interaction = await fake.click_button(
        staff_post(fake, ticket_id), f"ticket:{action}:{ticket_id}", user
    )
    await interaction.wait_for_response()
    return interaction


def fields(post: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in post["embeds"][0]["fields"]}


def buttons(post: dict) -> list[str]:
    return [c["custom_id"] for row in post["components"] for c in row["components"]]


async def open_ticket(fake: FakeDiscord, llm, customer: dict) -> int:
    """A conversation in which the model opens ticket #1; returns the thread id."""
    llm.script(
        ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": ISSUE})]),
        Reply("Ticket #1 is open; staff will follow up here."),
    )
    thread_id = await open_thread(fake, customer, "My food was cold and late")
    await wait_for_reply(fake, thread_id, ["Ticket #1 is open; staff will follow up here."])
    await fake.wait_for(lambda: bool(fake.messages(fake.staff_channel_id)))
    return thread_id


def person(user: dict) -> Person:
    """A fake Discord user as the desk names them."""
    return Person(id=user["id"], display_name=user["username"])


async def tickets_command(fake: FakeDiscord, user: dict, subcommand: str):
    """`/tickets SUBCOMMAND` run by `user` in the staff channel, once it is answered."""
    interaction = await fake.run_command(
        "tickets", user, fake.staff_channel_id, subcommand=subcommand
    )
    await interaction.wait_for_response()
    return interaction


async def human_command(fake: FakeDiscord, user: dict, thread_id: int, reason: str | None = None):
    """`/human` (with `reason`, if given) run by `user` in a thread, once its followup came."""
    options = {"reason": reason} if reason is not None else None
    interaction = await fake.run_command("human", user, thread_id, options=options)
    await interaction.wait_for_response()
    await fake.wait_for(lambda: bool(interaction.followups))
    return interaction
