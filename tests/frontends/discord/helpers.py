"""Reading the fake Discord's state the way a person in the server would see it."""

from __future__ import annotations

import asyncio
import re

from bot.frontends.discord.bot import conversation_key
from bot.store import Store, StoredMessage
from fakes.discord_server import FakeDiscord, RecordedRequest
from fakes.openai_server import Reply

NO_PINGS = {"parse": []}
PRIVATE_THREAD = 12
CARRIED = re.compile(r"^\*\*[^*]+\*\* wrote:\n")


def bot_messages(fake: FakeDiscord, channel_id: int) -> list[str]:
    """Contents of the bot's answers in a channel or thread, oldest first.

    A private conversation opens with the customer's words carried into the thread and a
    note that they were moved there; those are the customer's, not answers, and are left out
    (`carried_over` reads them).
    """
    return [
        m["content"]
        for m in fake.messages(channel_id)
        if m["author"]["id"] == str(fake.bot_user_id) and not CARRIED.match(m["content"])
    ]


def carried_over(fake: FakeDiscord, thread_id: int) -> list[dict]:
    """The bot's copies of a customer's first message in their private thread."""
    return [
        m
        for m in fake.messages(thread_id)
        if m["author"]["id"] == str(fake.bot_user_id) and CARRIED.match(m["content"])
    ]


def message_writes(fake: FakeDiscord, channel_id: int | None = None) -> list[RecordedRequest]:
    """Every message create or edit request the bot made (in one channel, if given)."""
    writes = [
        r
        for r in fake.requests
        if r.route
        in ("/channels/{channel_id}/messages", "/channels/{channel_id}/messages/{message_id}")
        and r.method in ("POST", "PATCH")
    ]
    if channel_id is not None:
        writes = [r for r in writes if r.path.startswith(f"/channels/{channel_id}/")]
    # The customer's words carried into a private thread are not part of any reply.
    return [
        w
        for w in writes
        if not (isinstance(w.json, dict) and CARRIED.match(w.json.get("content") or ""))
    ]


async def wait_for_reply(
    fake: FakeDiscord, channel_id: int, expected: list[str], timeout: float = 15
) -> None:
    """Wait until the bot's messages in the channel are exactly `expected`."""
    try:
        await fake.wait_for(lambda: bot_messages(fake, channel_id) == expected, timeout=timeout)
    except TimeoutError:
        shown = bot_messages(fake, channel_id)
        raise AssertionError(f"bot messages: {shown!r}, expected {expected!r}") from None


async def opened_thread(
    fake: FakeDiscord, author: dict, content: str, **kwargs
) -> tuple[dict, int]:
    """Write in the support channel; return the message written and the id of the one thread
    the bot opens for it, as soon as it exists."""
    before = set(fake.threads)
    original = await fake.send_user_message(fake.support_channel_id, author, content, **kwargs)
    await fake.wait_for(lambda: set(fake.threads) - before, timeout=10)
    (thread_id,) = set(fake.threads) - before
    return original, thread_id


async def open_thread(fake: FakeDiscord, author: dict, content: str, **kwargs) -> int:
    """Write in the support channel and return the id of the thread the bot opens (a
    private one by default: the customer is added to it)."""
    _, thread_id = await opened_thread(fake, author, content, **kwargs)
    if fake.threads[thread_id]["type"] == PRIVATE_THREAD:
        await fake.wait_for(lambda: int(author["id"]) in fake.thread_members(thread_id))
    return thread_id


async def answered_thread(fake: FakeDiscord, llm, customer: dict, text: str, answer: str) -> int:
    """The customer writes `text` in the support channel and the model's `answer` shows in the
    thread the bot opens; returns the thread id."""
    llm.script(Reply(answer))
    thread_id = await open_thread(fake, customer, text)
    await wait_for_reply(fake, thread_id, [answer])
    return thread_id


def attached(body: dict) -> str:
    """The image URL the customer's first message names, as the model reads it (in a private
    conversation, the thread's copy of the photo)."""
    found = re.search(r"Attached image: (\S+)", body["messages"][1]["content"])
    assert found is not None, body["messages"][1]["content"]
    return found[1]


def answer_in_order(llm, *answers) -> None:
    """Answer the next requests in order; an answer may be a function of the request body
    (a tool call naming the URL the model was given, say)."""
    queue = list(answers)

    def next_answer(body: dict):
        answer = queue.pop(0)
        return answer(body) if callable(answer) else answer

    llm.set_responder(next_answer)


def discord_settings(fake: FakeDiscord) -> dict[str, object]:
    """The settings that point the bot at the fake Discord."""
    return {
        "discord_token": fake.token,
        "support_channel_id": fake.support_channel_id,
        "staff_channel_id": fake.staff_channel_id,
        "discord_api_base": fake.api_base,
        "discord_gateway_url": fake.gateway_url,
    }


async def stored_messages(store: Store, thread_id: int) -> list[StoredMessage]:
    """The thread's conversation as stored, oldest first (none while it is not stored yet)."""
    conversation = await store.get_conversation(conversation_key(thread_id))
    return [] if conversation is None else await store.load_history(conversation.id)


async def stored_user_messages(runner, thread_id: int) -> list[str]:
    """What the stored conversation of a thread holds as the user's turns."""
    history = await stored_messages(runner.bot.engine.services.store, thread_id)
    assert history, f"no conversation stored for thread {thread_id}"
    return [m.content or "" for m in history if m.role == "user"]


async def stored_count(runner, thread_id: int, at_least: int) -> None:
    """Wait until the thread's conversation holds `at_least` stored messages."""
    store = runner.bot.engine.services.store
    for _ in range(500):
        if len(await stored_messages(store, thread_id)) >= at_least:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("messages were not stored")
