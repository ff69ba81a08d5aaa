"""How the model's answer shows in Discord: streamed edits, long replies split, no pings, and
every failure told to the customer."""

from __future__ import annotations

import itertools

from bot.frontends.discord.streaming.renderer import CURSOR
from fakes.openai_server import Fault, Reply
from tests.frontends.discord.helpers import (
    NO_PINGS,
    answered_thread,
    bot_messages,
    message_writes,
    open_thread,
    stored_messages,
    wait_for_reply,
)


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
    async with runner.running():
        await answered_thread(discord_fake, llm, discord_fake.add_user("eve"), "ping them", risky)
    writes = message_writes(discord_fake)
    assert writes
    assert all(w.json["allowed_mentions"] == NO_PINGS for w in writes)


async def test_a_failing_model_is_told_to_the_customer(runner, discord_fake, llm):
    """When the endpoint keeps failing (the engine tried once more) the customer reads why;
    the next message works."""
    customer = discord_fake.add_user("lee")
    llm.script(Fault(503, times=8), Reply("I'm back. How can I help?"))
    async with runner.running():
        thread_id = await open_thread(discord_fake, customer, "Where is my food?")
        retrying = "⚠️ The assistant had an error (HTTP 503). Trying again…"
        notice = (
            "⚠️ The assistant had an error (HTTP 503). Your message is saved; please try again"
            " in a moment."
        )
        await wait_for_reply(discord_fake, thread_id, [retrying, notice])
        await discord_fake.send_user_message(thread_id, customer, "Hello?")
        await wait_for_reply(
            discord_fake, thread_id, [retrying, notice, "I'm back. How can I help?"]
        )
    users = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "user"]
    assert users == ["Where is my food?", "Hello?"]


async def test_shutdown_marks_a_reply_it_cannot_wait_for(runner, discord_fake, llm):
    """Past the grace period an in-flight reply is cut, marked in Discord and in the store."""
    from bot.engine.copy import INTERRUPTED_NOTICE
    from bot.engine.turn import INTERRUPTED_MARK
    from bot.store import Store

    llm.script(Reply("This answer takes a long time to write. " * 20, chunk_size=10, delay=0.1))
    async with runner.running(shutdown_grace=0.3):
        thread_id = await open_thread(discord_fake, discord_fake.add_user("zoe"), "slow please")
        await discord_fake.wait_for(lambda: bool(bot_messages(discord_fake, thread_id)))
    (shown,) = bot_messages(discord_fake, thread_id)
    assert shown.startswith("This answer takes a long time")
    assert shown.endswith(INTERRUPTED_NOTICE)
    async with Store.open(runner.settings.store_location) as store:
        history = await stored_messages(store, thread_id)
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
