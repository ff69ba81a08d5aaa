"""GET /channels/{channel_id}/messages: a channel's history, paged as Discord pages it.

Discord's documentation: the messages come "from newest to oldest", whichever of `before`,
`after` or `around` is given (with `after`, the `limit` messages right after the id, still
newest first: discord.py's `history(after=...)` reverses each page and pages on from its first
item); the three are mutually exclusive; `limit` is 1-100, 50 by default; without Read Message
History the answer is an empty list; a channel the bot cannot see is 403 Missing Access.
"""

from __future__ import annotations

from aiohttp import web

from fakes.discord_server.constants import JSON, P_READ_MESSAGE_HISTORY
from fakes.discord_server.models import ApiCall, ApiError

ANCHORS = ("before", "after", "around")


def _snowflake(name: str, raw: str) -> int:
    """A query snowflake, or Discord's 400 for a value that is not one."""
    if not raw.isdigit() or int(raw) >= 1 << 64:
        raise ApiError(
            400, 50035, "Invalid Form Body", violation=f"{name}: value {raw!r} is not snowflake"
        )
    return int(raw)


class History:
    """The message history route."""

    async def _list_messages(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}/messages (newest first, like Discord)."""
        channel_id, _ = self._require_channel(call)
        self._require_bot_access(channel_id)
        query = call.recorded.query
        raw_limit = query.get("limit", "50")
        limit = int(raw_limit) if raw_limit.isdigit() else -1
        if not 1 <= limit <= 100:
            raise ApiError(400, 50035, "Invalid Form Body", violation=f"bad limit {raw_limit!r}")
        anchors = [name for name in ANCHORS if name in query]
        if len(anchors) > 1:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                violation=f"{' and '.join(anchors)} are mutually exclusive",
            )
        anchor = {name: _snowflake(name, query[name]) for name in anchors}
        if not self.permissions_for(self.bot_user_id, channel_id) & P_READ_MESSAGE_HISTORY:
            return self._ok([])
        oldest_first: list[JSON] = sorted(
            self._messages[channel_id].values(), key=lambda m: int(m["id"])
        )
        if "after" in anchor:
            page = [m for m in oldest_first if int(m["id"]) > anchor["after"]][:limit]
        elif "around" in anchor:
            pivot = anchor["around"]
            older = [m for m in oldest_first if int(m["id"]) < pivot]
            rest = [m for m in oldest_first if int(m["id"]) >= pivot]
            page = older[-(limit // 2) :] if limit // 2 else []
            page += rest[: limit - len(page)]
        else:
            before = anchor.get("before")
            kept = [m for m in oldest_first if before is None or int(m["id"]) < before]
            page = kept[-limit:]
        return self._ok([self._rest_view(m) for m in reversed(page)])
