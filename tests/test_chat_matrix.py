"""The chat examples (examples/chat) through API Gateway WebSocket events: every framework,
the same conversation, the same results and the same messages received by each connection.

The conversation runs ``$connect`` / message / ``$disconnect`` events of four clients through
each example's handler, with its connection store in memory and the Management API replaced
by :class:`~lambda_asgi.testing.CapturedSends`; once more for FastAPI with the real boto3
path, DynamoDB and the Management API both served by moto.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from examples.chat import channels_chat, fastapi_chat, litestar_chat, room, starlette_chat
from examples.chat.room import ChatService, LocalConnections
from lambda_asgi import Adapter, ConnectionGoneError
from lambda_asgi.testing import (
    CapturedSends,
    FakeContext,
    websocket_connect_event,
    websocket_disconnect_event,
    websocket_message_event,
)
from lambda_asgi.websocket import DynamoDBStore, MemoryStore
from tests.compat import example_requirements, lambda_pins
from tests.websocket_aws import clean_aws_environment, create_connection_table

EXAMPLES = {
    "fastapi": fastapi_chat,
    "starlette": starlette_chat,
    "channels": channels_chat,
    "litestar": litestar_chat,
}
ANN, BOB, CY, NOBODY = "AnnConnId0=", "BobConnId0=", "CyConnId00=", "NobodyConn="
T = TypeVar("T")
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
DOMAIN = f"abcd1234.execute-api.{REGION}.amazonaws.com"

# What each framework's accept and refusal look like on the wire (keys beyond "type").
ACCEPT: dict[str, dict[str, Any]] = {
    "fastapi": {"subprotocol": None, "headers": []},
    "starlette": {"subprotocol": None, "headers": []},
    "channels": {"subprotocol": None},
    "litestar": {"subprotocol": None, "headers": []},
}
CLOSE: dict[str, dict[str, Any]] = {
    "fastapi": {"code": 1008, "reason": ""},
    "starlette": {"code": 1008, "reason": ""},
    "channels": {"code": 1008},
    "litestar": {"code": 1008, "reason": ""},
}

# (event, the Lambda result): four clients talk; NOBODY has no nickname and is refused.
Step = tuple[dict[str, Any], dict[str, Any]]
OK: dict[str, Any] = {"statusCode": 200}


def connect(connection_id: str, query: str) -> dict[str, Any]:
    return websocket_connect_event(connection_id=connection_id, query=query, domain_name=DOMAIN)


def message(connection_id: str, body: Any) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return websocket_message_event(connection_id=connection_id, body=text, domain_name=DOMAIN)


def disconnect(connection_id: str) -> dict[str, Any]:
    return websocket_disconnect_event(connection_id=connection_id, domain_name=DOMAIN)


CONVERSATION: list[Step] = [
    (connect(ANN, "nickname=ann"), OK),
    (connect(BOB, "nickname=bob&room=lobby"), OK),
    (connect(CY, "nickname=cy&room=games"), OK),
    (connect(NOBODY, "room=lobby"), {"statusCode": 403}),
    (message(ANN, {"action": "send", "text": "hi all"}), OK),
    (message(BOB, "not json"), OK),
    (message(CY, {"action": "join", "room": "lobby"}), OK),
    (message(CY, {"action": "send", "text": "héllo lobby"}), OK),
    (message(CY, {"action": "join", "room": "lobby"}), OK),
    (disconnect(BOB), OK),
    (message(ANN, {"action": "dance"}), OK),
    (message(ANN, {"action": "send", "text": ""}), OK),
    (message(ANN, {"action": "join", "room": "no spaces"}), OK),
    (message(ANN, [1, 2]), OK),
    (message(BOB, {"action": "send", "text": "still here?"}), OK),
]


def joined(room_name: str, nickname: str) -> dict[str, Any]:
    return {"event": "joined", "room": room_name, "nickname": nickname}


def said(room_name: str, nickname: str, text: str) -> dict[str, Any]:
    return {"event": "message", "room": room_name, "nickname": nickname, "text": text}


def error(detail: str) -> dict[str, Any]:
    return {"event": "error", "detail": detail}


RECEIVED: dict[str, list[dict[str, Any]]] = {
    ANN: [
        joined("lobby", "bob"),
        said("lobby", "ann", "hi all"),
        joined("lobby", "cy"),
        said("lobby", "cy", "héllo lobby"),
        {"event": "left", "room": "lobby", "nickname": "bob"},
        error("unknown action 'dance': use 'send' or 'join'"),
        error("text: a string of 1 to 2000 characters"),
        error("room: 1 to 32 letters, digits, '.', '_' or '-'"),
        error("messages are JSON objects"),
    ],
    BOB: [
        said("lobby", "ann", "hi all"),
        error("messages are JSON objects"),
        joined("lobby", "cy"),
        said("lobby", "cy", "héllo lobby"),
        # After its $disconnect the store has forgotten BOB: a late message is answered.
        error("this connection is unknown: connect again"),
    ],
    CY: [
        joined("lobby", "cy"),
        said("lobby", "cy", "héllo lobby"),
        error("already in lobby"),
        {"event": "left", "room": "lobby", "nickname": "bob"},
    ],
}


def await_(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def run(handler: Callable[[dict[str, Any], Any], Any]) -> list[dict[str, Any]]:
    context = FakeContext()
    return [handler(event, context) for event, _ in CONVERSATION]


def decoded(messages: list[bytes]) -> list[dict[str, Any]]:
    return [json.loads(data) for data in messages]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_conversation(name: str) -> None:
    module = EXAMPLES[name]
    store = MemoryStore()
    sent = CapturedSends()
    chat = ChatService(store, api=sent)
    handler = chat.adapter(module.create_app(chat))
    assert run(handler) == [result for _, result in CONVERSATION]
    assert {connection: decoded(data) for connection, data in sent.sent.items()} == RECEIVED
    assert sent.closed == []
    # BOB left for good (its record and room are gone); ANN and CY are still in the lobby.
    assert (await_(store.members("room:lobby")), await_(store.load(BOB))) == ([ANN, CY], None)
    assert await_(store.members("room:games")) == []


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_module_handler_is_configured_from_the_environment(name: str) -> None:
    module = EXAMPLES[name]
    assert isinstance(module.handler, Adapter)
    assert isinstance(module.chat.store, MemoryStore)  # CHAT_TABLE is not set in tests
    assert module.chat.api is None  # the Management API of each event's endpoint


def test_chat_table_selects_dynamodb() -> None:
    chat = ChatService.from_environment({"CHAT_TABLE": "chat-connections"})
    assert isinstance(chat.store, DynamoDBStore)
    assert (chat.store.table_name, chat.api) == ("chat-connections", None)


@mock_aws
def test_conversation_through_boto3_dynamodb_and_the_management_api(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_aws_environment(monkeypatch, tmp_path)
    create_connection_table("chat-connections", REGION)
    monkeypatch.setenv("CHAT_TABLE", "chat-connections")
    chat = ChatService.from_environment()
    handler = chat.adapter(fastapi_chat.create_app(chat))
    assert run(handler) == [result for _, result in CONVERSATION]
    # moto keeps each connection's posts as one byte string under the id as it appeared in
    # the URL (percent-encoded): decode the id and split the string back into messages.
    posted = apigatewaymanagementapi_backends[ACCOUNT][REGION].connections
    received = {unquote(connection): split_json(posted[connection].data) for connection in posted}
    assert received == RECEIVED
    assert await_(chat.store.members("room:lobby")) == [ANN, CY]


def split_json(data: bytes) -> list[dict[str, Any]]:
    text, decoder, messages = data.decode("utf-8"), json.JSONDecoder(), []
    while text:
        value, end = decoder.raw_decode(text)
        messages.append(value)
        text = text[end:]
    return messages


@settings(max_examples=40, deadline=None)
@example(nickname="ann", room_name="")  # a blank room is refused, not the default room
@example(nickname="ann", room_name=None)
@given(
    nickname=st.text(max_size=40),
    room_name=st.one_of(st.none(), st.text(max_size=40)),
)
def test_connect_accepts_exactly_the_valid_names(nickname: str, room_name: str | None) -> None:
    query = {"nickname": nickname, **({"room": room_name} if room_name is not None else {})}
    sent = CapturedSends()
    chat = ChatService(MemoryStore(), api=sent)
    handler = chat.adapter(fastapi_chat.create_app(chat))
    result = handler(connect(ANN, urlencode(query)), FakeContext())
    valid = room._NAME.fullmatch(nickname) and (
        room_name is None or room._NAME.fullmatch(room_name)
    )
    assert result == ({"statusCode": 200} if valid else {"statusCode": 403})
    expected_room = room_name or "lobby"
    assert await_(chat.store.members(f"room:{expected_room}")) == ([ANN] if valid else [])


class Client:
    """One WebSocket client of an ASGI app served the way uvicorn serves it: one call of the
    app for the whole connection, fed from a queue (a plain ASGI server, no aws.websocket)."""

    def __init__(self, app: Any, query: str) -> None:
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "ws",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
            "path": "/ws",
            "raw_path": b"/ws",
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1:8000")],
            "subprotocols": [],
            "state": {},
            "extensions": {},
        }
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.incoming.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.incoming.get, self.outgoing.put))

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.outgoing.get(), 10)

    async def text(self) -> Any:
        message = await self.next()
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def send(self, text: str) -> None:
        await self.incoming.put({"type": "websocket.receive", "text": text})

    async def leave(self) -> None:
        await self.incoming.put({"type": "websocket.disconnect", "code": 1001, "reason": ""})
        await asyncio.wait_for(self.task, 10)


class TestUnderAPlainServer:
    """The same endpoint under a plain ASGI server (uvicorn): one long-lived call per
    connection, no aws.websocket extension, messages delivered to this process's sockets."""

    @pytest.mark.parametrize("name", sorted(EXAMPLES))
    def test_two_clients_in_one_process(self, name: str) -> None:
        chat = ChatService(MemoryStore())
        app = EXAMPLES[name].create_app(chat)

        async def talk() -> None:
            ann = Client(app, "nickname=ann")
            assert await ann.next() == {"type": "websocket.accept", **ACCEPT[name]}
            bob = Client(app, "nickname=bob")
            assert await bob.next() == {"type": "websocket.accept", **ACCEPT[name]}
            assert await ann.text() == joined("lobby", "bob")
            await bob.send(json.dumps({"action": "send", "text": "hi"}))
            assert await ann.text() == said("lobby", "bob", "hi")
            assert await bob.text() == said("lobby", "bob", "hi")
            await bob.send("nope")
            assert await bob.text() == error("messages are JSON objects")
            await bob.leave()
            assert await ann.text() == {"event": "left", "room": "lobby", "nickname": "bob"}
            await ann.leave()
            assert await chat.store.members("room:lobby") == []
            nobody = Client(app, "room=lobby")
            assert await nobody.next() == {"type": "websocket.close", **CLOSE[name]}
            await nobody.leave()

        asyncio.run(talk())

    def test_local_connections_gone_and_info(self) -> None:
        local = LocalConnections()
        received: list[str] = []

        async def send_text(text: str) -> None:
            received.append(text)

        local.register("a", send_text)
        assert await_(local.get("a")) == {"connectionId": "a"}
        await_(local.post("a", b"x"))
        await_(local.delete("a"))
        with pytest.raises(ConnectionGoneError):
            await_(local.post("a", b"y"))
        with pytest.raises(ConnectionGoneError):
            await_(local.get("a"))
        assert received == ["x"]


