"""Reading the fake Discord's state the way a person in the server would see it."""

from __future__ import annotations

from tests.fakes.discord_server import FakeDiscord, RecordedRequest

NO_PINGS = {"parse": []}


def bot_messages(fake: FakeDiscord, channel_id: int) -> list[str]:
    """Contents of the bot's messages in a channel or thread, oldest first."""
    return [
        m["content"]
        for m in fake.messages(channel_id)
        if m["author"]["id"] == str(fake.bot_user_id)
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
    return writes


async def wait_for_reply(
    fake: FakeDiscord, channel_id: int, expected: list[str], timeout: float = 15
) -> None:
    """Wait until the bot's messages in the channel are exactly `expected`."""
    try:
        await fake.wait_for(lambda: bot_messages(fake, channel_id) == expected, timeout=timeout)
    except TimeoutError:
        shown = bot_messages(fake, channel_id)
        raise AssertionError(f"bot messages: {shown!r}, expected {expected!r}") from None


async def open_thread(fake: FakeDiscord, author: dict, content: str, **kwargs) -> int:
    """Write in the support channel and return the id of the thread the bot opens."""
    message = await fake.send_user_message(fake.support_channel_id, author, content, **kwargs)
    thread_id = int(message["id"])
    await fake.wait_for(lambda: thread_id in fake.threads, timeout=10)
    return thread_id
