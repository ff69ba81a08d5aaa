"""REST plumbing: route matching, authentication, validation, errors and the fake CDN."""

from __future__ import annotations

from typing import Any

import yarl
from aiohttp import web

from fakes.discord_server.components import check_components
from fakes.discord_server.constants import (
    API_PREFIX,
    CALLBACK_MODAL,
    INTERACTION_CALLBACK_ROUTE,
    JSON,
    MESSAGE_BODY_ROUTES,
)
from fakes.discord_server.modals import check_modal
from fakes.discord_server.models import (
    ApiCall,
    ApiError,
    ReadBody,
    RecordedRequest,
    _Route,
    json_response,
)
from fakes.discord_spec import SpecViolation, check_message_limits, discord_error_body


class Rest:
    """Entry point of REST requests: routing, auth, limits, validation, CDN."""

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
        read = await self._read_body(request, recorded)
        recorded.json = read.json
        response = await self._dispatch_api(request, recorded, read)
        recorded.status = response.status
        return response

    async def _dispatch_api(
        self, request: web.Request, recorded: RecordedRequest, read: ReadBody
    ) -> web.StreamResponse:
        """Route, authenticate, apply injections/rate limits, validate and run the handler."""
        body, files, body_error = read
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
        cooldown = self._thread_cooldown(method, route.template)
        if cooldown is not None:
            return self._shared_rate_limited_response(cooldown, headers)
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
