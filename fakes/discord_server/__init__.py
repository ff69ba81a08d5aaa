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

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import math
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import yarl
from aiohttp import BodyPartReader, WSMsgType, web

from fakes.discord_spec import (
    RequestValidator,
    SpecViolation,
    check_message_limits,
    discord_error_body,
    is_empty_message,
)

if TYPE_CHECKING:
    import discord

JSON = dict[str, Any]
Handler = Callable[["ApiCall"], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
HEARTBEAT_INTERVAL_MS = 41_250

# Gateway intents (https://discord.com/developers/docs/events/gateway#gateway-intents).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_GUILD_MESSAGE_TYPING = 1 << 11
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS: dict[str, int] = {
    "members": INTENT_GUILD_MEMBERS,
    "presences": INTENT_GUILD_PRESENCES,
    "message_content": INTENT_MESSAGE_CONTENT,
}
# Application flags telling which privileged intents the app may use.
_APP_FLAG_FOR_INTENT: dict[str, int] = {
    "presences": 1 << 12,
    "members": 1 << 14,
    "message_content": 1 << 18,
}

# Permission bits (https://discord.com/developers/docs/topics/permissions).
P_CREATE_INSTANT_INVITE = 1 << 0
P_KICK_MEMBERS = 1 << 1
P_ADMINISTRATOR = 1 << 3
P_ADD_REACTIONS = 1 << 6
P_VIEW_CHANNEL = 1 << 10
P_SEND_MESSAGES = 1 << 11
P_MANAGE_MESSAGES = 1 << 13
P_EMBED_LINKS = 1 << 14
P_ATTACH_FILES = 1 << 15
P_READ_MESSAGE_HISTORY = 1 << 16
P_MENTION_EVERYONE = 1 << 17
P_USE_EXTERNAL_EMOJIS = 1 << 18
P_CONNECT = 1 << 20
P_SPEAK = 1 << 21
P_CHANGE_NICKNAME = 1 << 26
P_USE_APPLICATION_COMMANDS = 1 << 31
P_MANAGE_THREADS = 1 << 34
P_CREATE_PUBLIC_THREADS = 1 << 35
P_CREATE_PRIVATE_THREADS = 1 << 36
P_SEND_MESSAGES_IN_THREADS = 1 << 38
P_MODERATE_MEMBERS = 1 << 40

EVERYONE_PERMISSIONS = (
    P_CREATE_INSTANT_INVITE
    | P_ADD_REACTIONS
    | P_VIEW_CHANNEL
    | P_SEND_MESSAGES
    | P_EMBED_LINKS
    | P_ATTACH_FILES
    | P_READ_MESSAGE_HISTORY
    | P_USE_EXTERNAL_EMOJIS
    | P_CONNECT
    | P_SPEAK
    | P_CHANGE_NICKNAME
    | P_USE_APPLICATION_COMMANDS
    | P_CREATE_PUBLIC_THREADS
    | P_CREATE_PRIVATE_THREADS
    | P_SEND_MESSAGES_IN_THREADS
)
STAFF_PERMISSIONS = (
    EVERYONE_PERMISSIONS
    | P_KICK_MEMBERS
    | P_MANAGE_MESSAGES
    | P_MANAGE_THREADS
    | P_MENTION_EVERYONE
    | P_MODERATE_MEMBERS
)
BOT_ROLE_PERMISSIONS = EVERYONE_PERMISSIONS | P_MANAGE_MESSAGES | P_MANAGE_THREADS
ALL_PERMISSIONS = (1 << 51) - 1  # what Discord reports for the owner and administrators

MESSAGE_FLAG_HAS_THREAD = 1 << 5
MESSAGE_FLAG_EPHEMERAL = 1 << 6
MESSAGE_FLAG_LOADING = 1 << 7
MESSAGE_FLAG_IS_COMPONENTS_V2 = 1 << 15
# Flags a bot may set on an interaction response / followup message.
_INTERACTION_MESSAGE_FLAGS = MESSAGE_FLAG_EPHEMERAL | (1 << 2) | (1 << 12) | (1 << 15)
MESSAGE_TYPE_DEFAULT = 0
MESSAGE_TYPE_REPLY = 19
MESSAGE_TYPE_CHAT_INPUT_COMMAND = 20
CHANNEL_TYPE_TEXT = 0
CHANNEL_TYPE_PUBLIC_THREAD = 11
CHANNEL_TYPE_PRIVATE_THREAD = 12

# Interaction types and callback types
# (https://discord.com/developers/docs/interactions/receiving-and-responding).
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_MODAL_SUBMIT = 5
CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_MODAL = 9
_CALLBACKS_ALLOWED: dict[int, frozenset[int]] = {
    INTERACTION_APPLICATION_COMMAND: frozenset({4, 5, 9}),
    INTERACTION_MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9}),
    INTERACTION_MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}
COMPONENT_ACTION_ROW = 1
COMPONENT_BUTTON = 2
COMPONENT_TEXT_INPUT = 4
COMPONENT_TEXT_DISPLAY = 10
COMPONENT_LABEL = 18
COMPONENT_FILE_UPLOAD = 19
MAX_MODAL_COMPONENTS = 5  # the docs' limit; the spec's schema allows 40
MAX_THREAD_MEMBER_COUNT = 50  # Discord stops counting thread members at 50
BUTTON_STYLE_LINK = 5
BUTTON_STYLE_PREMIUM = 6
MAX_ACTION_ROWS = 5
MAX_ROW_WIDTH = 5
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
INTERACTION_ACK_TIMEOUT = 3.0

INTERACTION_CALLBACK_ROUTE = "POST /interactions/{interaction_id}/{interaction_token}/callback"
MESSAGE_BODY_ROUTES = frozenset(
    {
        "POST /channels/{channel_id}/messages",
        "PATCH /channels/{channel_id}/messages/{message_id}",
        "POST /webhooks/{webhook_id}/{webhook_token}",
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
        INTERACTION_CALLBACK_ROUTE,
    }
)

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def now_iso() -> str:
    """Return the current UTC time formatted like Discord's ISO 8601 timestamps."""
    return datetime.now(UTC).isoformat()


class SnowflakeFactory:
    """Generates strictly increasing snowflakes whose timestamp part is 'now'."""

    def __init__(self) -> None:
        """Start with no snowflake handed out."""
        self._last = 0

    def next(self) -> int:
        """Return a new snowflake, greater than every previous one."""
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (millis << 22) | (1 << 17)
        self._last = max(candidate, self._last + 1)
        return self._last


@dataclass
class RecordedRequest:
    """One REST request the fake received (``path`` is relative to ``/api/v10``).

    ``route`` is the matched spec path template, ``status`` the answered HTTP status and
    ``at`` the ``time.monotonic()`` of arrival.
    """

    method: str
    path: str
    json: Any
    files: list[tuple[str, bytes]]
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    route: str | None = None
    status: int = 0
    at: float = field(default_factory=time.monotonic)


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str
    data: bytes
    content_type: str


@dataclass
class ApiCall:
    """Context handed to a route handler."""

    request: web.Request
    method: str
    path: str
    template: str
    params: dict[str, str]
    body: Any
    files: list[UploadedFile]
    recorded: RecordedRequest


@dataclass
class _Route:
    """An entry of the REST route table."""

    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    auth: bool


@dataclass
class _Injection:
    """A pending injected failure for matching requests."""

    method: str
    regex: re.Pattern[str]
    remaining: int
    status: int
    body: JSON
    retry_after: float = 0.0
    global_: bool = False


@dataclass
class _Bucket:
    """Rate-limit window state of one bucket."""

    used: int = 0
    reset_at: float = 0.0


@dataclass
class _Attachment:
    """Bytes and metadata of an attachment served by the fake CDN."""

    meta: JSON
    data: bytes


