"""The REST route table (spec path templates) and reading request bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, web

from fakes.discord_server.constants import JSON, Handler
from fakes.discord_server.models import (
    ReadBody,
    RecordedRequest,
    UploadedFile,
    _compile_template,
    _Route,
)

# The built-in routes, one a row: method, spec path template, handler, and "public" where
# the request carries no bot Authorization header (the gateway URL; interaction responses and
# webhook calls, which discord.py sends without it). A request takes the first row of its
# method whose template it matches: @original comes before {message_id}, which matches it too.
BUILT_IN_ROUTES = """
GET    /users/@me _get_me
GET    /users/{user_id} _get_user
GET    /oauth2/applications/@me _get_application
GET    /applications/@me _get_application
GET    /gateway _get_gateway public
GET    /gateway/bot _get_gateway_bot
GET    /guilds/{guild_id} _get_guild
GET    /guilds/{guild_id}/channels _get_guild_channels
GET    /guilds/{guild_id}/roles _get_guild_roles
GET    /guilds/{guild_id}/threads/active _get_active_threads
GET    /guilds/{guild_id}/members/{user_id} _get_member
GET    /channels/{channel_id} _get_channel
PATCH  /channels/{channel_id} _patch_channel
GET    /channels/{channel_id}/messages _list_messages
POST   /channels/{channel_id}/messages _create_message
GET    /channels/{channel_id}/messages/{message_id} _get_message
PATCH  /channels/{channel_id}/messages/{message_id} _edit_message
DELETE /channels/{channel_id}/messages/{message_id} _delete_message
POST   /channels/{channel_id}/messages/{message_id}/threads _create_thread_from_message
POST   /channels/{channel_id}/threads _create_thread
POST   /channels/{channel_id}/typing _typing
PUT    /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me _own_reaction
PUT    /channels/{channel_id}/thread-members/@me _thread_member
PUT    /channels/{channel_id}/thread-members/{user_id} _thread_member
DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me _own_reaction
DELETE /channels/{channel_id}/thread-members/@me _thread_member
DELETE /channels/{channel_id}/thread-members/{user_id} _thread_member
GET    /channels/{channel_id}/thread-members _list_thread_members
GET    /channels/{channel_id}/thread-members/{user_id} _get_thread_member
GET    /applications/{application_id}/commands _app_commands
GET    /applications/{application_id}/guilds/{guild_id}/commands _app_commands
PUT    /applications/{application_id}/commands _app_commands
PUT    /applications/{application_id}/guilds/{guild_id}/commands _app_commands
POST   /interactions/{interaction_id}/{interaction_token}/callback _interaction_callback public
POST   /webhooks/{webhook_id}/{webhook_token} _webhook_followup public
GET    /webhooks/{webhook_id}/{webhook_token}/messages/@original _webhook_get_message public
PATCH  /webhooks/{webhook_id}/{webhook_token}/messages/@original _webhook_edit_message public
DELETE /webhooks/{webhook_id}/{webhook_token}/messages/@original _webhook_delete_message public
GET    /webhooks/{webhook_id}/{webhook_token}/messages/{message_id} _webhook_get_message public
PATCH  /webhooks/{webhook_id}/{webhook_token}/messages/{message_id} _webhook_edit_message public
DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id} _webhook_delete_message public
"""


class Routes:
    """The REST route table and request body parsing."""

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
        """Register the built-in REST routes of :data:`BUILT_IN_ROUTES`."""
        for row in BUILT_IN_ROUTES.strip().splitlines():
            method, template, handler, *public = row.split()
            self._route(method, template, getattr(self, handler), auth=not public)

    async def _read_body(self, request: web.Request, recorded: RecordedRequest) -> ReadBody:
        """Parse a JSON or multipart body."""
        content_type = request.content_type
        if not request.body_exists:
            return ReadBody(None, [], None)
        if content_type == "application/json":
            raw = await request.read()
            try:
                return ReadBody(json.loads(raw), [], None)
            except ValueError as exc:
                return ReadBody(None, [], f"invalid JSON body: {exc}")
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
                        return ReadBody(None, files, f"invalid payload_json: {exc}")
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
            return ReadBody(body, files, None)
        raw = await request.read()
        if raw:
            return ReadBody(None, [], f"unsupported Content-Type {content_type!r}")
        return ReadBody(None, [], None)
