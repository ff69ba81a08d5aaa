"""Application commands: the registration routes and members running slash commands."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from aiohttp import web

from fakes.discord_server.constants import ALL_PERMISSIONS, INTERACTION_APPLICATION_COMMAND, JSON
from fakes.discord_server.interaction import Interaction
from fakes.discord_server.models import ApiCall, ApiError


class Commands:
    """Slash commands: registration routes and members running them."""

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
            payload=payload,
            user=copy.deepcopy(self.users.get(user_id, user)),
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
