"""The chat room the examples in examples/chat share, and no framework code.

Each example's WebSocket endpoint is ordinary code: accept, then a loop that receives text
and hands it to :class:`Session`. Behind an API Gateway WebSocket API that loop runs once per
event (``$connect``, each message, ``$disconnect``), so nothing lives in the endpoint between
messages: the room a connection is in is a group of the connection store, and messages reach
the room's members through :class:`~lambda_asgi.websocket.Connections` (the Management API).
Under a plain ASGI server (uvicorn) the same loop runs once per connection; there is no
Management API, so :class:`LocalConnections` delivers to the live sockets of this process.

The protocol (examples/README.md): connect with ``?nickname=ann`` (and ``&room=games``,
default ``lobby``), then send JSON ``{"action": "send", "text": ...}`` or ``{"action":
"join", "room": ...}``; every member of a room receives ``joined``, ``message`` and ``left``
events as JSON; a bad message earns its sender an ``error`` event.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from lambda_asgi import Adapter, ConnectionGoneError, websocket_info
from lambda_asgi.websocket import (
    Connections,
    ConnectionStore,
    DynamoDBStore,
    ManagementSender,
    MemoryStore,
)

PATH = "/ws"
"""Where each example serves its WebSocket endpoint (the Adapter's ``websocket_path``)."""
DEFAULT_ROOM = "lobby"
ROOM_GROUP = "room:"  # the store group of a room is this prefix and the room's name
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_MAX_TEXT = 2000

SendText = Callable[[str], Awaitable[None]]


def event(kind: str, **fields: Any) -> str:
    """One message to clients, as JSON: ``{"event": kind, ...fields}``."""
    return json.dumps({"event": kind, **fields}, separators=(",", ":"), ensure_ascii=False)


class LocalConnections:
    """The Management API of a plain ASGI server: connection ids of this process mapped to
    the ``send_text`` of their live sockets (a :class:`ManagementSender`)."""

    def __init__(self) -> None:
        self._sockets: dict[str, SendText] = {}

    def register(self, connection_id: str, send_text: SendText) -> None:
        self._sockets[connection_id] = send_text

    def unregister(self, connection_id: str) -> None:
        self._sockets.pop(connection_id, None)

    async def post(self, connection_id: str, data: bytes, *, request_id: str = "-") -> None:
        send_text = self._sockets.get(connection_id)
        if send_text is None:
            raise ConnectionGoneError(connection_id)
        await send_text(data.decode("utf-8"))

    async def delete(self, connection_id: str, *, request_id: str = "-") -> None:
        self.unregister(connection_id)

    async def get(self, connection_id: str, *, request_id: str = "-") -> dict[str, Any]:
        if connection_id not in self._sockets:
            raise ConnectionGoneError(connection_id)
        return {"connectionId": connection_id}


class ChatService:
    """The rooms: a connection store (the groups are the rooms) and what sends to members.

    ``api`` replaces the Management API (a :class:`~lambda_asgi.testing.CapturedSends` in
    tests); None posts through boto3 to the endpoint of the event being served.
    """

    def __init__(self, store: ConnectionStore, api: ManagementSender | None = None) -> None:
        self.store = store
        self.api = api
        self.local = LocalConnections()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ChatService:
        """A DynamoDB store in the table ``CHAT_TABLE`` names, else one in memory (tests,
        local serving: a single process)."""
        table = environ.get("CHAT_TABLE")
        return cls(DynamoDBStore(table) if table else MemoryStore())

    def adapter(self, app: Any) -> Adapter:
        """The Lambda handler of ``app``, with this service's store and sender. The chat has
        no startup or shutdown work (and Channels no lifespan at all): no lifespan runs."""
        return Adapter(
            app,
            websocket_path=PATH,
            websocket_store=self.store,
            websocket_api=self.api,
            lifespan="off",
        )

    async def open(self, scope: Mapping[str, Any], send_text: SendText) -> Session | None:
        """The session of the connection ``scope`` belongs to; None when a new connection
        must be refused (no valid nickname or room in its query)."""
        # Behind API Gateway, message and $disconnect scopes carry the $connect query again
        # (the Adapter restores it from the store) unless the store has forgotten them.
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        nickname = (query.get("nickname") or [""])[-1]
        room = (query.get("room") or [DEFAULT_ROOM])[-1]
        info = websocket_info(scope)
        if info is not None and info["event_type"] != "CONNECT":
            connections = Connections.from_scope(scope, store=self.store, api=self.api)
            connection_id = info["connection_id"]
            record = await self.store.load(connection_id)
            groups = record["groups"] if record is not None else []
            rooms = [group for group in groups if group.startswith(ROOM_GROUP)]
            # "" when the store no longer knows the connection: its messages are answered.
            room = rooms[0].removeprefix(ROOM_GROUP) if rooms else ""
            return Session(self, connection_id, nickname, room, connections, info["event_type"])
        if not _NAME.fullmatch(nickname) or not _NAME.fullmatch(room):
            return None
        if info is not None:
            connections = Connections.from_scope(scope, store=self.store, api=self.api)
            return Session(self, info["connection_id"], nickname, room, connections, "CONNECT")
        # A plain ASGI server: this connection lives in this process until it closes.
        connection_id = secrets.token_urlsafe(12)
        self.local.register(connection_id, send_text)
        connections = Connections(store=self.store, api=self.local)
        return Session(self, connection_id, nickname, room, connections, "LOCAL")


class Session:
    """One connection's view of the chat, for the event being served (``CONNECT``,
    ``MESSAGE``, ``DISCONNECT``) or for a whole connection under a plain server (``LOCAL``)."""

    def __init__(
        self,
        chat: ChatService,
        connection_id: str,
        nickname: str,
        room: str,
        connections: Connections,
        event_type: str,
    ) -> None:
        self.chat = chat
        self.connection_id = connection_id
        self.nickname = nickname
        self.room = room  # "" when the store has forgotten the connection (expired)
        self.connections = connections
        self.event_type = event_type

    async def start(self) -> None:
        """After accepting: enter the room the query named, when the connection is new."""
        if self.event_type in ("CONNECT", "LOCAL"):
            # The newcomer itself cannot be sent to yet during $connect: the others are told.
            await self._enter(self.room, exclude=(self.connection_id,))

    async def handle(self, text: str) -> str | None:
        """Act on one message from the client; the answer for its sender alone (an error
        event), or None when the room was told."""
        try:
            message = json.loads(text)
        except ValueError:
            return event("error", detail="messages are JSON objects")
        if not isinstance(message, dict):
            return event("error", detail="messages are JSON objects")
        action = message.get("action")
        if not self.room:
            return event("error", detail="this connection is unknown: connect again")
        if action == "send":
            body = message.get("text")
            if not isinstance(body, str) or not 0 < len(body) <= _MAX_TEXT:
                return event("error", detail=f"text: a string of 1 to {_MAX_TEXT} characters")
            fields = {"room": self.room, "nickname": self.nickname, "text": body}
            await self._broadcast(self.room, event("message", **fields))
            return None
        if action == "join":
            room = message.get("room")
            if not isinstance(room, str) or not _NAME.fullmatch(room):
                return event("error", detail="room: 1 to 32 letters, digits, '.', '_' or '-'")
            if room == self.room:
                return event("error", detail=f"already in {room}")
            await self._leave()
            await self._enter(room)
            return None
        return event("error", detail=f"unknown action {action!r}: use 'send' or 'join'")

    async def end(self) -> None:
        """When the client is gone for good (never at the end of a mere invocation): leave
        the room and forget the connection."""
        if self.event_type not in ("DISCONNECT", "LOCAL"):
            return  # the invocation is over; the client is still connected
        if self.room:
            await self._leave()
        await self.chat.store.remove(self.connection_id)
        self.chat.local.unregister(self.connection_id)

    async def _enter(self, room: str, *, exclude: tuple[str, ...] = ()) -> None:
        await self.chat.store.join(self.connection_id, ROOM_GROUP + room)
        self.room = room
        joined = event("joined", room=room, nickname=self.nickname)
        await self._broadcast(room, joined, exclude=exclude)

    async def _leave(self) -> None:
        room = self.room
        await self.chat.store.leave(self.connection_id, ROOM_GROUP + room)
        await self._broadcast(room, event("left", room=room, nickname=self.nickname))

    async def _broadcast(self, room: str, data: str, *, exclude: tuple[str, ...] = ()) -> None:
        # Members found gone (410) are pruned from the store by the broadcast itself.
        await self.connections.broadcast(ROOM_GROUP + room, data, exclude=exclude)
