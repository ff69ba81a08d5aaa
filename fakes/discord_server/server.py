"""The FakeDiscord class: its state, and starting and stopping its server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import yarl
from aiohttp import web

from fakes.discord_server.clicks import Clicks
from fakes.discord_server.commands import Commands
from fakes.discord_server.constants import (
    API_PREFIX,
    BOT_ROLE_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    HEARTBEAT_INTERVAL_MS,
    INTERACTION_ACK_TIMEOUT,
    JSON,
    STAFF_PERMISSIONS,
)
from fakes.discord_server.dispatch import Dispatch
from fakes.discord_server.faults import Faults
from fakes.discord_server.gateway import Gateway
from fakes.discord_server.guild import GuildSetup
from fakes.discord_server.guild_routes import GuildRoutes
from fakes.discord_server.history import History
from fakes.discord_server.inspection import Inspection
from fakes.discord_server.interaction import Interaction
from fakes.discord_server.interaction_routes import InteractionRoutes
from fakes.discord_server.message_build import MessageBuild
from fakes.discord_server.message_routes import MessageRoutes
from fakes.discord_server.models import (
    RecordedRequest,
    SnowflakeFactory,
    _Attachment,
    _Bucket,
    _Injection,
    _Route,
    _Session,
    now_iso,
)
from fakes.discord_server.permissions import Permissions
from fakes.discord_server.rest import Rest
from fakes.discord_server.routes import Routes
from fakes.discord_server.thread_members import ThreadMembers
from fakes.discord_server.threads import Threads
from fakes.discord_server.user_actions import UserActions
from fakes.discord_server.webhooks import Webhooks
from fakes.discord_spec import RequestValidator
from fakes.loopback import LoopbackServer

if TYPE_CHECKING:
    import discord


class FakeDiscord(
    GuildSetup,
    Permissions,
    Inspection,
    UserActions,
    Commands,
    Clicks,
    Faults,
    Routes,
    Rest,
    GuildRoutes,
    MessageRoutes,
    History,
    Threads,
    ThreadMembers,
    InteractionRoutes,
    Webhooks,
    MessageBuild,
    Dispatch,
    Gateway,
    LoopbackServer,
):
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
        self._thread_cooldown_until = 0.0
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

    def _application(self) -> web.Application:
        """The gateway, the CDN and the REST API under ``/api/v10``."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._handle_attachment)
        app.router.add_get("/proxy/attachments/{attachment_id}/{filename}", self._handle_attachment)
        ephemeral = "/ephemeral-attachments/{channel_id}/{attachment_id}/{filename}"
        app.router.add_get(ephemeral, self._handle_attachment)
        app.router.add_get("/proxy" + ephemeral, self._handle_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._handle_other)
        return app

    async def stop(self) -> None:
        """Close every websocket and stop the server."""
        for ws in list(self._sockets):
            self._server_closed.add(id(ws))
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"Server shutting down")
        for task in list(self._bg_tasks):
            task.cancel()
        if self._bg_tasks:
            await asyncio.gather(*self._bg_tasks, return_exceptions=True)
        await super().stop()

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
