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
