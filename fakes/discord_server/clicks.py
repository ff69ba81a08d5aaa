"""Component interactions: clicking buttons and submitting modals."""

from __future__ import annotations

import copy

from fakes.discord_server.components import walk_components
from fakes.discord_server.constants import (
    COMPONENT_ACTION_ROW,
    COMPONENT_BUTTON,
    COMPONENT_FILE_UPLOAD,
    COMPONENT_LABEL,
    COMPONENT_TEXT_INPUT,
    INTERACTION_MESSAGE_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    JSON,
)
from fakes.discord_server.interaction import Interaction
from fakes.discord_server.modals import _checked_uploads, _typed_value


class Clicks:
    """Members clicking buttons and submitting modals."""

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
