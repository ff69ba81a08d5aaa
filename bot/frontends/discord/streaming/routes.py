"""Discord's REST requests as the request budget sees them: their path below the API base,
and which of them it treats apart."""

from __future__ import annotations

import re

import discord
import yarl

# Interaction endpoints are not bound by the global limit.
EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")

# A new conversation starts with its thread (and, should its first words fail to bring the
# customer in, their admission to it): they go with the first texts of replies.
THREAD_START = re.compile(r"^/channels/\d+((/messages/\d+)?/threads|/thread-members/\d+)$")

Route = tuple[str, str]  # (method, path below the API base), as a request is made


def api_path(url: yarl.URL) -> str | None:
    """The path of a request below Discord's API base (None: not an API request)."""
    base = yarl.URL(discord.http.Route.BASE)
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
        return None
    prefix = base.path.rstrip("/")
    if not url.path.startswith(prefix + "/"):
        return None
    return url.path[len(prefix) :]
