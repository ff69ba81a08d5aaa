"""A way to a person at every answer: the button on the newest answer's last message, moved
from the answer before, and its press handing the conversation over once."""

from __future__ import annotations

from bot.engine.copy import ALREADY_WITH_STAFF, HANDED_OFF, NOT_YOUR_BUTTON
from bot.frontends.discord.rating_views import PERSON_BUTTON
from fakes.openai_server import Reply
from tests.frontends.discord.helpers import answered_thread, wait_for_reply
from tests.frontends.discord.ratings import button_labels, custom_ids


def answers(fake, thread_id: int, *texts: str) -> list[dict]:
    by_text = {m["content"]: m for m in fake.messages(thread_id)}
    return [by_text[text] for text in texts]


async def test_the_button_moves_to_the_newest_answer(runner, discord_fake, llm):
    """Each finished answer's last message carries "Talk to a person" (with its final text);
    the answer before loses it in one extra edit."""
    omar = discord_fake.add_user("omar")
    async with runner.running():
        thread_id = await answered_thread(discord_fake, llm, omar, "Hi", "Hello! How can I help?")
        (first,) = answers(discord_fake, thread_id, "Hello! How can I help?")
        assert custom_ids(first) == [PERSON_BUTTON]
        assert "person" in button_labels(first)[0]
        removals = [
            r
            for r in discord_fake.requests_matching(
                "PATCH", rf"/channels/{thread_id}/messages/[0-9]+"
            )
            if r.json.get("components") == []
        ]
        assert removals == []

        llm.script(Reply("Your order left the restaurant."))
        await discord_fake.send_user_message(thread_id, omar, "Where is my order?")
        await wait_for_reply(
            discord_fake, thread_id, ["Hello! How can I help?", "Your order left the restaurant."]
        )
        await discord_fake.wait_for(
            lambda: not answers(discord_fake, thread_id, "Hello! How can I help?")[0]["components"]
        )
        first, second = answers(
            discord_fake, thread_id, "Hello! How can I help?", "Your order left the restaurant."
        )
        assert custom_ids(second) == [PERSON_BUTTON]
        removals = [
            r
            for r in discord_fake.requests_matching(
                "PATCH", rf"/channels/{thread_id}/messages/[0-9]+"
            )
            if r.json.get("components") == []
        ]
        assert [r.path.rsplit("/", 1)[1] for r in removals] == [first["id"]]


async def test_a_press_hands_over_once(runner, discord_fake, llm):
    """The customer's press opens a ticket as /human does; a second press opens no second
    ticket; a stranger's press is refused."""
    omar = discord_fake.add_user("omar")
    zoe = discord_fake.add_user("zoe")
    async with runner.running():
        thread_id = await answered_thread(discord_fake, llm, omar, "Hi", "Hello! How can I help?")
        (answer,) = answers(discord_fake, thread_id, "Hello! How can I help?")

        stranger = await discord_fake.click_button(answer, PERSON_BUTTON, zoe)
        await stranger.wait_for_response()
        assert stranger.ephemeral
        assert stranger.content == NOT_YOUR_BUTTON

        press = await discord_fake.click_button(answer, PERSON_BUTTON, omar)
        await discord_fake.wait_for(lambda: press.content == HANDED_OFF.format(ticket=1))
        assert not press.ephemeral
        again = await discord_fake.click_button(answer, PERSON_BUTTON, omar)
        await discord_fake.wait_for(lambda: again.content == ALREADY_WITH_STAFF.format(ticket=1))
        tickets = await runner.bot.engine.tickets(f"discord:{thread_id}")
        assert [t.id for t in tickets] == [1]
