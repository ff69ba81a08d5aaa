"""Interaction responses: the callback route and the messages it creates or updates."""

from __future__ import annotations

import copy
import secrets
import time

from aiohttp import web

from fakes.discord_server.components import normalize_components
from fakes.discord_server.constants import (
    _CALLBACKS_ALLOWED,
    _INTERACTION_MESSAGE_FLAGS,
    CALLBACK_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_UPDATE_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    INTERACTION_APPLICATION_COMMAND,
    INTERACTION_MESSAGE_COMPONENT,
    JSON,
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_HAS_THREAD,
    MESSAGE_FLAG_LOADING,
    MESSAGE_TYPE_CHAT_INPUT_COMMAND,
)
from fakes.discord_server.interaction import Interaction
from fakes.discord_server.models import ApiCall, ApiError, UploadedFile
from fakes.discord_spec import is_empty_message


class InteractionRoutes:
    """The interaction callback route and the messages it creates."""

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
        message = self._bot_message(
            interaction.channel_id, body, files, reference=None, flags=flags
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
