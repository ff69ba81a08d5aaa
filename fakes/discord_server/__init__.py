"""A fake Discord (REST API v10 + JSON gateway) on loopback for driving the real discord.py client.

Point discord.py at it with :meth:`FakeDiscord.patch_discord_py` (patches ``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``). REST and the websocket share one aiohttp server on a
random port of 127.0.0.1. Request bodies are validated against Discord's OpenAPI spec (see
:mod:`fakes.discord_spec`) plus the limits the spec leaves out; problems end up in
:attr:`FakeDiscord.violations`, unknown routes in :attr:`FakeDiscord.unexpected`.

Interactions: :meth:`FakeDiscord.run_command` and :meth:`FakeDiscord.click_button` make a member
use a registered slash command or a button, dispatching ``INTERACTION_CREATE``; they return an
:class:`Interaction` that records what the bot answers through the callback and the interaction
webhook (``interaction.response``, ``followup`` and ``edit_original_response`` in discord.py).

Private threads: the bot creates them with ``POST /channels/{id}/threads`` (type 12); members are
recorded (:meth:`FakeDiscord.thread_members`), and only members and members with Manage Threads
may post there (:meth:`FakeDiscord.send_user_message` refuses others, as Discord answers them 403).
Gateway events of a private thread reach the bot only while it can see the thread. Deleting another
user's message needs Manage Messages (:meth:`FakeDiscord.set_bot_permissions`,
:meth:`FakeDiscord.set_permission_overwrite`). A button answered with a modal (callback type 9) is
submitted with :meth:`FakeDiscord.submit_modal`, uploaded files included.

New routes are added with :meth:`FakeDiscord.add_route` using the spec's path template, so body
validation picks up the matching schema automatically.
"""

from fakes.discord_server.components import check_components, normalize_components, walk_components
from fakes.discord_server.constants import (
    BOT_ROLE_PERMISSIONS,
    P_CREATE_PRIVATE_THREADS,
    P_MANAGE_MESSAGES,
    P_MANAGE_THREADS,
)
from fakes.discord_server.interaction import Interaction
from fakes.discord_server.modals import check_modal
from fakes.discord_server.models import ApiCall, ApiError, RecordedRequest, UploadedFile
from fakes.discord_server.server import FakeDiscord

__all__ = [
    "BOT_ROLE_PERMISSIONS",
    "P_CREATE_PRIVATE_THREADS",
    "P_MANAGE_MESSAGES",
    "P_MANAGE_THREADS",
    "ApiCall",
    "ApiError",
    "FakeDiscord",
    "Interaction",
    "RecordedRequest",
    "UploadedFile",
    "check_components",
    "check_modal",
    "normalize_components",
    "walk_components",
]
