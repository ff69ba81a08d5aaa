"""Private all the way: the public original goes once its words are stored and the answer's
first text is shown (and at start, for one a crash left); a customer under way joins their
conversation instead of opening a second; threads opened per minute are capped per guild,
and nobody over the cap loses anything."""

from __future__ import annotations

from bot.engine.copy import OPENING_SOON
from bot.engine.limiter import SlidingWindowLimiter
from fakes.discord_server import P_MANAGE_MESSAGES
from fakes.openai_server import Reply
from tests.frontends.discord import helpers as h


async def test_the_original_is_removed_once_the_answer_shows(runner, discord_fake, llm):
    """The original's DELETE comes right after the answer's first text in the thread (it
    costs nothing before the customer's first word), and it goes."""
    omar = discord_fake.add_user("omar")
    llm.script(Reply("Hello Omar!", chunk_size=3, delay=0.05))
    async with runner.running():
        original, thread_id = await h.opened_thread(discord_fake, omar, "hi, my order is late")
        await h.wait_for_reply(discord_fake, thread_id, ["Hello Omar!"])
    path = f"/channels/{discord_fake.support_channel_id}/messages/{original['id']}"
    (delete,) = discord_fake.requests_matching("DELETE", f"^{path}$")
    first_write = h.message_writes(discord_fake, thread_id)[0]
    assert first_write.at < delete.at
    assert discord_fake.get_message(discord_fake.support_channel_id, int(original["id"])) is None


async def test_an_original_left_by_a_crash_is_removed_at_start(runner, discord_fake, llm):
    """The store holds the conversation but its original is still in the support channel
    (as a crash between storing and removing leaves it): the next start removes it, and
    nobody else's message."""
    omar = discord_fake.add_user("omar")
    lena = discord_fake.add_user("lena")
    # Left behind: the bot could not remove it then (as if it had died before it could).
    discord_fake.set_permission_overwrite(
        discord_fake.support_channel_id, discord_fake.bot_user_id, deny=P_MANAGE_MESSAGES
    )
    # Older than the bot's first start: not a message sent while it was down (those are
    # caught up and moved into their threads), just someone else's message in the channel.
    kept = await discord_fake.send_user_message(discord_fake.support_channel_id, lena, "hello?")
    async with runner.running():
        await h.answered_thread(discord_fake, llm, omar, "my order is late", "Sorry Omar!")
    (left,) = [
        m for m in discord_fake.messages(discord_fake.support_channel_id) if m["id"] != kept["id"]
    ]
    discord_fake.set_permission_overwrite(
        discord_fake.support_channel_id, discord_fake.bot_user_id, deny=0
    )
    llm.set_responder(lambda body: Reply("Hi Lena!"))
    async with runner.running():
        await discord_fake.wait_for(
            lambda: (
                discord_fake.get_message(discord_fake.support_channel_id, int(left["id"])) is None
            )
        )
    assert discord_fake.get_message(discord_fake.support_channel_id, int(kept["id"])) is not None


async def test_a_customer_under_way_joins_their_conversation(runner, discord_fake, llm):
    """A customer with an open conversation writes in the support channel again: no second
    thread; their words go into the same thread, are answered there, and they are pointed
    to it."""
    omar = discord_fake.add_user("omar")
    async with runner.running():
        thread_id = await h.answered_thread(discord_fake, llm, omar, "order 55 is late", "Sorry!")
        llm.script(Reply("Order 55 arrives in 10 minutes."))
        threads = set(discord_fake.threads)
        second = await discord_fake.send_user_message(
            discord_fake.support_channel_id, omar, "any news on order 55?"
        )
        await h.wait_for_reply(
            discord_fake, thread_id, ["Sorry!", "Order 55 arrives in 10 minutes."]
        )
        support = discord_fake.messages(discord_fake.support_channel_id)
    assert set(discord_fake.threads) == threads
    assert [c["content"].splitlines()[1] for c in h.carried_over(discord_fake, thread_id)] == [
        "> order 55 is late",
        "> any news on order 55?",
    ]
    sent = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "user"]
    assert sent == ["order 55 is late", "any news on order 55?"]
    assert discord_fake.get_message(discord_fake.support_channel_id, int(second["id"])) is None
    (pointer,) = support
    assert f"<#{thread_id}>" in pointer["content"]


async def test_threads_per_minute_are_capped_and_the_one_over_waits(runner, discord_fake, llm):
    """With room for one thread, two customers write at once: the second is told their
    conversation opens in a moment, and it does, with their words and an answer; the notice
    then goes."""
    runner.settings = runner.settings.model_copy(update={"threads_per_minute": 1})
    llm.set_responder(lambda body: Reply("Hello!"))
    ana, ben = discord_fake.add_user("ana"), discord_fake.add_user("ben")
    async with runner.running() as bot:
        cog = bot.get_cog("SupportCog")
        # One thread per 4 s (the rule of THREADS_PER_MINUTE, at a pace a test can wait out).
        cog.starter.opener.threads = SlidingWindowLimiter(1, 4.0)
        for customer in (ana, ben):
            await discord_fake.send_user_message(
                discord_fake.support_channel_id, customer, f"help, I am {customer['username']}"
            )
        # Whichever of the two the bot reads second waits for room.
        soon = {OPENING_SOON.format(mention=f"<@{c['id']}>") for c in (ana, ben)}
        await discord_fake.wait_for(
            lambda: any(
                m["content"] in soon for m in discord_fake.messages(discord_fake.support_channel_id)
            )
        )
        await discord_fake.wait_for(lambda: len(discord_fake.threads) == 2, timeout=15)
        for thread_id in discord_fake.threads:
            await h.wait_for_reply(discord_fake, thread_id, ["Hello!"])
        await discord_fake.wait_for(
            lambda: not discord_fake.messages(discord_fake.support_channel_id)
        )
    words = sorted(
        c["content"].splitlines()[1]
        for t in discord_fake.threads
        for c in h.carried_over(discord_fake, t)
    )
    assert words == ["> help, I am ana", "> help, I am ben"]
    assert all(h.bot_messages(discord_fake, t) == ["Hello!"] for t in discord_fake.threads)