@dataclass
class _Session:
    """A gateway session (survives websocket drops until invalidated)."""

    session_id: str
    token: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    buffer: list[tuple[int, str]] = field(default_factory=list)
    alive: bool = True
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Interaction:
    """An interaction a fake user started, and everything the bot answered to it.

    ``responses`` are the accepted callback bodies (at most one), ``followups`` the bodies of
    ``POST /webhooks/{application_id}/{token}`` and ``edits`` those of the webhook PATCHes.
    ``modal`` is the modal the bot opened (callback type 9: ``custom_id``, ``title`` and the
    components, with the ids Discord gives them), for :meth:`FakeDiscord.submit_modal`.
    ``original`` is the current ``@original`` message (the created response message, the
    "thinking" placeholder of a deferred one, or for component interactions answered with
    type 6/7 the message the button is on); :attr:`message` is whichever message this
    interaction created or changed last. Ephemeral messages live only here (and can still be
    clicked by their user), not in the channel.
    """

    id: int
    token: str
    type: int
    user: JSON
    channel_id: int
    payload: JSON
    dispatched_at: float
    name: str | None = None
    custom_id: str | None = None
    responses: list[JSON] = field(default_factory=list)
    followups: list[JSON] = field(default_factory=list)
    edits: list[JSON] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: JSON | None = None
    _messages: dict[int, JSON] = field(default_factory=dict, repr=False)
    _latest_id: int | None = field(default=None, repr=False)
    _visible_updates: int = field(default=0, repr=False)

    # -------------------------------------------------------------- state

    @property
    def acknowledged(self) -> bool:
        """Return whether the bot answered the callback."""
        return bool(self.responses)

    @property
    def response_type(self) -> int | None:
        """Return the callback type of the accepted response (``None`` before it)."""
        return int(self.responses[0]["type"]) if self.responses else None

    @property
    def ephemeral(self) -> bool:
        """Return whether the response is only visible to the user (flags & 64).

        Taken from the callback's ``data.flags`` (types 4/5) or, for types 6/7, from the
        message the component is on.
        """
        if not self.responses:
            return False
        data = self.responses[0].get("data") or {}
        if self.response_type in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            original = self.original
            return bool(original and original["flags"] & MESSAGE_FLAG_EPHEMERAL)
        return bool(int(data.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)

    @property
    def original(self) -> JSON | None:
        """Return (a copy of) the current ``@original`` message, if any."""
        return self._copy_of(self.original_id)

    @property
    def followup_messages(self) -> list[JSON]:
        """Return copies of the followup messages created by this interaction, oldest first."""
        return [m for m in map(self._copy_of, self.followup_ids) if m is not None]

    @property
    def message(self) -> JSON | None:
        """Return (a copy of) the message this interaction created or changed last."""
        return self._copy_of(self._latest_id)

    @property
    def content(self) -> str | None:
        """Return the content of :attr:`message` (``None`` without one)."""
        message = self.message
        return None if message is None else str(message["content"])

    @property
    def embeds(self) -> list[JSON]:
        """Return the embeds of :attr:`message`."""
        message = self.message
        return [] if message is None else list(message["embeds"])

    @property
    def components(self) -> list[JSON]:
        """Return the components of :attr:`message`."""
        message = self.message
        return [] if message is None else list(message.get("components") or [])

    def _copy_of(self, message_id: int | None) -> JSON | None:
        """Return a copy of a message of this interaction (``None`` if unknown or deleted)."""
        if message_id is None or message_id in self.deleted:
            return None
        message = self._messages.get(message_id)
        return copy.deepcopy(message) if message is not None else None

    def _track(self, message: JSON, *, visible: bool = True) -> None:
        """Remember a message this interaction created or changed."""
        message_id = int(message["id"])
        self._messages[message_id] = message
        self._latest_id = message_id
        if visible:
            self._visible_updates += 1

    # -------------------------------------------------------------- waiting

    async def _wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll ``predicate``; raise ``TimeoutError`` naming the interaction on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                label = f"/{self.name}" if self.name else f"component {self.custom_id!r}"
                raise TimeoutError(f"{label} (interaction {self.id}): no {what} within {timeout}s")
            await asyncio.sleep(0.01)

    async def wait_for_response(self, timeout: float = 5.0) -> JSON:
        """Wait for the bot's callback (any type) and return its body."""
        await self._wait(lambda: bool(self.responses), timeout, "callback")
        return self.responses[0]

    async def wait_for_message(self, timeout: float = 5.0) -> JSON:
        """Wait until the bot showed something (not just "thinking"); return :attr:`message`.

        Satisfied by a type 4/7 callback, a followup or an edit of a message of this interaction.
        """
        await self._wait(lambda: self._visible_updates > 0, timeout, "visible response")
        message = self.message
        assert message is not None
        return message

    async def wait_for_followups(self, count: int = 1, timeout: float = 5.0) -> list[JSON]:
        """Wait for ``count`` followup requests; return the followup messages."""
        await self._wait(lambda: len(self.followups) >= count, timeout, f"{count} followup(s)")
        return self.followup_messages


class ApiError(Exception):
    """Raised by handlers to answer with a Discord JSON error."""

    def __init__(self, status: int, code: int, message: str, *, violation: str | None = None):
        """Store the HTTP status, Discord error code and message."""
        super().__init__(message)
        self.status = status
        self.body: JSON = {"message": message, "code": code}
        self.violation = violation


def _compile_template(template: str) -> re.Pattern[str]:
    """Compile a ``/channels/{channel_id}`` style template into a full-match regex."""
    parts = re.split(r"(\{[a-z_]+\})", template)
    pattern = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(pattern)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Return JSON with ``Content-Type: application/json`` exactly (no charset), like Discord.

    discord.py only decodes bodies whose content type equals ``application/json``.
    """
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )


class FakeDiscord:
    """In-process fake of Discord's REST API and gateway for one guild and one bot."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_name: str = "SupportBot",
        guild_name: str = "Food Delivery Support",
        allowed_privileged_intents: tuple[str, ...] = ("members", "presences", "message_content"),
        rate_limit: int = 50,
        rate_limit_window: float = 1.0,
        bot_permissions: int = BOT_ROLE_PERMISSIONS,
    ) -> None:
        """Set up the guild state; the server starts in :meth:`start` / ``async with``.

        ``bot_permissions`` are those of the bot's managed role (e.g. without
        ``P_MANAGE_MESSAGES`` to see the bot leave others' messages alone).
        """
        self.token = token
        self.allowed_privileged_intents = allowed_privileged_intents
        self.rate_limit = rate_limit
        self.rate_limit_window = rate_limit_window
        self.heartbeat_interval_ms = HEARTBEAT_INTERVAL_MS
        self._snowflakes = SnowflakeFactory()
        self._validator = RequestValidator()

        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.unexpected: list[str] = []
        self.gateway_events_sent: list[tuple[str, Any]] = []
        self.gateway_received: list[JSON] = []
        self.gateway_connections: list[dict[str, str]] = []
        self.identify_payloads: list[JSON] = []
        self.identify_count = 0
        self.resume_count = 0
        self.attachment_downloads: list[tuple[int, str]] = []
        self.threads: dict[int, JSON] = {}
        self.channels: dict[int, JSON] = {}
        self.members: dict[int, JSON] = {}
        self.users: dict[int, JSON] = {}
        self.roles: dict[int, JSON] = {}
        self.app_commands: dict[int | None, list[JSON]] = {}
        self.interactions: list[Interaction] = []
        self.interaction_ack_timeout = INTERACTION_ACK_TIMEOUT

        self._messages: dict[int, dict[int, JSON]] = {}
        self._thread_members: dict[int, dict[int, JSON]] = {}
        self._attachments: dict[int, _Attachment] = {}
        self._nonces: dict[tuple[int, int, str], int] = {}
        self._interactions: dict[int, Interaction] = {}
        self._interactions_by_token: dict[str, Interaction] = {}
        self._submitted_modals: set[int] = set()
        self._ephemeral: dict[int, tuple[JSON, Interaction]] = {}
        self._routes: list[_Route] = []
        self._injections: list[_Injection] = []
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._sessions: dict[str, _Session] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._server_closed: set[int] = set()
        self._bg_tasks: set[asyncio.Task[None]] = set()
        self._pending_events: list[tuple[str, JSON, int]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

        self.guild_id = self._snowflakes.next()
        self.guild_name = guild_name
        self.guild_joined_at = now_iso()
        self.bot_user_id = self._snowflakes.next()
        self.application_id = self.bot_user_id
        self.bot_user: JSON = self._user_payload(self.bot_user_id, bot_name, bot=True)
        self.bot_user.update({"verified": True, "mfa_enabled": False, "email": None})
        self.users[self.bot_user_id] = self.bot_user

        self.everyone_role_id = self.guild_id
        self.staff_role_id = self._snowflakes.next()
        self.bot_role_id = self._snowflakes.next()
        self._add_role(self.everyone_role_id, "@everyone", EVERYONE_PERMISSIONS, position=0)
        self._add_role(
            self.bot_role_id,
            bot_name,
            bot_permissions,
            position=1,
            managed=True,
            tags={"bot_id": str(self.bot_user_id)},
        )
        self._add_role(
            self.staff_role_id, "Staff", STAFF_PERMISSIONS, position=2, hoist=True, mentionable=True
        )
        self.members[self.bot_user_id] = self._member_payload(self.bot_user, [self.bot_role_id])
        owner = self.add_user("guild-owner", roles=[self.staff_role_id])
        self.owner_id = int(owner["id"])

        self.support_channel_id = self.add_channel("support", topic="Ask us anything")
        self.staff_channel_id = self.add_channel("staff")
        self.other_channel_id = self.add_channel("general")
        self._add_default_routes()

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeDiscord:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the server."""
        await self.close()

    async def start(self) -> None:
        """Start the aiohttp server on a random free port of 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._handle_attachment)
        app.router.add_get("/proxy/attachments/{attachment_id}/{filename}", self._handle_attachment)
        ephemeral = "/ephemeral-attachments/{channel_id}/{attachment_id}/{filename}"
        app.router.add_get(ephemeral, self._handle_attachment)
        app.router.add_get("/proxy" + ephemeral, self._handle_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._handle_other)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Close every websocket and stop the server."""
        for ws in list(self._sockets):
            self._server_closed.add(id(ws))
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"Server shutting down")
        for task in list(self._bg_tasks):
            task.cancel()
        if self._bg_tasks:
            await asyncio.gather(*self._bg_tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Return the REST base to put in ``discord.http.Route.BASE``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Return the gateway URL (also used as ``resume_gateway_url``)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @contextlib.contextmanager
    def patch_discord_py(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway at this fake, restoring on exit."""
        import discord.gateway
        import discord.http

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    @contextlib.asynccontextmanager
    async def run_client(
        self, client: discord.Client, *, timeout: float = 10.0
    ) -> AsyncIterator[asyncio.Task[None]]:
        """Run ``client.start(token)`` in a task until ready; close it and await the task on exit.

        discord.py must already be patched (see :meth:`patch_discord_py`).
        """
        task: asyncio.Task[None] = asyncio.create_task(client.start(self.token))
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                task.result()
                raise RuntimeError("discord client stopped before becoming ready")
            if ready not in done:
                raise TimeoutError(f"discord client not ready within {timeout}s")
            yield task
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=timeout)

    # ------------------------------------------------------------------ state helpers

    def _user_payload(self, user_id: int, name: str, *, bot: bool) -> JSON:
        """Build a Discord user object."""
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name,
            "avatar": None,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
            "public_flags": 0,
            "flags": 0,
            "bot": bot,
        }

    def _member_payload(self, user: JSON, roles: list[int]) -> JSON:
        """Build a guild member object (with ``user``)."""
        return {
            "user": user,
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in roles],
            "joined_at": now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def _add_role(
        self,
        role_id: int,
        name: str,
        permissions: int,
        *,
        position: int,
        hoist: bool = False,
        mentionable: bool = False,
        managed: bool = False,
        tags: JSON | None = None,
    ) -> None:
        """Register a guild role."""
        role: JSON = {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": managed,
            "mentionable": mentionable,
            "flags": 0,
        }
        if tags is not None:
            role["tags"] = tags
        self.roles[role_id] = role

    def add_user(self, name: str, bot: bool = False, roles: list[int] | None = None) -> JSON:
        """Add a guild member and return its user object (dispatches GUILD_MEMBER_ADD)."""
        user_id = self._snowflakes.next()
        user = self._user_payload(user_id, name, bot=bot)
        self.users[user_id] = user
        member = self._member_payload(user, list(roles or []))
        self.members[user_id] = member
        if self._sessions:
            data = {**copy.deepcopy(member), "guild_id": str(self.guild_id)}
            self._queue_event("GUILD_MEMBER_ADD", data, INTENT_GUILD_MEMBERS)
        return copy.deepcopy(user)

    def add_channel(
        self,
        name: str,
        *,
        topic: str | None = None,
        permission_overwrites: list[JSON] | None = None,
    ) -> int:
        """Add a guild text channel and return its id (dispatches CHANNEL_CREATE)."""
        channel_id = self._snowflakes.next()
        self.channels[channel_id] = {
            "id": str(channel_id),
            "type": CHANNEL_TYPE_TEXT,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": list(permission_overwrites or []),
            "parent_id": None,
            "topic": topic,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
            "default_thread_rate_limit_per_user": 0,
            "flags": 0,
        }
        self._messages[channel_id] = {}
        if self._sessions:
            data = copy.deepcopy(self.channels[channel_id])
            self._queue_event("CHANNEL_CREATE", data, INTENT_GUILDS)
        return channel_id

    def add_role(self, name: str, permissions: int = EVERYONE_PERMISSIONS) -> int:
        """Add a guild role (e.g. a support desk role without Manage Threads); return its id.

        Dispatches GUILD_ROLE_CREATE when clients are connected.
        """
        role_id = self._snowflakes.next()
        self._add_role(role_id, name, permissions, position=len(self.roles))
        if self._sessions:
            data = {"guild_id": str(self.guild_id), "role": copy.deepcopy(self.roles[role_id])}
            self._queue_event("GUILD_ROLE_CREATE", data, INTENT_GUILDS)
        return role_id

    def set_bot_permissions(self, permissions: int) -> None:
        """Give the bot's managed role these permissions (dispatches GUILD_ROLE_UPDATE)."""
        self.roles[self.bot_role_id]["permissions"] = str(permissions)
        if self._sessions:
            data = {
                "guild_id": str(self.guild_id),
                "role": copy.deepcopy(self.roles[self.bot_role_id]),
            }
            self._queue_event("GUILD_ROLE_UPDATE", data, INTENT_GUILDS)

    def set_permission_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a channel's overwrite for a member or role (dispatches CHANNEL_UPDATE).

        ``fake.set_permission_overwrite(fake.support_channel_id, fake.bot_user_id,
        deny=P_MANAGE_MESSAGES)`` takes Manage Messages from the bot in the support channel only.
        """
        channel = self.channels[int(channel_id)]
        target_id = int(target_id)
        kind = 0 if target_id in self.roles else 1
        overwrites = [o for o in channel["permission_overwrites"] if o["id"] != str(target_id)]
        overwrites.append(
            {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}
        )
        channel["permission_overwrites"] = overwrites
        if self._sessions:
            self._queue_event("CHANNEL_UPDATE", copy.deepcopy(channel), INTENT_GUILDS)

    def thread_members(self, thread_id: int) -> set[int]:
        """Return the ids of the users who are members of a thread (the bot included)."""
        return set(self._thread_members.get(int(thread_id), {}))

    def can_view(self, user_id: int, channel_id: int) -> bool:
        """Return whether a member can see a channel or thread, as Discord decides it.

        A private thread is visible to its members and to members with Manage Threads (who
        must still see its parent channel).
        """
        channel_id = int(channel_id)
        perms = self.permissions_for(user_id, channel_id)
        if not perms & P_VIEW_CHANNEL:
            return False
        thread = self.threads.get(channel_id)
        if thread is None or thread["type"] != CHANNEL_TYPE_PRIVATE_THREAD:
            return True
        return int(user_id) in self._thread_members.get(channel_id, {}) or bool(
            perms & P_MANAGE_THREADS
        )

    def add_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str,
        *,
        width: int | None = None,
        height: int | None = None,
        description: str | None = None,
        ephemeral_in: int | None = None,
    ) -> JSON:
        """Store bytes on the fake CDN and return a Discord attachment object for them.

        ``ephemeral_in`` (a channel id) makes it an ephemeral attachment, like files uploaded
        through a modal: served under ``/ephemeral-attachments/`` and marked ``ephemeral``.
        """
        attachment_id = self._snowflakes.next()
        if content_type.startswith("image/") and width is None:
            width, height = _image_size(data)
        stamp = f"{int(time.time()) + 86400:x}"
        query = f"?ex={stamp}&is={int(time.time()):x}&hm={secrets.token_hex(32)}&"
        where = f"attachments/{attachment_id}/{filename}"
        if ephemeral_in is not None:
            where = f"ephemeral-attachments/{int(ephemeral_in)}/{attachment_id}/{filename}"
        meta: JSON = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": f"{self.base_url}/{where}{query}",
            "proxy_url": f"{self.base_url}/proxy/{where}{query}",
            "content_type": content_type,
        }
        if ephemeral_in is not None:
            meta["ephemeral"] = True
        if width is not None and height is not None:
            meta["width"] = width
            meta["height"] = height
        if description is not None:
            meta["description"] = description
        self._attachments[attachment_id] = _Attachment(meta=meta, data=data)
        return copy.deepcopy(meta)

    def messages(self, channel_id: int) -> list[JSON]:
        """Return the current messages of a channel/thread, oldest first."""
        return [copy.deepcopy(m) for m in self._messages.get(int(channel_id), {}).values()]

    def get_message(self, channel_id: int, message_id: int) -> JSON | None:
        """Return one stored message (or ``None``)."""
        message = self._messages.get(int(channel_id), {}).get(int(message_id))
        return copy.deepcopy(message) if message is not None else None

    def edits(
        self, channel_id: int | None = None, *, successful_only: bool = True
    ) -> list[RecordedRequest]:
        """Return the PATCH message requests (optionally of one channel/thread)."""
        template = "/channels/{channel_id}/messages/{message_id}"
        out = []
        for req in self.requests:
            if req.method != "PATCH" or req.route != template:
                continue
            if successful_only and not 200 <= req.status < 300:
                continue
            if channel_id is not None and not req.path.startswith(f"/channels/{channel_id}/"):
                continue
            out.append(req)
        return out

    def requests_matching(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Return recorded requests whose method and path (full match) fit."""
        regex = re.compile(path_regex)
        return [
            r
            for r in self.requests
            if (method == "*" or r.method == method.upper()) and regex.fullmatch(r.path)
        ]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01
    ) -> None:
        """Poll ``predicate`` until true; raise ``TimeoutError`` after ``timeout`` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    async def wait_until_identified(self, timeout: float = 10.0, count: int = 1) -> None:
        """Wait until ``count`` IDENTIFYs in total were answered with READY + GUILD_CREATE."""
        await self.wait_for(lambda: self.identify_count >= count, timeout=timeout)

    # ------------------------------------------------------------------ user-side actions

    def _channel_or_thread(self, channel_id: int) -> JSON | None:
        """Return the stored channel or thread."""
        return self.channels.get(channel_id) or self.threads.get(channel_id)

    def _partial_member(self, user_id: int) -> JSON:
        """Return the member object without ``user`` (as in MESSAGE_CREATE)."""
        member = self.members.get(user_id)
        if member is None:
            member = self._member_payload({}, [])
        return {k: copy.deepcopy(v) for k, v in member.items() if k != "user"}

    async def send_user_message(
        self,
        channel_id: int,
        author: JSON,
        content: str,
        attachments: list[JSON] | None = None,
        *,
        reply_to: int | None = None,
        embeds: list[JSON] | None = None,
    ) -> JSON:
        """Store a message by ``author`` in a channel/thread and dispatch MESSAGE_CREATE.

        In a private thread only its members and members with Manage Threads (e.g.
        ``add_user("agent", roles=[fake.staff_role_id])``) can write: anyone else gets
        ``PermissionError``, as Discord answers them 403. Writing in a thread makes the author
        a member of it, as in Discord (THREAD_MEMBERS_UPDATE).
        """
        channel_id = int(channel_id)
        channel = self._channel_or_thread(channel_id)
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        author_id = int(author["id"])
        if author_id in self.members and not self.can_view(author_id, channel_id):
            raise PermissionError(
                f"{author['username']} cannot see channel {channel_id} (a private thread they"
                " were not added to, without Manage Threads): Discord answers 403"
            )
        await self._touch_thread(channel_id, by_user=True)
        reference = None
        mentions, mention_roles, everyone = self._parse_mentions(content)
        if reply_to is not None:
            if int(reply_to) not in self._messages[channel_id]:
                raise KeyError(f"unknown message {reply_to} in channel {channel_id}")
            reference = self._resolve_reference(channel_id, {"message_id": reply_to})
            assert reference is not None
            replied = self._messages[channel_id][int(reply_to)]["author"]
            if replied["id"] not in {u["id"] for u in mentions}:
                mentions.append(copy.deepcopy(replied))
        message = self._build_message(
            channel_id,
            author,
            content,
            embeds=embeds or [],
            attachments=[copy.deepcopy(a) for a in attachments or []],
            reference=reference,
            mentions=mentions,
            mention_roles=mention_roles,
            mention_everyone=everyone,
        )
        await self._store_and_dispatch_message(message)
        if channel_id in self.threads and author_id in self.members:
            await self._join_thread(channel_id, author_id)
        return copy.deepcopy(message)

    async def edit_user_message(self, channel_id: int, message_id: int, content: str) -> JSON:
        """Edit a stored message as its author would and dispatch MESSAGE_UPDATE."""
        message = self._messages[int(channel_id)][int(message_id)]
        message["content"] = content
        message["edited_timestamp"] = now_iso()
        await self._dispatch_message_event("MESSAGE_UPDATE", message)
        return copy.deepcopy(message)

    async def delete_user_message(self, channel_id: int, message_id: int) -> None:
        """Delete a stored message and dispatch MESSAGE_DELETE."""
        await self._remove_message(int(channel_id), int(message_id))

    async def send_user_typing(self, channel_id: int, author: JSON) -> None:
        """Dispatch TYPING_START for a user in a channel/thread."""
        data = {
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "user_id": author["id"],
            "timestamp": int(time.time()),
            "member": {**self._partial_member(int(author["id"])), "user": author},
        }
        if self._bot_can_view(int(channel_id)):
            await self._broadcast("TYPING_START", data, INTENT_GUILD_MESSAGE_TYPING)

    async def set_thread_archived(
        self, thread_id: int, archived: bool = True, locked: bool = False
    ) -> None:
        """Archive (or unarchive) a thread as a moderator would; dispatches THREAD_UPDATE."""
        thread = self.threads[int(thread_id)]
        meta = thread["thread_metadata"]
        meta.update(archived=archived, locked=locked, archive_timestamp=now_iso())
        await self._dispatch_thread_update(thread)

    def new_snowflake(self) -> int:
        """Return a fresh snowflake (for ids of objects tests create themselves)."""
        return self._snowflakes.next()

    @property
    def connected_sessions(self) -> int:
        """Return the number of identified sessions with an open websocket."""
        return sum(
            1 for s in self._sessions.values() if s.alive and s.ws is not None and not s.ws.closed
        )

    async def dispatch_event(self, event: str, data: JSON, intent: int = 0) -> None:
        """Dispatch a raw gateway event (e.g. INTERACTION_CREATE) to sessions with ``intent``."""
        await self._broadcast(event, data, intent)

    async def disconnect_clients(
        self, code: int = 4000, *, invalidate_sessions: bool = False
    ) -> None:
        """Close all gateway websockets (as if Discord dropped them); sessions stay resumable."""
        if invalidate_sessions:
            for session in self._sessions.values():
                session.alive = False
        for ws in list(self._sockets):
            self._server_closed.add(id(ws))
            with contextlib.suppress(Exception):
                await ws.close(code=code, message=b"Fake Discord closed the connection")

    # ------------------------------------------------------------------ permissions

    def permissions_for(self, user_id: int, channel_id: int | None = None) -> int:
        """Return a member's permission bitfield, in a channel/thread if given (with overwrites).

        The guild owner and administrators get every permission; threads use their parent's
        overwrites.
        """
        user_id = int(user_id)
        member = self.members.get(user_id)
        if member is None:
            raise KeyError(f"user {user_id} is not a member of the guild")
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        role_ids = {int(r) for r in member["roles"]}
        perms = int(self.roles[self.everyone_role_id]["permissions"])
        for role_id in role_ids:
            if role_id in self.roles:
                perms |= int(self.roles[role_id]["permissions"])
        if perms & P_ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel_id is None:
            return perms
        channel = self._channel_or_thread(int(channel_id))
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        if int(channel_id) in self.threads:
            channel = self.channels[int(channel["parent_id"])]
        overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites") or []}

        def apply(overwrite: JSON | None, value: int) -> int:
            if overwrite is None:
                return value
            return (value & ~int(overwrite.get("deny") or 0)) | int(overwrite.get("allow") or 0)

        perms = apply(overwrites.get(str(self.everyone_role_id)), perms)
        allow = deny = 0
        for role_id in role_ids:
            overwrite = overwrites.get(str(role_id))
            if overwrite is not None and int(overwrite.get("type", 0)) == 0:
                allow |= int(overwrite.get("allow") or 0)
                deny |= int(overwrite.get("deny") or 0)
        perms = (perms & ~deny) | allow
        member_overwrite = overwrites.get(str(user_id))
        if member_overwrite is not None and int(member_overwrite.get("type", 1)) == 1:
            perms = apply(member_overwrite, perms)
        return perms

    # ------------------------------------------------------------------ interactions

    def get_interaction(self, interaction_id: int) -> Interaction:
        """Return an interaction started by :meth:`run_command` / :meth:`click_button`."""
        return self._interactions[int(interaction_id)]

    def _find_command(self, name: str) -> JSON:
        """Return the registered chat-input command ``name`` (guild first, then global)."""
        for scope in (self.guild_id, None):
            for command in self.app_commands.get(scope, []):
                if command["name"] == name and int(command.get("type", 1)) == 1:
                    return command
        guild = sorted(c["name"] for c in self.app_commands.get(self.guild_id, []))
        global_ = sorted(c["name"] for c in self.app_commands.get(None, []))
        raise LookupError(
            f"/{name} is not registered (guild commands: {guild}, global commands: {global_});"
            " did the bot sync its command tree?"
        )

    def _resolve_option(self, definition: JSON, value: Any, resolved: JSON) -> Any:
        """Return the wire value of an option and add users/roles/channels to ``resolved``."""
        option_type = int(definition["type"])
        if option_type in (6, 7, 8, 9):
            if isinstance(value, dict):
                value = value["id"]
            snowflake = int(value)
            if option_type in (6, 9) and snowflake in self.users:
                resolved.setdefault("users", {})[str(snowflake)] = copy.deepcopy(
                    self.users[snowflake]
                )
                if snowflake in self.members:
                    member = self._partial_member(snowflake)
                    member["permissions"] = str(self.permissions_for(snowflake))
                    resolved.setdefault("members", {})[str(snowflake)] = member
            elif option_type in (8, 9) and snowflake in self.roles:
                resolved.setdefault("roles", {})[str(snowflake)] = copy.deepcopy(
                    self.roles[snowflake]
                )
            elif option_type == 7 and self._channel_or_thread(snowflake) is not None:
                channel = copy.deepcopy(self._channel_or_thread(snowflake))
                assert channel is not None
                resolved.setdefault("channels", {})[str(snowflake)] = {
                    key: channel[key]
                    for key in ("id", "type", "name", "parent_id", "thread_metadata")
                    if key in channel
                } | {"permissions": str(ALL_PERMISSIONS)}
            else:
                raise ValueError(f"option {definition['name']!r}: unknown id {value}")
            return str(snowflake)
        choices = definition.get("choices") or []
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(
                f"option {definition['name']!r}: {value!r} is not one of the choices "
                f"{[c['value'] for c in choices]}"
            )
        return value

    def _command_options(
        self, definitions: list[JSON], given: list[JSON] | dict[str, Any] | None, where: str
    ) -> tuple[list[JSON], JSON]:
        """Check user-given options against the registered ones; fill in ``type``."""
        if isinstance(given, dict):
            given = [{"name": k, "value": v} for k, v in given.items()]
        by_name = {d["name"]: d for d in definitions if int(d["type"]) not in (1, 2)}
        options: list[JSON] = []
        resolved: JSON = {}
        for raw in given or []:
            definition = by_name.get(raw["name"])
            if definition is None:
                raise ValueError(f"{where} has no option {raw['name']!r} (has {sorted(by_name)})")
            option = {
                "name": raw["name"],
                "type": int(raw["type"] if "type" in raw else definition["type"]),
                "value": self._resolve_option(definition, raw["value"], resolved),
            }
            options.append(option)
        missing = [
            name
            for name, d in by_name.items()
            if d.get("required") and name not in {o["name"] for o in options}
        ]
        if missing:
            raise ValueError(f"{where}: required option(s) {missing} missing")
        return options, resolved

    async def run_command(
        self,
        name: str,
        user: JSON,
        channel_id: int,
        options: list[JSON] | dict[str, Any] | None = None,
        subcommand: str | None = None,
    ) -> Interaction:
        """Make ``user`` run the registered slash command ``/name`` in a channel/thread.

        ``options`` are ``{"name": ..., "value": ...}`` dicts (or a ``{name: value}`` dict); the
        option ``type`` is taken from the registered command. ``subcommand`` is ``"list"`` for
        ``/tickets list`` (``"group sub"`` for nested groups). Like Discord's client, this refuses
        (``PermissionError``) when the member lacks the command's ``default_member_permissions``
        and (``ValueError``) unknown, missing or off-choice options.
        """
        command = self._find_command(name)
        channel_id = int(channel_id)
        user_id = int(user["id"])
        required = command.get("default_member_permissions")
        perms = self.permissions_for(user_id, channel_id)
        if required is not None and perms & int(required) != int(required):
            raise PermissionError(
                f"{user['username']} lacks default_member_permissions={required} for /{name}"
            )
        definitions: list[JSON] = command.get("options") or []
        path = [part for part in (subcommand or "").split() if part]
        where = f"/{name}"
        wrappers: list[JSON] = []
        for part in path:
            sub = next(
                (d for d in definitions if d["name"] == part and int(d["type"]) in (1, 2)), None
            )
            if sub is None:
                raise ValueError(f"{where} has no subcommand {part!r}")
            where += f" {part}"
            wrappers.append({"type": int(sub["type"]), "name": part})
            definitions = sub.get("options") or []
        if any(int(d["type"]) in (1, 2) for d in definitions):
            raise ValueError(f"{where} is a group; pass subcommand= (Discord cannot invoke groups)")
        leaf, resolved = self._command_options(definitions, options, where)
        for wrapper in reversed(wrappers):
            wrapper["options"] = leaf
            leaf = [wrapper]
        data: JSON = {"id": command["id"], "name": name, "type": 1}
        if leaf:
            data["options"] = leaf
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id") is not None:
            data["guild_id"] = command["guild_id"]
        interaction = self._new_interaction(INTERACTION_APPLICATION_COMMAND, user, channel_id, data)
        interaction.name = " ".join([name, *path])
        await self._dispatch_interaction(interaction)
        return interaction

    def _find_live_message(
        self, message: JSON | tuple[int, int]
    ) -> tuple[JSON, Interaction | None]:
        """Return the stored message (and owning interaction if it is ephemeral)."""
        if isinstance(message, dict):
            channel_id, message_id = int(message["channel_id"]), int(message["id"])
        else:
            channel_id, message_id = int(message[0]), int(message[1])
        stored = self._messages.get(channel_id, {}).get(message_id)
        if stored is not None:
            return stored, None
        if message_id in self._ephemeral:
            ephemeral, owner = self._ephemeral[message_id]
            if message_id not in owner.deleted:
                return ephemeral, owner
        raise KeyError(f"unknown message {message_id} in channel {channel_id}")

    async def click_button(
        self, message: JSON | tuple[int, int], custom_id: str, user: JSON
    ) -> Interaction:
        """Make ``user`` click the button ``custom_id`` on a message (dict or (channel, id)).

        The message is looked up in its current stored state (ephemeral messages too, which
        only their user can click); the button must exist and be enabled.
        """
        stored, owner = self._find_live_message(message)
        if owner is not None and int(owner.user["id"]) != int(user["id"]):
            raise PermissionError("only the user an ephemeral message was sent to can click it")
        buttons = [c for c in walk_components(stored.get("components") or []) if c.get("type") == 2]
        button = next((b for b in buttons if b.get("custom_id") == custom_id), None)
        if button is None:
            available = [b.get("custom_id") or b.get("url") for b in buttons]
            raise ValueError(f"no button {custom_id!r} on message {stored['id']} ({available})")
        if button.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled")
        data: JSON = {"custom_id": custom_id, "component_type": COMPONENT_BUTTON}
        if button.get("id") is not None:
            data["id"] = button["id"]
        channel_id = int(stored["channel_id"])
        interaction = self._new_interaction(INTERACTION_MESSAGE_COMPONENT, user, channel_id, data)
        interaction.custom_id = custom_id
        interaction.payload["message"] = copy.deepcopy(stored)
        interaction._messages[int(stored["id"])] = stored
        await self._dispatch_interaction(interaction)
        return interaction

    async def submit_modal(
        self,
        interaction: Interaction,
        values: dict[str, str] | None = None,
        files: dict[str, list[tuple[str, str, bytes]]] | None = None,
    ) -> Interaction:
        """Submit the modal the bot opened in answer to ``interaction`` (callback type 9).

        ``values`` maps text inputs' custom ids to what the user typed; ``files`` maps file
        uploads' custom ids to ``(filename, content_type, bytes)`` tuples. The files become
        ephemeral attachments on the fake CDN, listed in ``data.resolved.attachments`` and
        named by id in the upload's ``values``. Dispatches INTERACTION_CREATE of type 5
        (MODAL_SUBMIT) by the same user; for a modal opened from a button it carries the
        button's message, so the bot may answer with type 6/7. Like Discord's client this
        refuses (``ValueError``) unknown ids, a missing required field, text outside
        min/max_length, a file count outside min/max_values, a file type the upload does not
        accept, a file over ``attachment_size_limit``, and a second submission.
        """
        modal = interaction.modal
        if modal is None:
            raise ValueError(
                f"interaction {interaction.id} was not answered with a modal"
                f" (response type {interaction.response_type})"
            )
        if interaction.id in self._submitted_modals:
            raise ValueError(f"the modal of interaction {interaction.id} was already submitted")
        values, files = dict(values or {}), dict(files or {})
        fields = {
            c["custom_id"]: c
            for c in walk_components(modal["components"])
            if c.get("type") in (COMPONENT_TEXT_INPUT, COMPONENT_FILE_UPLOAD)
        }
        for given, kind, what in (
            (values, COMPONENT_TEXT_INPUT, "text input"),
            (files, COMPONENT_FILE_UPLOAD, "file upload"),
        ):
            wrong = sorted(k for k in given if fields.get(k, {}).get("type") != kind)
            if wrong:
                offered = sorted(k for k, c in fields.items() if c["type"] == kind)
                raise ValueError(f"modal {modal['custom_id']!r} has no {what} {wrong} ({offered})")
        limit = int(interaction.payload["attachment_size_limit"])
        attachments: JSON = {}

        def answer(component: JSON) -> JSON:
            kind = int(component["type"])
            out: JSON = {"type": kind, "id": component["id"]}
            if kind == COMPONENT_LABEL:
                out["component"] = answer(component["component"])
            elif kind == COMPONENT_ACTION_ROW:
                out["components"] = [answer(c) for c in component["components"]]
            elif kind == COMPONENT_TEXT_INPUT:
                custom_id = component["custom_id"]
                out["custom_id"] = custom_id
                out["value"] = _typed_value(component, values.get(custom_id, ""))
            elif kind == COMPONENT_FILE_UPLOAD:
                custom_id = component["custom_id"]
                uploads = _checked_uploads(component, files.get(custom_id, []), limit)
                metas = [
                    self.add_attachment(
                        name, data, content_type, ephemeral_in=interaction.channel_id
                    )
                    for name, content_type, data in uploads
                ]
                attachments.update({m["id"]: m for m in metas})
                out["custom_id"] = custom_id
                out["values"] = [m["id"] for m in metas]
            return out

        data: JSON = {
            "custom_id": modal["custom_id"],
            "components": [answer(c) for c in modal["components"]],
        }
        if attachments:
            data["resolved"] = {"attachments": attachments}
        submit = self._new_interaction(
            INTERACTION_MODAL_SUBMIT, interaction.user, interaction.channel_id, data
        )
        submit.custom_id = modal["custom_id"]
        source = interaction.payload.get("message")
        if source is not None:
            live = interaction._messages[int(source["id"])]
            submit.payload["message"] = copy.deepcopy(live)
            submit._messages[int(source["id"])] = live
        self._submitted_modals.add(interaction.id)
        await self._dispatch_interaction(submit)
        return submit

    def _new_interaction(self, itype: int, user: JSON, channel_id: int, data: JSON) -> Interaction:
        """Build (not yet dispatch) an interaction by a member in a channel/thread."""
        channel = self._channel_or_thread(channel_id)
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        user_id = int(user["id"])
        if user_id not in self.members:
            raise KeyError(f"user {user_id} is not a member of the guild")
        perms = self.permissions_for(user_id, channel_id)
        member = copy.deepcopy(self.members[user_id])
        member["permissions"] = str(perms)
        channel_payload = copy.deepcopy(channel)
        channel_payload["permissions"] = str(perms)
        interaction_id = self._snowflakes.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(120)
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "guild_id": str(self.guild_id),
            "channel": channel_payload,
            "channel_id": str(channel_id),
            "member": member,
            "token": token,
            "version": 1,
            "app_permissions": str(self.permissions_for(self.bot_user_id, channel_id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        return Interaction(
            id=interaction_id,
            token=token,
            type=itype,
            user=copy.deepcopy(self.users.get(user_id, user)),
            channel_id=channel_id,
            payload=payload,
            dispatched_at=time.monotonic(),
        )

    async def _dispatch_interaction(self, interaction: Interaction) -> None:
        """Register an interaction and dispatch INTERACTION_CREATE (needs no intent)."""
        if not any(s.alive for s in self._sessions.values()):
            raise RuntimeError("no gateway session to deliver INTERACTION_CREATE to")
        self.interactions.append(interaction)
        self._interactions[interaction.id] = interaction
        self._interactions_by_token[interaction.token] = interaction
        interaction.dispatched_at = time.monotonic()
        await self._broadcast("INTERACTION_CREATE", copy.deepcopy(interaction.payload), 0)

    # ------------------------------------------------------------------ failure injection

    def inject_429(
        self,
        method: str,
        path_regex: str,
        times: int = 1,
        retry_after: float = 0.05,
        global_: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with a 429 (path fully matches regex)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": global_,
        }
        self._injections.append(
            _Injection(
                method=method.upper(),
                regex=re.compile(path_regex),
                remaining=times,
                status=429,
                body=body,
                retry_after=retry_after,
                global_=global_,
            )
        )

    def inject_error(
        self, method: str, path_regex: str, status: int, times: int = 1, body: JSON | None = None
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and a Discord error body.

        Note: discord.py retries 500/502/504/524 up to 5 times, sleeping 1 + 2*try seconds.
        """
        defaults: dict[int, JSON] = {
            400: {"message": "400: Bad Request", "code": 0},
            401: {"message": "401: Unauthorized", "code": 0},
            403: {"message": "Missing Permissions", "code": 50013},
            404: {"message": "404: Not Found", "code": 0},
            500: {"message": "500: Internal Server Error", "code": 0},
            502: {"message": "502: Bad Gateway", "code": 0},
            503: {"message": "503: Service Unavailable", "code": 0},
        }
        error_body = body or defaults.get(status, {"message": f"{status}: Error", "code": 0})
        self._injections.append(
            _Injection(
                method=method.upper(),
                regex=re.compile(path_regex),
                remaining=times,
                status=status,
                body=error_body,
            )
        )

    # ------------------------------------------------------------------ REST plumbing

    def add_route(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        """Register a REST handler for a spec path template (checked before built-in routes)."""
        self._routes.insert(
            0, _Route(method.upper(), template, _compile_template(template), handler, auth)
        )

    def _route(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        """Append a built-in route."""
        self._routes.append(
            _Route(method.upper(), template, _compile_template(template), handler, auth)
        )

    def _add_default_routes(self) -> None:
        """Register the built-in REST routes (spec path templates)."""
        r = self._route
        r("GET", "/users/@me", self._get_me)
        r("GET", "/users/{user_id}", self._get_user)
        r("GET", "/oauth2/applications/@me", self._get_application)
        r("GET", "/applications/@me", self._get_application)
        r("GET", "/gateway", self._get_gateway, auth=False)
        r("GET", "/gateway/bot", self._get_gateway_bot)
        r("GET", "/guilds/{guild_id}", self._get_guild)
        r("GET", "/guilds/{guild_id}/channels", self._get_guild_channels)
        r("GET", "/guilds/{guild_id}/roles", self._get_guild_roles)
        r("GET", "/guilds/{guild_id}/threads/active", self._get_active_threads)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member)
        r("GET", "/channels/{channel_id}", self._get_channel)
        r("PATCH", "/channels/{channel_id}", self._patch_channel)
        r("GET", "/channels/{channel_id}/messages", self._list_messages)
        r("POST", "/channels/{channel_id}/messages", self._create_message)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message)
        r(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            self._create_thread_from_message,
        )
        r("POST", "/channels/{channel_id}/threads", self._create_thread)
        r("POST", "/channels/{channel_id}/typing", self._typing)
        for method in ("PUT", "DELETE"):
            r(
                method,
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me",
                self._own_reaction,
            )
            r(method, "/channels/{channel_id}/thread-members/@me", self._thread_member)
            r(method, "/channels/{channel_id}/thread-members/{user_id}", self._thread_member)
        r("GET", "/channels/{channel_id}/thread-members", self._list_thread_members)
        r("GET", "/channels/{channel_id}/thread-members/{user_id}", self._get_thread_member)
        for method in ("GET", "PUT"):
            r(method, "/applications/{application_id}/commands", self._app_commands)
            r(
                method,
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._app_commands,
            )
        # Interaction responses; discord.py sends these without the bot Authorization header.
        r(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            self._interaction_callback,
            auth=False,
        )
        r("POST", "/webhooks/{webhook_id}/{webhook_token}", self._webhook_followup, auth=False)
        original = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
        by_id = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
        for template in (original, by_id):  # @original first: {message_id} matches it too
            r("GET", template, self._webhook_get_message, auth=False)
            r("PATCH", template, self._webhook_edit_message, auth=False)
            r("DELETE", template, self._webhook_delete_message, auth=False)

    async def _read_body(
        self, request: web.Request, recorded: RecordedRequest
    ) -> tuple[Any, list[UploadedFile], str | None]:
        """Parse a JSON or multipart body; return (body, files, error description)."""
        content_type = request.content_type
        if not request.body_exists:
            return None, [], None
        if content_type == "application/json":
            raw = await request.read()
            try:
                return json.loads(raw), [], None
            except ValueError as exc:
                return None, [], f"invalid JSON body: {exc}"
        if content_type == "multipart/form-data":
            body: Any = None
            files: list[UploadedFile] = []
            form: JSON = {}
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                name = part.name
                data = await part.read()
                if name == "payload_json":
                    try:
                        body = json.loads(data)
                    except ValueError as exc:
                        return None, files, f"invalid payload_json: {exc}"
                elif part.filename is not None:
                    files.append(
                        UploadedFile(
                            field_name=name,
                            filename=part.filename,
                            data=bytes(data),
                            content_type=part.headers.get(
                                "Content-Type", "application/octet-stream"
                            ),
                        )
                    )
                else:
                    form[name] = bytes(data).decode("utf-8", "replace")
            recorded.files = [(f.filename, f.data) for f in files]
            if body is None and form:
                body = form
            return body, files, None
        raw = await request.read()
        if raw:
            return None, [], f"unsupported Content-Type {content_type!r}"
        return None, [], None

    def _match_route(self, method: str, path: str) -> tuple[_Route | None, dict[str, str], bool]:
        """Find the route for a request; third item tells whether the path exists at all."""
        path_known = False
        for route in self._routes:
            match = route.regex.fullmatch(path)
            if match is None:
                continue
            path_known = True
            if route.method == method:
                return route, match.groupdict(), True
        return None, {}, path_known

    def _ratelimit_headers(
        self, method: str, template: str, params: dict[str, str]
    ) -> tuple[dict[str, str], bool]:
        """Count the request in its bucket; return Discord's rate-limit headers and 'over limit'."""
        digest = hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False)
        bucket_hash = digest.hexdigest()[:32]
        major = (
            params.get("channel_id")
            or params.get("guild_id")
            or params.get("webhook_id", "") + params.get("webhook_token", "")
            or params.get("interaction_id")
            or ""
        )
        bucket = self._buckets.setdefault((bucket_hash, major), _Bucket())
        now = time.time()
        if now >= bucket.reset_at:
            bucket.used = 0
            bucket.reset_at = now + self.rate_limit_window
        bucket.used += 1
        reset_after = max(bucket.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self.rate_limit - bucket.used, 0)),
            "X-RateLimit-Reset": f"{bucket.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        return headers, bucket.used > self.rate_limit

    @staticmethod
    def _rate_limited_response(
        retry_after: float, global_: bool, headers: dict[str, str], scope: str
    ) -> web.Response:
        """Build a real-looking 429 (discord.py requires ``Via`` or it assumes a Cloudflare ban)."""
        out = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if global_ else scope,
            "Via": "1.1 google",
        }
        if global_:
            out["X-RateLimit-Global"] = "true"
        else:
            out.update(headers)
            out["X-RateLimit-Remaining"] = "0"
            out["X-RateLimit-Reset-After"] = f"{retry_after:.3f}"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": global_,
        }
        return json_response(body, status=429, headers=out)

    def _take_injection(self, method: str, path: str) -> _Injection | None:
        """Pop one use of the first matching injected failure."""
        for injection in self._injections:
            if injection.method not in ("*", method) or not injection.regex.fullmatch(path):
                continue
            injection.remaining -= 1
            if injection.remaining <= 0:
                self._injections.remove(injection)
            return injection
        return None

    def _violation(self, recorded: RecordedRequest, description: str) -> None:
        """Record a contract violation."""
        self.violations.append(
            f"{recorded.method} {recorded.route or recorded.path}: {description}"
        )

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        """Entry point of every ``/api/v10`` request."""
        method = request.method.upper()
        path = "/" + request.match_info["tail"]
        recorded = RecordedRequest(
            method=method,
            path=path,
            json=None,
            files=[],
            headers=dict(request.headers),
            query=dict(request.query),
        )
        self.requests.append(recorded)
        body, files, body_error = await self._read_body(request, recorded)
        recorded.json = body
        response = await self._dispatch_api(request, recorded, body, files, body_error)
        recorded.status = response.status
        return response

    async def _dispatch_api(
        self,
        request: web.Request,
        recorded: RecordedRequest,
        body: Any,
        files: list[UploadedFile],
        body_error: str | None,
    ) -> web.StreamResponse:
        """Route, authenticate, apply injections/rate limits, validate and run the handler."""
        method, path = recorded.method, recorded.path
        route, params, path_known = self._match_route(method, path)
        template = route.template if route is not None else path
        headers, over_limit = self._ratelimit_headers(method, template, params)
        if route is None:
            status = 405 if path_known else 404
            self.unexpected.append(f"{method} {path} -> {status}")
            message = "405: Method Not Allowed" if path_known else "404: Not Found"
            return json_response({"message": message, "code": 0}, status=status, headers=headers)
        recorded.route = route.template
        if route.auth and request.headers.get("Authorization") != f"Bot {self.token}":
            self.unexpected.append(f"{method} {path} -> 401 (bad or missing Authorization)")
            return json_response(
                {"message": "401: Unauthorized", "code": 0}, status=401, headers=headers
            )
        injection = self._take_injection(method, path)
        if injection is not None:
            if injection.status == 429:
                return self._rate_limited_response(
                    injection.retry_after, injection.global_, headers, "user"
                )
            return json_response(injection.body, status=injection.status, headers=headers)
        if over_limit:
            self._violation(recorded, "exceeded the advertised rate limit (got a real 429)")
            retry_after = float(headers["X-RateLimit-Reset-After"])
            return self._rate_limited_response(retry_after, False, headers, "user")

        if body_error is not None:
            self._violation(recorded, body_error)
            return json_response(
                {"message": "400: Bad Request", "code": 0}, status=400, headers=headers
            )
        problems = self._validate_body(method, route.template, body)
        if problems:
            for problem in problems:
                self._violation(recorded, problem.describe())
            return json_response(discord_error_body(problems), status=400, headers=headers)

        call = ApiCall(request, method, path, route.template, params, body, files, recorded)
        try:
            response = await route.handler(call)
        except ApiError as exc:
            if exc.violation is not None:
                self._violation(recorded, exc.violation)
            response = json_response(exc.body, status=exc.status)
        for key, value in headers.items():
            response.headers[key] = value
        return response

    def _validate_body(self, method: str, template: str, body: Any) -> list[SpecViolation]:
        """Apply real Discord limits, then the OpenAPI schema, to a JSON body."""
        if not self._validator.has_schema(method, template):
            return []
        if body is None:
            if method == "PATCH":
                return []
            return [SpecViolation((), "BASE_TYPE_REQUIRED", "A JSON request body is required.")]
        key = f"{method} {template}"
        message_body = body
        if key == INTERACTION_CALLBACK_ROUTE and isinstance(body, dict):
            message_body = body.get("data")
        is_modal = key == INTERACTION_CALLBACK_ROUTE and body.get("type") == CALLBACK_MODAL
        if key in MESSAGE_BODY_ROUTES and isinstance(message_body, dict) and not is_modal:
            problems = check_message_limits(message_body) + check_components(message_body)
            if problems:
                return problems
        if is_modal and isinstance(message_body, dict):
            problems = check_modal(message_body)
            if problems:
                return problems
        return self._validator.validate(method, template, body)

    async def _handle_other(self, request: web.Request) -> web.StreamResponse:
        """Answer requests outside the API prefix with a 404 and record them."""
        self.unexpected.append(f"{request.method} {request.path} -> 404 (outside {API_PREFIX})")
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    async def _handle_attachment(self, request: web.Request) -> web.StreamResponse:
        """Serve attachment bytes from the fake CDN."""
        try:
            attachment_id = int(request.match_info["attachment_id"])
        except ValueError:
            attachment_id = -1
        stored = self._attachments.get(attachment_id)
        served_at = {
            yarl.URL(stored.meta[key]).path for key in ("url", "proxy_url") if stored is not None
        }
        if stored is None or request.path not in served_at:
            self.unexpected.append(f"GET {request.path} -> 404 (unknown attachment)")
            return web.Response(status=404, text="Not Found")
        self.attachment_downloads.append((attachment_id, stored.meta["filename"]))
        return web.Response(body=stored.data, headers={"Content-Type": stored.meta["content_type"]})

    # ------------------------------------------------------------------ REST handlers

    @staticmethod
    def _ok(data: Any, status: int = 200) -> web.Response:
        """Return a JSON response."""
        return json_response(data, status=status)

    @staticmethod
    def _no_content() -> web.Response:
        """Return a 204 response."""
        return web.Response(status=204)

    def _require_channel(self, call: ApiCall) -> tuple[int, JSON]:
        """Return the channel/thread addressed by the call or raise 404 Unknown Channel."""
        channel_id = int(call.params["channel_id"]) if call.params["channel_id"].isdigit() else -1
        channel = self._channel_or_thread(channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel_id, channel

    def _require_message(self, call: ApiCall) -> tuple[int, JSON]:
        """Return the message addressed by the call or raise 404 Unknown Message."""
        channel_id, _ = self._require_channel(call)
        raw_id = call.params["message_id"]
        message = self._messages[channel_id].get(int(raw_id)) if raw_id.isdigit() else None
        if message is None:
            raise ApiError(404, 10008, "Unknown Message")
        return channel_id, message

    def _require_guild(self, call: ApiCall) -> None:
        """Raise 404 Unknown Guild unless the call addresses the fake's guild."""
        if call.params.get("guild_id") != str(self.guild_id):
            raise ApiError(404, 10004, "Unknown Guild")

    async def _get_me(self, call: ApiCall) -> web.StreamResponse:
        """GET /users/@me."""
        return self._ok(self.bot_user)

    async def _get_user(self, call: ApiCall) -> web.StreamResponse:
        """GET /users/{user_id}."""
        user_id = call.params["user_id"]
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return self._ok(user)

    async def _get_application(self, call: ApiCall) -> web.StreamResponse:
        """GET /oauth2/applications/@me."""
        return self._ok(self._application_payload(full=True))

    def _application_flags(self) -> int:
        """Return application flags granting the allowed privileged intents."""
        flags = 0
        for name in self.allowed_privileged_intents:
            flags |= _APP_FLAG_FOR_INTENT[name]
        return flags

    def _application_payload(self, *, full: bool) -> JSON:
        """Return the application object (partial for READY)."""
        if not full:
            return {"id": str(self.application_id), "flags": self._application_flags()}
        owner = self.users[self.owner_id]
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": owner,
            "team": None,
            "flags": self._application_flags(),
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "tags": [],
            "bot": self.bot_user,
            "approximate_guild_count": 1,
        }

    async def _get_gateway(self, call: ApiCall) -> web.StreamResponse:
        """GET /gateway."""
        return self._ok({"url": self.gateway_url})

    async def _get_gateway_bot(self, call: ApiCall) -> web.StreamResponse:
        """GET /gateway/bot."""
        return self._ok(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    def _guild_base(self) -> JSON:
        """Return the guild object fields shared by REST and GUILD_CREATE."""
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [copy.deepcopy(r) for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
        }

    def _guild_create_payload(self, session: _Session) -> JSON:
        """Build the GUILD_CREATE dispatch data as seen by ``session``."""
        small = len(self.members) < 250
        if session.intents & INTENT_GUILD_PRESENCES and small:
            members = list(self.members.values())
        else:
            members = [self.members[self.bot_user_id]]
        active = [
            self._thread_view(t, for_gateway_create=True) for t in self._active_threads_for_bot()
        ]
        return {
            **self._guild_base(),
            "joined_at": self.guild_joined_at,
            "large": not small,
            "unavailable": False,
            "member_count": len(self.members),
            "members": copy.deepcopy(members),
            "channels": [
                {k: v for k, v in copy.deepcopy(c).items() if k != "guild_id"}
                for c in self.channels.values()
            ],
            "threads": copy.deepcopy(active),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "lazy": True,
        }

    async def _get_guild(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}."""
        self._require_guild(call)
        data = self._guild_base()
        if call.recorded.query.get("with_counts") in ("true", "True", "1"):
            data["approximate_member_count"] = len(self.members)
            data["approximate_presence_count"] = 0
        return self._ok(data)

    async def _get_guild_channels(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}/channels."""
        self._require_guild(call)
        return self._ok(list(self.channels.values()))

    async def _get_guild_roles(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}/roles."""
        self._require_guild(call)
        return self._ok(list(self.roles.values()))

    async def _get_active_threads(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}/threads/active."""
        self._require_guild(call)
        active = self._active_threads_for_bot()
        own = [
            copy.deepcopy(self._thread_members[int(t["id"])][self.bot_user_id])
            for t in active
            if self.bot_user_id in self._thread_members.get(int(t["id"]), {})
        ]
        return self._ok({"threads": active, "members": own})

    def _active_threads_for_bot(self) -> list[JSON]:
        """The unarchived threads the bot can see (private ones: member or Manage Threads)."""
        return [
            t
            for t in self.threads.values()
            if not t["thread_metadata"]["archived"] and self._bot_can_view(int(t["id"]))
        ]

    async def _get_member(self, call: ApiCall) -> web.StreamResponse:
        """GET /guilds/{guild_id}/members/{user_id}."""
        self._require_guild(call)
        user_id = call.params["user_id"]
        member = self.members.get(int(user_id)) if user_id.isdigit() else None
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return self._ok(member)

    async def _get_channel(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}."""
        _, channel = self._require_channel(call)
        return self._ok(channel)

    async def _patch_channel(self, call: ApiCall) -> web.StreamResponse:
        """PATCH /channels/{channel_id} (thread archive/lock/rename or channel edit)."""
        channel_id, channel = self._require_channel(call)
        body: JSON = call.body or {}
        if channel_id in self.threads:
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if body.get(key) is not None:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = now_iso()
            for key in ("name", "rate_limit_per_user", "flags", "applied_tags"):
                if body.get(key) is not None:
                    channel[key] = body[key]
            await self._dispatch_thread_update(channel)
        else:
            for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position"):
                if key in body:
                    channel[key] = body[key]
            await self._broadcast("CHANNEL_UPDATE", copy.deepcopy(channel), INTENT_GUILDS)
        return self._ok(channel)

    async def _list_messages(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}/messages (newest first, like Discord)."""
        channel_id, _ = self._require_channel(call)
        query = call.recorded.query
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            raise ApiError(400, 50035, "Invalid Form Body", violation=f"bad limit {limit}")
        items = list(self._messages[channel_id].values())
        if "before" in query:
            items = [m for m in items if int(m["id"]) < int(query["before"])]
        if "after" in query:
            items = [m for m in items if int(m["id"]) > int(query["after"])]
            items = items[:limit]
        if "around" in query:
            pivot = int(query["around"])
            items.sort(key=lambda m: abs(int(m["id"]) - pivot))
            items = sorted(items[:limit], key=lambda m: int(m["id"]))
        newest_first = sorted(items, key=lambda m: int(m["id"]), reverse=True)[:limit]
        return self._ok([self._rest_view(m) for m in newest_first])

    async def _get_message(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}/messages/{message_id}."""
        _, message = self._require_message(call)
        return self._ok(self._rest_view(message))

    def _rest_view(self, message: JSON) -> JSON:
        """Return a message as REST shows it (content redacted without the privileged intent)."""
        if "message_content" in self.allowed_privileged_intents:
            return message
        return self._redact(copy.deepcopy(message))

    async def _create_message(self, call: ApiCall) -> web.StreamResponse:
        """POST /channels/{channel_id}/messages (JSON or multipart)."""
        channel_id, channel = self._require_channel(call)
        body: JSON = call.body if isinstance(call.body, dict) else {}
        if is_empty_message(body, len(call.files)):
            raise ApiError(
                400, 50006, "Cannot send an empty message", violation="empty message (50006)"
            )
        nonce = body.get("nonce")
        nonce_key = (channel_id, self.bot_user_id, str(nonce))
        if nonce is not None and body.get("enforce_nonce") and nonce_key in self._nonces:
            existing = self._messages[channel_id].get(self._nonces[nonce_key])
            if existing is not None:
                return self._ok(existing)
        self._require_bot_access(channel_id)
        self._check_thread_writable(channel_id, channel)
        await self._touch_thread(channel_id, by_user=False)
        reference = self._resolve_reference(channel_id, body.get("message_reference"))
        attachments = self._attachments_from_upload(body.get("attachments"), call.files)
        mentions, mention_roles, everyone = self._bot_mentions(body, reference)
        message = self._build_message(
            channel_id,
            self.bot_user,
            body.get("content") or "",
            embeds=[_strip_nulls(e) for e in body.get("embeds") or []],
            attachments=attachments,
            components=normalize_components(body.get("components") or []),
            reference=reference,
            mentions=mentions,
            mention_roles=mention_roles,
            mention_everyone=everyone,
            tts=bool(body.get("tts")),
            flags=int(body.get("flags") or 0),
            nonce=nonce,
        )
        if nonce is not None:
            self._nonces[nonce_key] = int(message["id"])
        await self._store_and_dispatch_message(message)
        if channel_id in self.threads:
            await self._join_thread(channel_id, self.bot_user_id)
        return self._ok(message)

    async def _edit_message(self, call: ApiCall) -> web.StreamResponse:
        """PATCH /channels/{channel_id}/messages/{message_id}."""
        _, message = self._require_message(call)
        body: JSON = call.body if isinstance(call.body, dict) else {}
        if message["author"]["id"] != self.bot_user["id"] and set(body) - {"flags"}:
            raise ApiError(
                403,
                50005,
                "Cannot edit a message authored by another user",
                violation="edit of a message authored by another user (50005)",
            )
        updated = self._edited_copy(message, body, call.files)
        message.clear()
        message.update(updated)
        await self._dispatch_message_event("MESSAGE_UPDATE", message)
        return self._ok(message)

    def _edited_copy(
        self,
        message: JSON,
        body: JSON,
        files: list[UploadedFile],
        *,
        keep_flags: int = MESSAGE_FLAG_HAS_THREAD,
    ) -> JSON:
        """Return ``message`` with an edit body applied (raises 50006 if it would be empty)."""
        updated = copy.deepcopy(message)
        if "content" in body:
            updated["content"] = body["content"] or ""
        if "embeds" in body:
            updated["embeds"] = [_strip_nulls(e) for e in body["embeds"] or []]
        if "components" in body:
            updated["components"] = normalize_components(body["components"] or [])
        if body.get("flags") is not None:
            updated["flags"] = int(body["flags"]) | (message["flags"] & keep_flags)
        if "attachments" in body or files:
            keep_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in message["attachments"] if a["id"] in keep_ids]
            new = self._attachments_from_upload(body.get("attachments"), files)
            updated["attachments"] = kept + new
        if is_empty_message(updated, len(updated["attachments"])):
            raise ApiError(
                400,
                50006,
                "Cannot send an empty message",
                violation="edit would empty the message (50006)",
            )
        updated["edited_timestamp"] = now_iso()
        return updated

    async def _delete_message(self, call: ApiCall) -> web.StreamResponse:
        """DELETE /channels/{channel_id}/messages/{message_id}.

        Another user's message needs Manage Messages in the channel (403 50013 without it).
        """
        channel_id, message = self._require_message(call)
        if message["author"]["id"] != self.bot_user["id"]:
            self._require_bot_permission(channel_id, P_MANAGE_MESSAGES)
        await self._remove_message(channel_id, int(message["id"]))
        return self._no_content()

    def _require_bot_permission(self, channel_id: int, permission: int) -> None:
        """Raise Discord's 403 50013 Missing Permissions unless the bot has the permission."""
        if not self.permissions_for(self.bot_user_id, channel_id) & permission:
            raise ApiError(403, 50013, "Missing Permissions")

    def _require_bot_access(self, channel_id: int) -> None:
        """Raise Discord's 403 50001 Missing Access if the bot cannot see the channel/thread."""
        if not self._bot_can_view(channel_id):
            raise ApiError(403, 50001, "Missing Access")

    def _bot_can_view(self, channel_id: int) -> bool:
        """Return whether the bot can see a channel or thread (and so gets its events)."""
        if self._channel_or_thread(channel_id) is None:
            return True
        return self.can_view(self.bot_user_id, channel_id)

    async def _remove_message(self, channel_id: int, message_id: int) -> None:
        """Delete a stored message, count it out of its thread, dispatch MESSAGE_DELETE."""
        del self._messages[channel_id][message_id]
        thread = self.threads.get(channel_id)
        if thread is not None:
            thread["message_count"] = max(thread["message_count"] - 1, 0)
        await self._dispatch_delete(channel_id, message_id)

    async def _create_thread_from_message(self, call: ApiCall) -> web.StreamResponse:
        """POST /channels/{channel_id}/messages/{message_id}/threads (public, id == message id)."""
        channel_id, message = self._require_message(call)
        if channel_id in self.threads:
            raise ApiError(
                400,
                50024,
                "Cannot execute action on this channel type",
                violation="thread inside a thread",
            )
        if "thread" in message:
            raise ApiError(
                400,
                160004,
                "A thread has already been created for this message",
                violation="second thread for the same message (160004)",
            )
        body: JSON = call.body or {}
        thread = self._new_thread(
            int(message["id"]),
            channel_id,
            body["name"],
            CHANNEL_TYPE_PUBLIC_THREAD,
            body.get("auto_archive_duration"),
            body.get("rate_limit_per_user"),
        )
        message["thread"] = copy.deepcopy(thread)
        message["flags"] = message["flags"] | MESSAGE_FLAG_HAS_THREAD
        await self._announce_new_thread(thread)
        await self._dispatch_message_event("MESSAGE_UPDATE", message)
        return self._ok(self._thread_view(thread), status=201)

    async def _create_thread(self, call: ApiCall) -> web.StreamResponse:
        """POST /channels/{channel_id}/threads (thread without a starter message)."""
        channel_id, _ = self._require_channel(call)
        if channel_id in self.threads:
            raise ApiError(
                400,
                50024,
                "Cannot execute action on this channel type",
                violation="thread inside a thread",
            )
        body: JSON = call.body or {}
        # Without a type Discord still makes a private thread (the documented v10 default).
        thread_type = int(body.get("type") or CHANNEL_TYPE_PRIVATE_THREAD)
        if thread_type not in (CHANNEL_TYPE_PUBLIC_THREAD, CHANNEL_TYPE_PRIVATE_THREAD):
            raise ApiError(
                400,
                50024,
                "Cannot execute action on this channel type",
                violation=f"thread type {thread_type} in a text channel",
            )
        needed = (
            P_CREATE_PRIVATE_THREADS
            if thread_type == CHANNEL_TYPE_PRIVATE_THREAD
            else P_CREATE_PUBLIC_THREADS
        )
        self._require_bot_permission(channel_id, needed)
        thread = self._new_thread(
            self._snowflakes.next(),
            channel_id,
            body["name"],
            thread_type,
            body.get("auto_archive_duration"),
            body.get("rate_limit_per_user"),
        )
        if thread_type == CHANNEL_TYPE_PRIVATE_THREAD:
            thread["thread_metadata"]["invitable"] = body.get("invitable", True) is not False
        await self._announce_new_thread(thread)
        return self._ok(self._thread_view(thread), status=201)

    async def _announce_new_thread(self, thread: JSON) -> None:
        """THREAD_CREATE (newly_created) to the bot, then its own THREAD_MEMBERS_UPDATE.

        The creator is the thread's first member; Discord always tells the current user when
        it is added to a thread. A private thread reaches only those who can see it: in this
        fake the bot, its creator.
        """
        thread_id = int(thread["id"])
        if self._bot_can_view(thread_id):
            payload = {**copy.deepcopy(thread), "newly_created": True}
            await self._broadcast("THREAD_CREATE", payload, INTENT_GUILDS)
        await self._thread_members_update(thread_id, added=[self.bot_user_id])

    def _thread_view(self, thread: JSON, *, for_gateway_create: bool = False) -> JSON:
        """A thread as returned to the bot: with ``member`` when the bot is a member of it."""
        view = copy.deepcopy(thread)
        own = self._thread_members.get(int(thread["id"]), {}).get(self.bot_user_id)
        if own is not None:
            member = copy.deepcopy(own)
            if for_gateway_create:  # GUILD_CREATE leaves out the ids
                member.pop("id")
                member.pop("user_id")
            view["member"] = member
        return view

    async def _typing(self, call: ApiCall) -> web.StreamResponse:
        """POST /channels/{channel_id}/typing."""
        self._require_channel(call)
        return self._no_content()

    async def _own_reaction(self, call: ApiCall) -> web.StreamResponse:
        """PUT/DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me."""
        channel_id, message = self._require_message(call)
        emoji_raw = call.params["emoji_name"]
        name, _, emoji_id = emoji_raw.partition(":")
        emoji = {"id": emoji_id or None, "name": name}
        reactions: list[JSON] = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["emoji"] == emoji), None)
        if call.method == "PUT":
            if entry is None:
                entry = {
                    "count": 0,
                    "count_details": {"burst": 0, "normal": 0},
                    "me": False,
                    "me_burst": False,
                    "burst_colors": [],
                    "emoji": emoji,
                }
                reactions.append(entry)
            if not entry["me"]:
                entry["me"] = True
                entry["count"] += 1
                entry["count_details"]["normal"] += 1
            event = "MESSAGE_REACTION_ADD"
        else:
            if entry is not None and entry["me"]:
                entry["me"] = False
                entry["count"] -= 1
                entry["count_details"]["normal"] -= 1
                if entry["count"] <= 0:
                    reactions.remove(entry)
            event = "MESSAGE_REACTION_REMOVE"
        data: JSON = {
            "user_id": self.bot_user["id"],
            "channel_id": str(channel_id),
            "message_id": message["id"],
            "guild_id": str(self.guild_id),
            "emoji": emoji,
            "burst": False,
            "type": 0,
        }
        if event == "MESSAGE_REACTION_ADD":
            data["member"] = copy.deepcopy(self.members[self.bot_user_id])
            data["message_author_id"] = message["author"]["id"]
        await self._broadcast(event, data, INTENT_GUILD_MESSAGE_REACTIONS)
        return self._no_content()

    async def _thread_member(self, call: ApiCall) -> web.StreamResponse:
        """PUT/DELETE /channels/{channel_id}/thread-members/(@me|{user_id})."""
        channel_id, _ = self._require_channel(call)
        if channel_id not in self.threads:
            raise ApiError(
                400,
                50024,
                "Cannot execute action on this channel type",
                violation="thread member on a non-thread",
            )
        user_id = call.params.get("user_id")
        if user_id is not None and (not user_id.isdigit() or int(user_id) not in self.members):
            raise ApiError(404, 10013, "Unknown User")
        self._require_bot_access(channel_id)
        thread = self.threads[channel_id]
        if thread["thread_metadata"]["archived"]:
            raise ApiError(
                400, 50083, "Thread is archived", violation="member change in an archived thread"
            )
        target = self.bot_user_id if user_id is None else int(user_id)
        if call.method == "PUT":
            if target != self.bot_user_id:
                self._require_bot_permission(channel_id, P_SEND_MESSAGES_IN_THREADS)
            joined = target not in self._thread_members.get(channel_id, {})
            await self._join_thread(channel_id, target)
            if joined and target == self.bot_user_id:
                # Joining a thread also syncs it to the joiner, with its own thread member.
                await self._broadcast("THREAD_CREATE", self._thread_view(thread), INTENT_GUILDS)
            return self._no_content()
        if target != self.bot_user_id:
            is_creator = (
                thread["type"] == CHANNEL_TYPE_PRIVATE_THREAD
                and thread["owner_id"] == self.bot_user["id"]
            )
            if not is_creator:
                self._require_bot_permission(channel_id, P_MANAGE_THREADS)
        if self._thread_members.get(channel_id, {}).pop(target, None) is not None:
            await self._thread_members_update(channel_id, removed=[target])
        return self._no_content()

    async def _list_thread_members(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}/thread-members (needs the app's GUILD_MEMBERS intent)."""
        channel_id, _ = self._require_channel(call)
        if channel_id not in self.threads:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self._require_bot_access(channel_id)
        if "members" not in self.allowed_privileged_intents:
            raise ApiError(403, 50001, "Missing Access")
        query = call.recorded.query
        with_member = query.get("with_member") in ("true", "True", "1")
        members = sorted(
            self._thread_members.get(channel_id, {}).values(), key=lambda m: int(m["user_id"])
        )
        if with_member:  # paginated, as the docs say for with_member=true
            after = int(query.get("after") or 0)
            limit = int(query.get("limit") or 100)
            if not 1 <= limit <= 100:
                raise ApiError(400, 50035, "Invalid Form Body", violation=f"bad limit {limit}")
            members = [m for m in members if int(m["user_id"]) > after][:limit]
        return self._ok([self._thread_member_view(m, with_member) for m in members])

    async def _get_thread_member(self, call: ApiCall) -> web.StreamResponse:
        """GET /channels/{channel_id}/thread-members/{user_id} (404 10007 if not a member)."""
        channel_id, _ = self._require_channel(call)
        if channel_id not in self.threads:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self._require_bot_access(channel_id)
        raw = call.params["user_id"]
        member = self._thread_members.get(channel_id, {}).get(int(raw)) if raw.isdigit() else None
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        with_member = call.recorded.query.get("with_member") in ("true", "True", "1")
        return self._ok(self._thread_member_view(member, with_member))

    def _thread_member_view(self, member: JSON, with_member: bool) -> JSON:
        """A thread member object, with the guild member when asked."""
        view = copy.deepcopy(member)
        if with_member:
            view["member"] = copy.deepcopy(self.members[int(member["user_id"])])
        return view

    async def _join_thread(self, thread_id: int, user_id: int) -> None:
        """Make a user a member of a thread (no-op if already one)."""
        if user_id not in self._thread_members.setdefault(thread_id, {}):
            await self._thread_members_update(thread_id, added=[user_id])

    async def _thread_members_update(
        self, thread_id: int, *, added: Sequence[int] = (), removed: Sequence[int] = ()
    ) -> None:
        """Update ``member_count`` and dispatch THREAD_MEMBERS_UPDATE.

        Others' changes need the GUILD_MEMBERS intent; the bot's own always reach it.
        """
        thread = self.threads[thread_id]
        members = self._thread_members.setdefault(thread_id, {})
        for user_id in added:
            members.setdefault(
                user_id,
                {
                    "id": str(thread_id),
                    "user_id": str(user_id),
                    "join_timestamp": now_iso(),
                    "flags": 0,
                },
            )
        thread["member_count"] = min(len(members), MAX_THREAD_MEMBER_COUNT)
        data: JSON = {
            "id": str(thread_id),
            "guild_id": str(self.guild_id),
            "member_count": thread["member_count"],
        }
        if added:
            data["added_members"] = [
                {
                    **copy.deepcopy(members[u]),
                    "member": copy.deepcopy(self.members[u]),
                    "presence": None,
                }
                for u in added
            ]
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        own = self.bot_user_id in (*added, *removed)
        if own or self._bot_can_view(thread_id):
            await self._broadcast("THREAD_MEMBERS_UPDATE", data, 0 if own else INTENT_GUILD_MEMBERS)

    async def _app_commands(self, call: ApiCall) -> web.StreamResponse:
        """GET/PUT application commands (global or guild)."""
        if call.params["application_id"] != str(self.application_id):
            raise ApiError(404, 10002, "Unknown Application")
        guild_id: int | None = None
        if "guild_id" in call.params:
            self._require_guild(call)
            guild_id = self.guild_id
        if call.method == "PUT":
            # Bulk overwrite: a command keeps its id (and version, if unchanged) by name and type.
            previous = {(c["name"], c["type"]): c for c in self.app_commands.get(guild_id, [])}
            commands = []
            for raw in call.body or []:
                command = {
                    "type": 1,
                    "description": "",
                    "options": [],
                    "default_member_permissions": None,
                    "nsfw": False,
                    **raw,
                    "application_id": str(self.application_id),
                }
                if command["default_member_permissions"] is not None:
                    command["default_member_permissions"] = str(
                        command["default_member_permissions"]
                    )
                if guild_id is not None:
                    command["guild_id"] = str(guild_id)
                old = previous.get((command["name"], command["type"]))
                command["id"] = old["id"] if old else str(self._snowflakes.next())
                unchanged = old is not None and {**old, "version": None} == {
                    **command,
                    "version": None,
                }
                version = old["version"] if old and unchanged else str(self._snowflakes.next())
                command["version"] = version
                commands.append(command)
            self.app_commands[guild_id] = commands
        return self._ok(self.app_commands.get(guild_id, []))

    # ------------------------------------------------------------------ interaction responses

    def _require_interaction(self, call: ApiCall) -> Interaction:
        """Return the interaction addressed by id + token (404 10062 Unknown interaction)."""
        raw_id = call.params["interaction_id"]
        interaction = self._interactions.get(int(raw_id)) if raw_id.isdigit() else None
        if interaction is None or not secrets.compare_digest(
            interaction.token, call.params["interaction_token"]
        ):
            raise ApiError(
                404, 10062, "Unknown interaction", violation="callback for an unknown interaction"
            )
        return interaction

    def _interaction_message(
        self,
        interaction: Interaction,
        body: JSON,
        files: list[UploadedFile],
        *,
        loading: bool = False,
        followup: bool = False,
    ) -> JSON:
        """Build the message an interaction response or followup creates."""
        flags = int(body.get("flags") or 0) & _INTERACTION_MESSAGE_FLAGS
        if loading:
            flags = (flags & MESSAGE_FLAG_EPHEMERAL) | MESSAGE_FLAG_LOADING
        mentions, mention_roles, everyone = self._bot_mentions(body, None)
        message = self._build_message(
            interaction.channel_id,
            self.bot_user,
            body.get("content") or "",
            embeds=[_strip_nulls(e) for e in body.get("embeds") or []],
            attachments=self._attachments_from_upload(body.get("attachments"), files),
            components=normalize_components(body.get("components") or []),
            reference=None,
            mentions=mentions,
            mention_roles=mention_roles,
            mention_everyone=everyone,
            tts=bool(body.get("tts")),
            flags=flags,
        )
        command = interaction.type == INTERACTION_APPLICATION_COMMAND
        if command and not followup:
            message["type"] = MESSAGE_TYPE_CHAT_INPUT_COMMAND
        message["webhook_id"] = str(self.application_id)
        message["application_id"] = str(self.application_id)
        metadata: JSON = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": copy.deepcopy(interaction.user),
            "authorizing_integration_owners": {"0": str(self.guild_id)},
        }
        if command:
            metadata["name"] = interaction.name
            metadata["command_type"] = 1
        if interaction.type == INTERACTION_MESSAGE_COMPONENT:
            metadata["interacted_message_id"] = interaction.payload["message"]["id"]
        if followup and interaction.original_id is not None:
            metadata["original_response_message_id"] = str(interaction.original_id)
        message["interaction_metadata"] = metadata
        if command:
            message["interaction"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "name": interaction.name,
                "user": copy.deepcopy(interaction.user),
                "member": self._partial_member(int(interaction.user["id"])),
            }
        return message

    async def _publish_interaction_message(self, interaction: Interaction, message: JSON) -> None:
        """Store a new response/followup: ephemeral ones only on the interaction."""
        if message["flags"] & MESSAGE_FLAG_EPHEMERAL:
            self._ephemeral[int(message["id"])] = (message, interaction)
            return
        channel_id = interaction.channel_id
        channel = self._channel_or_thread(channel_id)
        assert channel is not None
        self._check_thread_writable(channel_id, channel)
        await self._touch_thread(channel_id, by_user=False)
        await self._store_and_dispatch_message(message)

    async def _update_interaction_message(self, message: JSON, updated: JSON) -> None:
        """Replace a message's state in place; dispatch MESSAGE_UPDATE unless it is ephemeral."""
        message.clear()
        message.update(updated)
        if not message["flags"] & MESSAGE_FLAG_EPHEMERAL:
            await self._dispatch_message_event("MESSAGE_UPDATE", message)

    async def _interaction_callback(self, call: ApiCall) -> web.StreamResponse:
        """POST /interactions/{interaction_id}/{interaction_token}/callback."""
        interaction = self._require_interaction(call)
        late = time.monotonic() - interaction.dispatched_at
        if not interaction.responses and late > self.interaction_ack_timeout:
            raise ApiError(
                404,
                10062,
                "Unknown interaction",
                violation=f"interaction acknowledged after {late:.2f}s "
                f"(Discord allows {self.interaction_ack_timeout:g}s)",
            )
        if interaction.responses:
            raise ApiError(
                400,
                40060,
                "Interaction has already been acknowledged.",
                violation="second callback for the same interaction (40060)",
            )
        body: JSON = call.body if isinstance(call.body, dict) else {}
        callback_type = int(body.get("type") or 0)
        if callback_type not in _CALLBACKS_ALLOWED.get(interaction.type, frozenset()):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                violation=f"callback type {callback_type} is not valid for interaction type "
                f"{interaction.type}",
            )
        raw_data = body.get("data")
        data: JSON = raw_data if isinstance(raw_data, dict) else {}
        resource_message: JSON | None = None
        if callback_type == CALLBACK_CHANNEL_MESSAGE:
            if is_empty_message(data, len(call.files)):
                raise ApiError(
                    400, 50006, "Cannot send an empty message", violation="empty response (50006)"
                )
            message = self._interaction_message(interaction, data, call.files)
            await self._publish_interaction_message(interaction, message)
            interaction.original_id = int(message["id"])
            interaction._track(message)
            resource_message = message
        elif callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            message = self._interaction_message(interaction, data, [], loading=True)
            await self._publish_interaction_message(interaction, message)
            interaction.original_id = int(message["id"])
            interaction._track(message, visible=False)
            resource_message = message
        elif callback_type == CALLBACK_MODAL:
            interaction.modal = {
                "custom_id": data["custom_id"],
                "title": data["title"],
                "components": normalize_components(data["components"]),
            }
        elif callback_type in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            if "message" not in interaction.payload:
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    violation=f"callback type {callback_type} for a modal not opened from a"
                    " message component",
                )
            source_id = int(interaction.payload["message"]["id"])
            source = interaction._messages[source_id]
            interaction.original_id = source_id
            if callback_type == CALLBACK_UPDATE_MESSAGE:
                keep = MESSAGE_FLAG_HAS_THREAD | MESSAGE_FLAG_EPHEMERAL
                updated = self._edited_copy(source, data, call.files, keep_flags=keep)
                await self._update_interaction_message(source, updated)
                interaction._track(source)
                resource_message = source
        interaction.responses.append(copy.deepcopy(body))
        if call.recorded.query.get("with_response") not in ("1", "true", "True"):
            return self._no_content()
        info: JSON = {"id": str(interaction.id), "type": interaction.type}
        if resource_message is not None:
            info["response_message_id"] = resource_message["id"]
            info["response_message_loading"] = callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE
            info["response_message_ephemeral"] = bool(
                resource_message["flags"] & MESSAGE_FLAG_EPHEMERAL
            )
        out: JSON = {"interaction": info}
        if resource_message is not None:
            out["resource"] = {"type": callback_type, "message": resource_message}
        return self._ok(out)

    def _require_webhook(self, call: ApiCall) -> Interaction:
        """Return the acknowledged interaction behind an interaction webhook (10015 if none)."""
        interaction = self._interactions_by_token.get(call.params["webhook_token"])
        if interaction is None or call.params["webhook_id"] != str(self.application_id):
            raise ApiError(
                404, 10015, "Unknown Webhook", violation="unknown interaction webhook/token"
            )
        if not interaction.responses:
            raise ApiError(
                404,
                10015,
                "Unknown Webhook",
                violation="interaction webhook used before the interaction was acknowledged",
            )
        return interaction

    def _require_webhook_message(self, call: ApiCall, interaction: Interaction) -> JSON:
        """Return ``@original`` or a followup of the interaction (10008 Unknown Message)."""
        raw_id = call.params.get("message_id")
        message_id = interaction.original_id if raw_id is None else None
        if raw_id is not None and raw_id.isdigit():
            message_id = int(raw_id)
        known = {interaction.original_id, *interaction.followup_ids}
        if message_id is None or message_id not in known or message_id in interaction.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return interaction._messages[message_id]

    async def _webhook_followup(self, call: ApiCall) -> web.StreamResponse:
        """POST /webhooks/{application_id}/{token}: followup message.

        Right after a type 5 defer, Discord edits the "thinking" message instead of creating
        one (keeping its ephemeral state) - discord.py relies on this for ``followup.send``.
        """
        interaction = self._require_webhook(call)
        body: JSON = call.body if isinstance(call.body, dict) else {}
        if is_empty_message(body, len(call.files)):
            raise ApiError(
                400, 50006, "Cannot send an empty message", violation="empty followup (50006)"
            )
        interaction.followups.append(copy.deepcopy(body))
        original = interaction._messages.get(interaction.original_id or -1)
        if (
            original is not None
            and original["flags"] & MESSAGE_FLAG_LOADING
            and interaction.original_id not in interaction.deleted
        ):
            keep = MESSAGE_FLAG_EPHEMERAL
            edit = {**body, "flags": int(body.get("flags") or 0) & ~MESSAGE_FLAG_EPHEMERAL}
            updated = self._edited_copy(original, edit, call.files, keep_flags=keep)
            updated["edited_timestamp"] = None
            await self._update_interaction_message(original, updated)
            interaction._track(original)
            message = original
        else:
            message = self._interaction_message(interaction, body, call.files, followup=True)
            await self._publish_interaction_message(interaction, message)
            interaction.followup_ids.append(int(message["id"]))
            interaction._track(message)
        if call.recorded.query.get("wait") in ("0", "false", "False"):
            return self._no_content()
        return self._ok(message)

    async def _webhook_get_message(self, call: ApiCall) -> web.StreamResponse:
        """GET /webhooks/{application_id}/{token}/messages/(@original|{message_id})."""
        interaction = self._require_webhook(call)
        return self._ok(self._require_webhook_message(call, interaction))

    async def _webhook_edit_message(self, call: ApiCall) -> web.StreamResponse:
        """PATCH /webhooks/{application_id}/{token}/messages/(@original|{message_id})."""
        interaction = self._require_webhook(call)
        message = self._require_webhook_message(call, interaction)
        body: JSON = call.body if isinstance(call.body, dict) else {}
        interaction.edits.append(copy.deepcopy(body))
        loading = bool(message["flags"] & MESSAGE_FLAG_LOADING)
        keep = MESSAGE_FLAG_HAS_THREAD | MESSAGE_FLAG_EPHEMERAL
        updated = self._edited_copy(message, body, call.files, keep_flags=keep)
        if loading:
            updated["flags"] &= ~MESSAGE_FLAG_LOADING
            updated["edited_timestamp"] = None
        await self._update_interaction_message(message, updated)
        interaction._track(message)
        return self._ok(message)

    async def _webhook_delete_message(self, call: ApiCall) -> web.StreamResponse:
        """DELETE /webhooks/{application_id}/{token}/messages/(@original|{message_id})."""
        interaction = self._require_webhook(call)
        message = self._require_webhook_message(call, interaction)
        message_id = int(message["id"])
        interaction.deleted.append(message_id)
        if message["flags"] & MESSAGE_FLAG_EPHEMERAL:
            self._ephemeral.pop(message_id, None)
        else:
            channel_id = int(message["channel_id"])
            self._messages[channel_id].pop(message_id, None)
            await self._dispatch_delete(channel_id, message_id)
        return self._no_content()

    # ------------------------------------------------------------------ message helpers

    def _check_thread_writable(self, channel_id: int, channel: JSON) -> None:
        """Raise like Discord when writing to a locked, archived thread."""
        if channel_id not in self.threads:
            return
        meta = channel["thread_metadata"]
        if meta["archived"] and meta.get("locked"):
            raise ApiError(
                400,
                50083,
                "Thread is archived",
                violation="message to a locked archived thread (50083)",
            )

    async def _touch_thread(self, channel_id: int, *, by_user: bool) -> None:
        """Unarchive an archived (unlocked) thread on a new message, like Discord does."""
        thread = self.threads.get(channel_id)
        if thread is None:
            return
        meta = thread["thread_metadata"]
        if meta["archived"] and not meta.get("locked"):
            meta["archived"] = False
            meta["archive_timestamp"] = now_iso()
            await self._dispatch_thread_update(thread)
        elif by_user and meta["archived"]:
            raise ValueError("cannot post into a locked archived thread")

    def _new_thread(
        self,
        thread_id: int,
        parent_id: int,
        name: str,
        thread_type: int,
        auto_archive_duration: int | None,
        rate_limit_per_user: int | None,
    ) -> JSON:
        """Create and store a thread channel object."""
        parent = self.channels[parent_id]
        stamp = now_iso()
        thread: JSON = {
            "id": str(thread_id),
            "type": thread_type,
            "guild_id": str(self.guild_id),
            "parent_id": str(parent_id),
            "owner_id": self.bot_user["id"],
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "total_message_sent": 0,
            "member_count": 1,
            "rate_limit_per_user": rate_limit_per_user or 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive_duration
                or parent.get("default_auto_archive_duration", 1440),
                "archive_timestamp": stamp,
                "locked": False,
                "create_timestamp": stamp,
            },
        }
        self.threads[thread_id] = thread
        self._messages[thread_id] = {}
        return thread

    def _resolve_reference(self, channel_id: int, ref: JSON | None) -> JSON | None:
        """Validate a ``message_reference`` and return the echoed reference object."""
        if not ref:
            return None
        ref_channel = int(ref.get("channel_id") or channel_id)
        ref_id = int(ref["message_id"])
        target = self._messages.get(ref_channel, {}).get(ref_id)
        if target is None and ref.get("fail_if_not_exists", True) is not False:
            problem = SpecViolation(
                ("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
            )
            error = ApiError(400, 50035, "Invalid Form Body", violation=problem.describe())
            error.body = discord_error_body([problem])
            raise error
        if target is None:
            return None
        return {
            "type": int(ref.get("type") or 0),
            "channel_id": str(ref_channel),
            "message_id": str(ref_id),
            "guild_id": str(self.guild_id),
        }

    def _attachments_from_upload(
        self, meta: list[JSON] | None, files: list[UploadedFile]
    ) -> list[JSON]:
        """Turn uploaded ``files[n]`` parts into attachment objects served by the fake CDN."""
        by_index = {str(m.get("id")): m for m in meta or []}
        out = []
        for index, upload in enumerate(files):
            match = re.fullmatch(r"files\[(\d+)\]", upload.field_name)
            key = match.group(1) if match else str(index)
            info = by_index.get(key, {})
            content_type = upload.content_type
            if content_type == "application/octet-stream":
                content_type = _guess_type(upload.filename)
            out.append(
                self.add_attachment(
                    info.get("filename") or upload.filename,
                    upload.data,
                    content_type,
                    description=info.get("description"),
                )
            )
        return out

    def _parse_mentions(self, content: str) -> tuple[list[JSON], list[str], bool]:
        """Return (mentioned users, mentioned role ids, mention_everyone) for user content."""
        users = []
        seen: set[int] = set()
        for raw in _USER_MENTION.findall(content):
            uid = int(raw)
            if uid in self.users and uid not in seen:
                seen.add(uid)
                users.append(copy.deepcopy(self.users[uid]))
        roles = [r for r in dict.fromkeys(_ROLE_MENTION.findall(content)) if int(r) in self.roles]
        everyone = "@everyone" in content or "@here" in content
        return users, roles, everyone

    def _bot_mentions(
        self, body: JSON, reference: JSON | None
    ) -> tuple[list[JSON], list[str], bool]:
        """Apply ``allowed_mentions`` to the mentions found in a bot message."""
        users, roles, everyone = self._parse_mentions(body.get("content") or "")
        allowed = body.get("allowed_mentions")
        replied_user = allowed is None or bool(allowed.get("replied_user"))
        if allowed is not None:
            parse = allowed.get("parse") or []
            allowed_users = {str(u) for u in allowed.get("users") or []}
            allowed_roles = {str(r) for r in allowed.get("roles") or []}
            users = [u for u in users if "users" in parse or u["id"] in allowed_users]
            roles = [r for r in roles if "roles" in parse or r in allowed_roles]
            everyone = everyone and "everyone" in parse
        if reference is not None and replied_user:
            target = self._messages[int(reference["channel_id"])][int(reference["message_id"])]
            author = target["author"]
            if author["id"] not in {u["id"] for u in users}:
                users.append(copy.deepcopy(author))
        return users, roles, everyone

    def _build_message(
        self,
        channel_id: int,
        author: JSON,
        content: str,
        *,
        embeds: list[JSON],
        attachments: list[JSON],
        reference: JSON | None,
        mentions: list[JSON],
        mention_roles: list[str],
        mention_everyone: bool,
        components: list[JSON] | None = None,
        tts: bool = False,
        flags: int = 0,
        nonce: Any = None,
    ) -> JSON:
        """Build a REST-shaped message object."""
        message: JSON = {
            "id": str(self._snowflakes.next()),
            "channel_id": str(channel_id),
            "author": copy.deepcopy(author),
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": tts,
            "mention_everyone": mention_everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments,
            "embeds": embeds,
            "components": components or [],
            "pinned": False,
            "type": MESSAGE_TYPE_DEFAULT,
            "flags": flags,
        }
        if nonce is not None:
            message["nonce"] = nonce
        if reference is not None:
            message["message_reference"] = reference
            if reference["type"] == 0:
                message["type"] = MESSAGE_TYPE_REPLY
            target = self._messages[int(reference["channel_id"])][int(reference["message_id"])]
            referenced = copy.deepcopy(target)
            referenced.pop("referenced_message", None)
            message["referenced_message"] = referenced
        return message

    async def _store_and_dispatch_message(self, message: JSON) -> None:
        """Store a new message, update channel counters and dispatch MESSAGE_CREATE."""
        channel_id = int(message["channel_id"])
        self._messages[channel_id][int(message["id"])] = message
        channel = self._channel_or_thread(channel_id)
        assert channel is not None
        channel["last_message_id"] = message["id"]
        if channel_id in self.threads:
            message["position"] = channel["total_message_sent"]
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        await self._dispatch_message_event("MESSAGE_CREATE", message)

    def _gateway_message(self, message: JSON) -> JSON:
        """Return the gateway form of a message (adds guild_id and member objects)."""
        data = copy.deepcopy(message)
        data["guild_id"] = str(self.guild_id)
        author_id = int(data["author"]["id"])
        if author_id in self.members:
            data["member"] = self._partial_member(author_id)
        for mention in data["mentions"]:
            if int(mention["id"]) in self.members:
                mention["member"] = self._partial_member(int(mention["id"]))
        return data

    def _redact(self, data: JSON) -> JSON:
        """Strip content fields like Discord does without the MESSAGE_CONTENT intent."""
        mentioned = any(m["id"] == self.bot_user["id"] for m in data.get("mentions", []))
        if data["author"]["id"] == self.bot_user["id"] or mentioned:
            return data
        data.update(content="", embeds=[], attachments=[], components=[])
        data.pop("poll", None)
        return data

    async def _dispatch_message_event(self, event: str, message: JSON) -> None:
        """Dispatch MESSAGE_CREATE/UPDATE (content redacted per session intents)."""
        if not self._bot_can_view(int(message["channel_id"])):
            return
        data = self._gateway_message(message)

        def per_session(session: _Session, payload: JSON) -> JSON:
            if session.intents & INTENT_MESSAGE_CONTENT:
                return payload
            return self._redact(copy.deepcopy(payload))

        await self._broadcast(event, data, INTENT_GUILD_MESSAGES, per_session)

    async def _dispatch_delete(self, channel_id: int, message_id: int) -> None:
        """Dispatch MESSAGE_DELETE."""
        data = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
        }
        if self._bot_can_view(channel_id):
            await self._broadcast("MESSAGE_DELETE", data, INTENT_GUILD_MESSAGES)

    async def _dispatch_thread_update(self, thread: JSON) -> None:
        """Dispatch THREAD_UPDATE to the bot if it can see the thread."""
        if self._bot_can_view(int(thread["id"])):
            await self._broadcast("THREAD_UPDATE", copy.deepcopy(thread), INTENT_GUILDS)

    # ------------------------------------------------------------------ gateway

    def _queue_event(self, event: str, data: JSON, intent: int) -> None:
        """Queue a dispatch from sync code; it goes out before any later dispatch (or soon)."""
        self._pending_events.append((event, data, intent))
        task = asyncio.get_running_loop().create_task(self._flush_pending())
        self._bg_tasks.add(task)
        task.add_done_callback(self._bg_tasks.discard)

    async def _flush_pending(self) -> None:
        """Send the events queued by sync helpers, in order."""
        pending, self._pending_events = self._pending_events, []
        for event, data, intent in pending:
            await self._broadcast_now(event, data, intent)

    async def _ws_send(self, ws: web.WebSocketResponse, payload: JSON) -> bool:
        """Send one JSON object as a text frame; return False if the socket is gone."""
        return await self._ws_send_text(ws, json.dumps(payload))

    @staticmethod
    async def _ws_send_text(ws: web.WebSocketResponse, text: str) -> bool:
        """Send one text frame; return False if the socket is gone."""
        if ws.closed:
            return False
        try:
            await ws.send_str(text)
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def _send_dispatch(self, session: _Session, event: str, data: Any) -> None:
        """Send (and buffer for RESUME) one op 0 dispatch with the next sequence number."""
        async with session.lock:
            session.seq += 1
            text = json.dumps({"op": 0, "s": session.seq, "t": event, "d": data})
            session.buffer.append((session.seq, text))
            self.gateway_events_sent.append((event, data))
            ws = session.ws
            if ws is not None and not await self._ws_send_text(ws, text):
                session.ws = None

    async def _broadcast(
        self,
        event: str,
        data: JSON,
        intent: int,
        transform: Callable[[_Session, JSON], JSON] | None = None,
    ) -> None:
        """Dispatch an event to every live session subscribed to ``intent`` (0: none needed)."""
        if self._pending_events:
            await self._flush_pending()
        await self._broadcast_now(event, data, intent, transform)

    async def _broadcast_now(
        self,
        event: str,
        data: JSON,
        intent: int,
        transform: Callable[[_Session, JSON], JSON] | None = None,
    ) -> None:
        """Send an event to the subscribed live sessions without flushing queued events."""
        for session in list(self._sessions.values()):
            if not session.alive or (intent and not session.intents & intent):
                continue
            payload = transform(session, data) if transform else copy.deepcopy(data)
            await self._send_dispatch(session, event, payload)

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        """Serve one gateway websocket connection."""
        ws = web.WebSocketResponse(max_msg_size=0, timeout=5.0)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.gateway_connections.append(dict(request.query))
        if request.query.get("encoding", "json") != "json":
            self.unexpected.append(f"gateway encoding {request.query.get('encoding')!r}")
        session: _Session | None = None
        await self._ws_send(
            ws,
            {
                "op": 10,
                "s": None,
                "t": None,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms},
            },
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    if msg.type is WSMsgType.BINARY:
                        self.unexpected.append("gateway: binary frame from client")
                        continue
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    self.unexpected.append(f"gateway: invalid JSON {msg.data[:100]!r}")
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                self.gateway_received.append(payload)
                session = await self._on_gateway_payload(ws, payload, session)
        finally:
            self._sockets.discard(ws)
            server_closed = id(ws) in self._server_closed
            self._server_closed.discard(id(ws))
            if session is not None and session.ws is ws:
                session.ws = None
                if not server_closed and ws.close_code in (1000, 1001):
                    session.alive = False
                    self._sessions.pop(session.session_id, None)
        return ws

    async def _on_gateway_payload(
        self, ws: web.WebSocketResponse, payload: JSON, session: _Session | None
    ) -> _Session | None:
        """Handle one client opcode; return the (possibly new) session of the socket."""
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            await self._ws_send(ws, {"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            return await self._identify(ws, data or {})
        elif op == 6:
            return await self._resume(ws, data or {})
        elif op == 8 and session is not None:
            await self._request_members(session, data or {})
        elif op in (3, 4):
            pass  # presence / voice state updates are accepted and ignored
        else:
            self.unexpected.append(f"gateway: unexpected op {op!r}")
        return session

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> _Session | None:
        """Answer IDENTIFY with READY + GUILD_CREATE (or close with 4004/4013/4014)."""
        self.identify_payloads.append(copy.deepcopy(data))
        if data.get("token") != self.token:
            self._server_closed.add(id(ws))
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = data.get("intents")
        if not isinstance(intents, int):
            self._server_closed.add(id(ws))
            await ws.close(code=4013, message=b"Invalid intent(s).")
            return None
        allowed = 0
        for name in self.allowed_privileged_intents:
            allowed |= PRIVILEGED_INTENTS[name]
        privileged = sum(PRIVILEGED_INTENTS.values())
        if intents & privileged & ~allowed:
            self._server_closed.add(id(ws))
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        session = _Session(
            session_id=secrets.token_hex(16),
            token=data["token"],
            intents=intents,
            shard=data.get("shard"),
            ws=ws,
        )
        ready: JSON = {
            "v": 10,
            "user": copy.deepcopy(self.bot_user),
            "user_settings": {},
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": self._application_payload(full=False),
            "auth": {},
            "_trace": ['["fake-discord-gateway",{"micros":0}]'],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self._send_dispatch(session, "READY", ready)
        if intents & INTENT_GUILDS:
            await self._send_dispatch(session, "GUILD_CREATE", self._guild_create_payload(session))
        self._sessions[session.session_id] = session
        self.identify_count += 1
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> _Session | None:
        """Answer RESUME: replay missed events + RESUMED, or op 9 if the session is gone."""
        session = self._sessions.get(str(data.get("session_id")))
        if data.get("token") != self.token:
            self._server_closed.add(id(ws))
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        if session is None or not session.alive:
            await self._ws_send(ws, {"op": 9, "s": None, "t": None, "d": False})
            return None
        old = session.ws
        if old is not None and old is not ws and not old.closed:
            self._server_closed.add(id(old))
            await old.close(code=4000, message=b"Session resumed elsewhere")
        last_seq = int(data.get("seq") or 0)
        async with session.lock:
            session.ws = ws
            for seq, text in session.buffer:
                if seq > last_seq and not await self._ws_send_text(ws, text):
                    break
        await self._send_dispatch(session, "RESUMED", {"_trace": ["fake-discord-gateway"]})
        self.resume_count += 1
        return session

    async def _request_members(self, session: _Session, data: JSON) -> None:
        """Answer REQUEST_GUILD_MEMBERS (op 8) with one GUILD_MEMBERS_CHUNK."""
        query = str(data.get("query") or "").lower()
        user_ids = {str(u) for u in data.get("user_ids") or []}
        limit = int(data.get("limit") or 0)
        members = [
            m
            for m in self.members.values()
            if (not user_ids or m["user"]["id"] in user_ids)
            and m["user"]["username"].lower().startswith(query)
        ]
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(self.guild_id),
            "members": copy.deepcopy(members),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": sorted(user_ids - {m["user"]["id"] for m in members}),
        }
        if data.get("presences"):
            chunk["presences"] = []
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)


def walk_components(components: list[JSON]) -> Iterator[JSON]:
    """Yield every component depth-first (action rows, v2 containers/sections, modal labels)."""
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        children = component.get("components")
        if isinstance(children, list):
            yield from walk_components(children)
        for key in ("accessory", "component"):
            inner = component.get(key)
            if isinstance(inner, dict):
                yield from walk_components([inner])


def normalize_components(components: list[JSON]) -> list[JSON]:
    """Return components as Discord stores them: each gets a unique numeric ``id`` if missing."""
    out = copy.deepcopy(components)
    used = {c["id"] for c in walk_components(out) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in walk_components(out):
        if isinstance(component.get("id"), int):
            continue
        while next_id in used:
            next_id += 1
        component["id"] = next_id
        used.add(next_id)
    return out


def _check_button(path: tuple[str | int, ...], button: JSON) -> list[SpecViolation]:
    """Check one button: custom_id xor url (link) / sku_id (premium), label length."""
    out: list[SpecViolation] = []
    style = button.get("style")
    custom_id = button.get("custom_id")
    label = button.get("label")
    if style == BUTTON_STYLE_LINK:
        if not button.get("url"):
            out.append(
                SpecViolation((*path, "url"), "BASE_TYPE_REQUIRED", "Link buttons need url.")
            )
        if custom_id is not None:
            out.append(
                SpecViolation(
                    (*path, "custom_id"),
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "Link buttons cannot have a custom_id.",
                )
            )
    elif style != BUTTON_STYLE_PREMIUM:
        if not isinstance(custom_id, str) or not custom_id:
            out.append(
                SpecViolation(
                    (*path, "custom_id"),
                    "BASE_TYPE_REQUIRED",
                    "Buttons need a custom_id (or a url with the link style).",
                )
            )
        elif len(custom_id) > MAX_CUSTOM_ID:
            out.append(
                SpecViolation(
                    (*path, "custom_id"),
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {MAX_CUSTOM_ID} or fewer in length.",
                )
            )
    if isinstance(label, str) and len(label) > MAX_BUTTON_LABEL:
        out.append(
            SpecViolation(
                (*path, "label"),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_BUTTON_LABEL} or fewer in length.",
            )
        )
    return out


def _check_action_row(path: tuple[str | int, ...], row: JSON) -> list[SpecViolation]:
    """Check an action row: at most 5 buttons, or exactly one select menu."""
    items = row.get("components")
    if not isinstance(items, list):
        return []
    out: list[SpecViolation] = []
    # A select menu takes the whole row.
    width = sum(
        MAX_ROW_WIDTH if isinstance(i, dict) and i.get("type") in (3, 5, 6, 7, 8) else 1
        for i in items
    )
    if width > MAX_ROW_WIDTH:
        out.append(
            SpecViolation(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        )
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("type") == COMPONENT_BUTTON:
            out.extend(_check_button((*path, "components", index), item))
    return out


def check_components(body: JSON) -> list[SpecViolation]:
    """Check message components like Discord: <= 5 action rows of <= 5 buttons, valid buttons.

    With the IS_COMPONENTS_V2 flag, top-level layout components are allowed instead of rows.
    """
    components = body.get("components")
    if not isinstance(components, list):
        return []
    out: list[SpecViolation] = []
    v2 = bool(int(body.get("flags") or 0) & MESSAGE_FLAG_IS_COMPONENTS_V2)
    if not v2 and len(components) > MAX_ACTION_ROWS:
        out.append(
            SpecViolation(
                ("components",),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_ACTION_ROWS} or fewer in length.",
            )
        )
    for index, component in enumerate(components):
        if not isinstance(component, dict):
            continue
        path: tuple[str | int, ...] = ("components", index)
        if component.get("type") == COMPONENT_ACTION_ROW:
            out.extend(_check_action_row(path, component))
        elif not v2:
            out.append(
                SpecViolation(
                    (*path, "type"),
                    "BASE_TYPE_CHOICES",
                    "Top-level components must be action rows (type 1) without IS_COMPONENTS_V2.",
                )
            )
    seen: set[str] = set()
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                out.append(
                    SpecViolation(
                        ("components",),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        f"Component custom id {custom_id!r} cannot be duplicated",
                    )
                )
            seen.add(custom_id)
    return out


def _modal_violation(path: tuple[str | int, ...], code: str, message: str) -> SpecViolation:
    """A violation inside a modal callback body (paths start at ``data``)."""
    return SpecViolation(("data", *path), code, message)


def _check_modal_field(
    path: tuple[str | int, ...], item: JSON, in_label: bool
) -> list[SpecViolation]:
    """Check a text input or file upload against the rules the docs give and the spec omits."""
    out: list[SpecViolation] = []
    kind = item.get("type")
    if kind == COMPONENT_FILE_UPLOAD:
        if not in_label:
            out.append(
                _modal_violation(
                    (*path, "type"),
                    "COMPONENT_INVALID_PLACEMENT",
                    "A File Upload must be placed inside a Label (type 18).",
                )
            )
        minimum, maximum = item.get("min_values"), item.get("max_values")
        if item.get("required", True) is not False and minimum is not None and minimum < 1:
            out.append(
                _modal_violation(
                    (*path, "min_values"),
                    "NUMBER_TYPE_MIN",
                    "min_values must be at least 1 when the upload is required.",
                )
            )
        if minimum is not None and maximum is not None and minimum > maximum:
            out.append(
                _modal_violation(
                    (*path, "min_values"), "NUMBER_TYPE_MAX", "min_values exceeds max_values."
                )
            )
    elif kind == COMPONENT_TEXT_INPUT:
        if not in_label and not item.get("label"):
            out.append(
                _modal_violation(
                    (*path, "label"),
                    "BASE_TYPE_REQUIRED",
                    "A Text Input outside a Label needs its own label.",
                )
            )
        minimum, maximum = item.get("min_length"), item.get("max_length")
        if minimum is not None and maximum is not None and minimum > maximum:
            out.append(
                _modal_violation(
                    (*path, "min_length"), "NUMBER_TYPE_MAX", "min_length exceeds max_length."
                )
            )
    return out


def check_modal(data: JSON) -> list[SpecViolation]:
    """Check a modal (callback type 9 ``data``) like Discord beyond the schema.

    At most 5 top-level components (the docs' limit); File Uploads only inside a Label; a
    required upload asks for at least one file; a Text Input in a legacy action row has its
    own label; custom ids are unique.
    """
    components = data.get("components")
    if not isinstance(components, list):
        return []
    out: list[SpecViolation] = []
    if len(components) > MAX_MODAL_COMPONENTS:
        out.append(
            _modal_violation(
                ("components",),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_MODAL_COMPONENTS} or fewer in length.",
            )
        )
    for index, component in enumerate(components):
        if not isinstance(component, dict):
            continue
        path: tuple[str | int, ...] = ("components", index)
        if component.get("type") == COMPONENT_LABEL and isinstance(
            component.get("component"), dict
        ):
            out.extend(_check_modal_field((*path, "component"), component["component"], True))
        elif component.get("type") == COMPONENT_ACTION_ROW:
            for child_index, child in enumerate(component.get("components") or []):
                if isinstance(child, dict):
                    child_path = (*path, "components", child_index)
                    out.extend(_check_modal_field(child_path, child, False))
    seen: set[str] = set()
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                out.append(
                    _modal_violation(
                        ("components",),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        f"Component custom id {custom_id!r} cannot be duplicated",
                    )
                )
            seen.add(custom_id)
    return out


