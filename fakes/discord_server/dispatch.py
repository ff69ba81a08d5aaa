"""Dispatching gateway events: message events, queued events, broadcasts, disconnects."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from fakes.discord_server.constants import (
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    JSON,
)
from fakes.discord_server.models import _Session


class Dispatch:
    """Sending gateway events to the sessions entitled to them."""

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
            await self._broadcast(event, data, intent, flush=False)

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
        *,
        flush: bool = True,
    ) -> None:
        """Dispatch an event to every live session subscribed to ``intent`` (0: none needed),
        after the events queued by sync helpers unless ``flush`` is False."""
        if flush and self._pending_events:
            await self._flush_pending()
        for session in list(self._sessions.values()):
            if not session.alive or (intent and not session.intents & intent):
                continue
            payload = transform(session, data) if transform else copy.deepcopy(data)
            await self._send_dispatch(session, event, payload)

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

    @property
    def connected_sessions(self) -> int:
        """Return the number of identified sessions with an open websocket."""
        return sum(
            1 for s in self._sessions.values() if s.alive and s.ws is not None and not s.ws.closed
        )