class SlowSends(CapturedSends):
    """CapturedSends whose post waits on the loop first, as the Management API's does (a
    boto3 call on a worker thread)."""

    async def post(self, connection_id: str, data: bytes, *, request_id: str = "-") -> None:
        await asyncio.sleep(0)
        await super().post(connection_id, data, request_id=request_id)


def test_quart_cancels_a_handler_that_awaits_io_so_it_has_no_chat_example() -> None:
    # Why examples/chat has no Quart example (examples/README.md): Quart runs the handler
    # beside a task reading receive() and cancels the handler once that task sees
    # websocket.disconnect. An invocation holds the frame and then the end-of-invocation
    # disconnect at once, so a handler that awaits real I/O is cancelled mid-message.
    from quart import Quart, websocket

    app = Quart(__name__)
    received: list[str] = []

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.accept()
        while True:
            text = await websocket.receive()
            assert isinstance(text, str)
            received.append(text)
            await websocket.send(f"echo: {text}")

    sent = SlowSends()
    handler = Adapter(app, websocket_path="/ws", websocket_api=sent)
    assert handler(message(ANN, "hello"), FakeContext()) == OK
    assert (received, sent.sent) == (["hello"], {})


def test_channels_requirements_pin_the_tested_versions() -> None:
    pinned = lambda_pins()
    lines = example_requirements("channels")
    assert set(lines) <= pinned
    assert {line.partition("==")[0] for line in lines} >= {"channels", "Django"}
