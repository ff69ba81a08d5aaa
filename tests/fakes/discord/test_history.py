"""The fake's message history answers as Discord documents it: newest first whichever anchor,
`before`/`after`/`around` mutually exclusive, `limit` 1-100 (50 by default)."""

from __future__ import annotations

import aiohttp

from fakes.discord_server import FakeDiscord
from fakes.discord_server.constants import P_READ_MESSAGE_HISTORY


async def _get(fake: FakeDiscord, channel_id: int, **query: object) -> tuple[int, object]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{fake.api_base}/channels/{channel_id}/messages",
            params={k: str(v) for k, v in query.items()},
            headers={"Authorization": f"Bot {fake.token}"},
        ) as response,
    ):
        return response.status, await response.json()


async def _post(fake: FakeDiscord, channel_id: int, count: int) -> list[int]:
    author = fake.add_user("writer")
    return [
        int((await fake.send_user_message(channel_id, author, f"m{n}"))["id"]) for n in range(count)
    ]


async def test_bad_queries_are_refused_as_discord_refuses_them(discord_fake: FakeDiscord) -> None:
    """A limit outside 1-100, two anchors at once, or an anchor that is not a snowflake: 400
    Invalid Form Body (50035)."""
    channel = discord_fake.support_channel_id
    (first,) = await _post(discord_fake, channel, 1)
    for query in (
        {"limit": 0},
        {"limit": 101},
        {"after": first, "before": first + 10},
        {"after": "soon"},
    ):
        status, body = await _get(discord_fake, channel, **query)
        assert status == 400, query
        assert isinstance(body, dict)
        assert body["code"] == 50035


async def test_pages_come_newest_first_and_need_read_message_history(
    discord_fake: FakeDiscord,
) -> None:
    """`after` gives the `limit` messages right after the id, newest first (discord.py's
    `history(after=...)` reverses each page); `before` the `limit` right before it; no anchor
    the newest, 50 by default. Without Read Message History: an empty list."""
    channel = discord_fake.support_channel_id
    ids = await _post(discord_fake, channel, 60)
    status, page = await _get(discord_fake, channel, after=ids[9], limit=5)
    assert status == 200
    assert [int(m["id"]) for m in page] == ids[10:15][::-1]
    _, page = await _get(discord_fake, channel, before=ids[30], limit=3)
    assert [int(m["id"]) for m in page] == ids[27:30][::-1]
    _, page = await _get(discord_fake, channel)
    assert [int(m["id"]) for m in page] == ids[10:][::-1]
    _, page = await _get(discord_fake, channel, after=ids[-1])
    assert page == []
    discord_fake.set_permission_overwrite(
        channel, discord_fake.bot_user_id, deny=P_READ_MESSAGE_HISTORY
    )
    assert await _get(discord_fake, channel) == (200, [])
