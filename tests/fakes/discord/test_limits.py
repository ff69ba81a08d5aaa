"""The fake Discord's validation, limits, rate limits and injected failures."""

from __future__ import annotations

import aiohttp
import discord
import pytest
from discord.http import handle_message_parameters

from fakes.discord_server import FakeDiscord
from fakes.discord_spec import RequestValidator, check_message_limits, load_subset
from tests.fakes.discord.helpers import MESSAGES_ROUTE, RecordingClient


def test_validator_accepts_discord_py_payloads_and_flags_bad_ones() -> None:
    """The spec subset accepts what discord.py builds and rejects malformed bodies."""
    validator = RequestValidator()
    create = "/channels/{channel_id}/messages"
    embed = discord.Embed(title="t", description="d", url="https://example.com")
    embed.set_author(name="a").set_image(url="https://example.com/x.png")
    params = handle_message_parameters(
        content="hello",
        embed=embed,
        allowed_mentions=discord.AllowedMentions(users=[discord.Object(id=123)]),
        nonce=12345,
    )
    payload = params.payload
    assert payload is not None
    payload["message_reference"] = {"message_id": 1, "channel_id": 2, "fail_if_not_exists": True}
    payload["attachments"] = [{"id": 0, "filename": "a.txt"}]
    assert validator.validate("POST", create, payload) == []
    assert validator.validate("PATCH", create + "/{message_id}", {"content": None}) == []
    threads = "/channels/{channel_id}/messages/{message_id}/threads"
    ok_thread = {"name": "x", "auto_archive_duration": 1440, "rate_limit_per_user": None}
    assert validator.validate("POST", threads, ok_thread) == []

    bad = validator.validate("POST", create, {"content": 5})
    assert bad
    assert bad[0].path == ("content",)
    assert validator.validate("POST", threads, {"name": ""})
    assert validator.validate("POST", threads, {"name": "x", "auto_archive_duration": 61})
    assert validator.validate("POST", create, {"message_reference": {"message_id": "abc"}})
    assert validator.validate("POST", create, {"embeds": [{"color": "red"}]})

    too_long = check_message_limits({"content": "x" * 2001})
    assert [v.code for v in too_long] == ["BASE_TYPE_MAX_LENGTH"]
    assert check_message_limits({"content": "x" * 2000}) == []
    big = {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}
    assert [v.code for v in check_message_limits(big)] == ["MAX_EMBED_SIZE_EXCEEDED"]
    fields = {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}
    assert check_message_limits(fields)
    assert "POST /interactions/{interaction_id}/{interaction_token}/callback" in load_subset()


async def test_limits_are_enforced_and_recorded(discord_fake: FakeDiscord) -> None:
    """Over-long content/embeds give Discord's 400 50035 and are recorded as violations."""
    client = RecordingClient()
    async with discord_fake.run_client(client):
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as info:
            await channel.send("x" * 2001)
        assert info.value.status == 400
        assert info.value.code == 50035
        assert "2000" in str(info.value)
        assert len(discord_fake.violations) == 1
        assert "content" in discord_fake.violations[0]

        huge = discord.Embed(description="d" * 4096)
        huge.add_field(name="a", value="v" * 1024).add_field(name="b", value="v" * 1024)
        with pytest.raises(discord.HTTPException):
            await channel.send(embed=huge)
        assert "MAX_EMBED_SIZE_EXCEEDED" in discord_fake.violations[1]

        with pytest.raises(discord.HTTPException) as info:
            await channel.send()
        assert info.value.code == 50006
    assert discord_fake.messages(discord_fake.support_channel_id) == []

    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {discord_fake.token}"}
        url = f"{discord_fake.api_base}/channels/{discord_fake.support_channel_id}/messages"
        async with http.post(url, json={"content": 123}, headers=headers) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body["code"] == 50035
            assert "content" in body["errors"]
        async with http.get(f"{discord_fake.api_base}/nope", headers=headers) as resp:
            assert resp.status == 404
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
        async with http.get(f"{discord_fake.api_base}/users/@me") as resp:
            assert resp.status == 401
        async with http.get(f"{discord_fake.api_base}/users/@me", headers=headers) as resp:
            assert resp.status == 200
            for name in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
                assert f"X-RateLimit-{name}" in resp.headers
    assert "content: BASE_TYPE_BAD_TYPE" in discord_fake.violations[-1]
    assert any("/nope" in u for u in discord_fake.unexpected)


async def test_injected_429_and_errors(discord_fake: FakeDiscord) -> None:
    """discord.py waits out an injected 429 and retries; injected 403 raises Forbidden."""
    client = RecordingClient()
    async with discord_fake.run_client(client):
        channel = client.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        discord_fake.inject_429("POST", MESSAGES_ROUTE, retry_after=0.05)
        message = await channel.send("after a rate limit")
        assert message.content == "after a rate limit"
        statuses = [r.status for r in discord_fake.requests_matching("POST", MESSAGES_ROUTE)]
        assert statuses == [429, 200]

        discord_fake.inject_429("POST", MESSAGES_ROUTE, retry_after=0.05, global_=True)
        await channel.send("after a global rate limit")

        discord_fake.inject_error("POST", MESSAGES_ROUTE, 403)
        with pytest.raises(discord.Forbidden) as info:
            await channel.send("forbidden")
        assert info.value.code == 50013
    contents = [m["content"] for m in discord_fake.messages(discord_fake.support_channel_id)]
    assert contents == ["after a rate limit", "after a global rate limit"]
    assert discord_fake.violations == []