def _typed_value(component: JSON, value: str) -> str:
    """Return what a user typed into a text input, refused as Discord's client refuses it."""
    custom_id = component["custom_id"]
    if not value:
        if component.get("required", True) is not False:
            raise ValueError(f"text input {custom_id!r} is required")
        return ""
    minimum = component.get("min_length") or 0
    maximum = component.get("max_length") or 4000
    if not minimum <= len(value) <= maximum:
        raise ValueError(
            f"text input {custom_id!r} takes {minimum}-{maximum} characters, got {len(value)}"
        )
    return value


_FILE_TYPE_GROUPS: dict[str, frozenset[str]] = {
    "image": frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".heic"}),
    "video": frozenset({".mp4", ".mov", ".webm", ".mkv", ".avi"}),
    "audio": frozenset({".mp3", ".ogg", ".wav", ".flac", ".m4a", ".opus"}),
}


def _checked_uploads(
    component: JSON, uploads: list[tuple[str, str, bytes]], size_limit: int
) -> list[tuple[str, str, bytes]]:
    """Return the files given for a file upload, refused as Discord's client refuses them."""
    custom_id = component["custom_id"]
    if not uploads and component.get("required", True) is False:
        return []
    minimum = component.get("min_values")
    maximum = component.get("max_values")
    minimum = 1 if minimum is None else int(minimum)
    maximum = 1 if maximum is None else int(maximum)
    if not max(minimum, 1) <= len(uploads) <= maximum:
        raise ValueError(
            f"file upload {custom_id!r} takes {max(minimum, 1)}-{maximum} files, got {len(uploads)}"
        )
    accepted = component.get("file_types") or []
    for name, _, data in uploads:
        if len(data) > size_limit:
            raise ValueError(f"{name} is over the attachment size limit ({size_limit} bytes)")
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if accepted and not any(
            extension in _FILE_TYPE_GROUPS.get(kind, frozenset({kind.lower()})) for kind in accepted
        ):
            raise ValueError(f"file upload {custom_id!r} accepts {accepted}, not {name}")
    return uploads


def _strip_nulls(value: Any) -> Any:
    """Drop ``None`` values from nested dicts (Discord omits unset embed fields)."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _guess_type(filename: str) -> str:
    """Guess a content type from a file name (Discord sniffs it from the upload)."""
    import mimetypes

    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def _image_size(data: bytes) -> tuple[int | None, int | None]:
    """Return (width, height) of image bytes using Pillow when available."""
    try:
        import io

        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a project dependency
        return None, None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except Exception:
        return None, None
