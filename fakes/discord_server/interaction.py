"""An interaction a fake user started, and what the bot answered to it."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from fakes.discord_server.constants import (
    CALLBACK_DEFERRED_UPDATE_MESSAGE,
    CALLBACK_UPDATE_MESSAGE,
    JSON,
    MESSAGE_FLAG_EPHEMERAL,
)


@dataclass
class Interaction:
    """An interaction a fake user started, and everything the bot answered to it.

    ``payload`` is the INTERACTION_CREATE the bot was sent (``id``, ``token``, ``type`` and
    ``channel_id`` are read from it), ``user`` the user who started it. ``responses`` are the
    accepted callback bodies (at most one), ``followups`` the bodies of
    ``POST /webhooks/{application_id}/{token}`` and ``edits`` those of the webhook PATCHes.
    ``modal`` is the modal the bot opened (callback type 9: ``custom_id``, ``title`` and the
    components, with the ids Discord gives them), for :meth:`FakeDiscord.submit_modal`.
    ``original`` is the current ``@original`` message (the created response message, the
    "thinking" placeholder of a deferred one, or for component interactions answered with
    type 6/7 the message the button is on); :attr:`message` is whichever message this
    interaction created or changed last. Ephemeral messages live only here (and can still be
    clicked by their user), not in the channel.
    """

    payload: JSON
    user: JSON
    dispatched_at: float
    id: int = field(init=False)
    token: str = field(init=False)
    type: int = field(init=False)
    channel_id: int = field(init=False)
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

    def __post_init__(self) -> None:
        """Read the interaction's identity from the payload it was dispatched with."""
        self.id = int(self.payload["id"])
        self.token = str(self.payload["token"])
        self.type = int(self.payload["type"])
        self.channel_id = int(self.payload["channel_id"])

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
