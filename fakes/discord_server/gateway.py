"""The gateway websocket: HELLO, heartbeats, IDENTIFY, RESUME and member requests."""

from __future__ import annotations

import copy
import json
import secrets

from aiohttp import WSMsgType, web

from fakes.discord_server.constants import INTENT_GUILDS, JSON, PRIVILEGED_INTENTS
from fakes.discord_server.models import _Session


class Gateway:
    """The gateway websocket: hello, identify, resume, member requests."""

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        """Serve one gateway websocket connection."""
        ws = web.WebSocketResponse(max_msg_size=0, timeout=5.0)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.gateway_connections.append(dict(request.query))
        if request.query.get("encoding", "json") != "json":
            self.unexpected.append(f"gateway encoding {request.query.get('encoding')!r}")
        session: _Session | None = None
        await self._ws_send(
            ws,
            {
                "op": 10,
                "s": None,
                "t": None,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms},
            },
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    if msg.type is WSMsgType.BINARY:
                        self.unexpected.append("gateway: binary frame from client")
                        continue
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    self.unexpected.append(f"gateway: invalid JSON {msg.data[:100]!r}")
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                self.gateway_received.append(payload)
                session = await self._on_gateway_payload(ws, payload, session)
        finally:
            self._sockets.discard(ws)
            server_closed = id(ws) in self._server_closed
            self._server_closed.discard(id(ws))
            if session is not None and session.ws is ws:
                session.ws = None
                if not server_closed and ws.close_code in (1000, 1001):
                    session.alive = False
                    self._sessions.pop(session.session_id, None)
        return ws

    async def _on_gateway_payload(
        self, ws: web.WebSocketResponse, payload: JSON, session: _Session | None
    ) -> _Session | None:
        """Handle one client opcode; return the (possibly new) session of the socket."""
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            await self._ws_send(ws, {"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            return await self._identify(ws, data or {})
        elif op == 6:
            return await self._resume(ws, data or {})
        elif op == 8 and session is not None:
            await self._request_members(session, data or {})
        elif op in (3, 4):
            pass  # presence / voice state updates are accepted and ignored
        else:
            self.unexpected.append(f"gateway: unexpected op {op!r}")
        return session

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> _Session | None:
        """Answer IDENTIFY with READY + GUILD_CREATE (or close with 4004/4013/4014)."""
        self.identify_payloads.append(copy.deepcopy(data))
        if data.get("token") != self.token:
            self._server_closed.add(id(ws))
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = data.get("intents")
        if not isinstance(intents, int):
            self._server_closed.add(id(ws))
            await ws.close(code=4013, message=b"Invalid intent(s).")
            return None
        allowed = 0
        for name in self.allowed_privileged_intents:
            allowed |= PRIVILEGED_INTENTS[name]
        privileged = sum(PRIVILEGED_INTENTS.values())
        if intents & privileged & ~allowed:
            self._server_closed.add(id(ws))
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        session = _Session(
            session_id=secrets.token_hex(16),
            token=data["token"],
            intents=intents,
            shard=data.get("shard"),
            ws=ws,
        )
        ready: JSON = {
            "v": 10,
            "user": copy.deepcopy(self.bot_user),
            "user_settings": {},
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": self._application_payload(full=False),
            "auth": {},
            "_trace": ['["fake-discord-gateway",{"micros":0}]'],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self._send_dispatch(session, "READY", ready)
        if intents & INTENT_GUILDS:
            await self._send_dispatch(session, "GUILD_CREATE", self._guild_create_payload(session))
        self._sessions[session.session_id] = session
        self.identify_count += 1
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> _Session | None:
        """Answer RESUME: replay missed events + RESUMED, or op 9 if the session is gone."""
        session = self._sessions.get(str(data.get("session_id")))
        if data.get("token") != self.token:
            self._server_closed.add(id(ws))
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        if session is None or not session.alive:
            await self._ws_send(ws, {"op": 9, "s": None, "t": None, "d": False})
            return None
        old = session.ws
        if old is not None and old is not ws and not old.closed:
            self._server_closed.add(id(old))
            await old.close(code=4000, message=b"Session resumed elsewhere")
        last_seq = int(data.get("seq") or 0)
        async with session.lock:
            session.ws = ws
            for seq, text in session.buffer:
                if seq > last_seq and not await self._ws_send_text(ws, text):
                    break
        await self._send_dispatch(session, "RESUMED", {"_trace": ["fake-discord-gateway"]})
        self.resume_count += 1
        return session

    async def _request_members(self, session: _Session, data: JSON) -> None:
        """Answer REQUEST_GUILD_MEMBERS (op 8) with one GUILD_MEMBERS_CHUNK."""
        query = str(data.get("query") or "").lower()
        user_ids = {str(u) for u in data.get("user_ids") or []}
        limit = int(data.get("limit") or 0)
        members = [
            m
            for m in self.members.values()
            if (not user_ids or m["user"]["id"] in user_ids)
            and m["user"]["username"].lower().startswith(query)
        ]
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(self.guild_id),
            "members": copy.deepcopy(members),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": sorted(user_ids - {m["user"]["id"] for m in members}),
        }
        if data.get("presences"):
            chunk["presences"] = []
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)
