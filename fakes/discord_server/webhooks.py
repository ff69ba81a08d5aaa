"""Interaction webhooks: followup messages, and reading, editing, deleting messages."""

from __future__ import annotations

import copy

from aiohttp import web

from fakes.discord_server.constants import (
    JSON,
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_HAS_THREAD,
    MESSAGE_FLAG_LOADING,
)
from fakes.discord_server.interaction import Interaction
from fakes.discord_server.models import ApiCall, ApiError
from fakes.discord_spec import is_empty_message


class Webhooks:
    """Interaction webhooks: followups and the @original message."""

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
