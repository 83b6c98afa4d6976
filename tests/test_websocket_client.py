"""The public client (lambda_asgi.websocket.Connections): send, close, info and broadcast,
pruning gone connections from the store, its sync facade, and what importing costs.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from starlette.websockets import WebSocket, WebSocketDisconnect

import lambda_asgi.websocket
from bench.websocket import FakeConnectionsEndpoint
from lambda_asgi import (
    ConfigurationError,
    ConnectionGoneError,
    ManagementAPIError,
    MessageTooLargeError,
    WebSocketError,
)
from lambda_asgi.websocket import (
    MAX_MESSAGE_BYTES,
    BroadcastResult,
    ConnectionRecord,
    Connections,
    DynamoDBStore,
    MemoryStore,
    management_api,
)
from tests.websocket_aws import (
    ENDPOINT,
    MESSAGE_EVENT,
    REGION,
    clean_aws_environment,
    create_connection_table,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_aws_environment(monkeypatch, tmp_path)


class RecordingAPI:
    """A Management API double: records posts and deletes; ids in ``gone`` answer 410 and
    those in ``failing`` 403."""

    def __init__(self, gone: set[str] | None = None, failing: set[str] | None = None) -> None:
        self.gone = gone or set()
        self.failing = failing or set()
        self.posts: list[tuple[str, bytes, str]] = []
        self.deletes: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def post(self, connection_id: str, data: bytes, *, request_id: str = "-") -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0)  # let the other posts of a broadcast start, if they may
        self.in_flight -= 1
        if connection_id in self.gone:
            raise ConnectionGoneError(connection_id)
        if connection_id in self.failing:
            raise ManagementAPIError(connection_id, 403, "ForbiddenException", "Forbidden")
        self.posts.append((connection_id, data, request_id))

    async def delete(self, connection_id: str, *, request_id: str = "-") -> None:
        self.deletes.append(connection_id)

    async def get(self, connection_id: str, *, request_id: str = "-") -> dict[str, Any]:
        if connection_id in self.gone:
            raise ConnectionGoneError(connection_id)
        return {"connectedAt": None, "identity": {"sourceIp": "192.0.2.10"}, "id": connection_id}


def record(connection_id: str) -> ConnectionRecord:
    return {
        "connection_id": connection_id,
        "path": "/ws",
        "query_string": "",
        "headers": [["host", "abcd1234.execute-api.eu-west-1.amazonaws.com"]],
        "subprotocol": None,
        "client": ["192.0.2.10", 0],
        "connected_at": 1796454000000,
        "groups": [],
    }


def room(*connection_ids: str, group: str = "lobby") -> MemoryStore:
    store = MemoryStore()

    async def fill() -> None:
        for connection_id in connection_ids:
            await store.save(record(connection_id))
            await store.join(connection_id, group)

    asyncio.run(fill())
    return store


# One connection


def test_send_encodes_text_as_utf8_and_passes_bytes_through() -> None:
    api = RecordingAPI()
    connections = Connections(ENDPOINT, api=api)

    async def main() -> None:
        await connections.send("a", "héllo", request_id="r-1")
        await connections.send("a", b"\x00\xff")

    asyncio.run(main())
    assert api.posts == [
        ("a", "héllo".encode(), "r-1"),
        ("a", b"\x00\xff", "-"),
    ]


def test_send_of_something_else_is_a_type_error() -> None:
    connections = Connections(ENDPOINT, api=RecordingAPI())
    with pytest.raises(TypeError, match="a WebSocket message is str or bytes, not int"):
        asyncio.run(connections.send("a", 42))  # type: ignore[arg-type]


def test_send_to_a_gone_connection_prunes_it_and_raises_an_oserror() -> None:
    store = room("a", "b")
    connections = Connections(ENDPOINT, store=store, api=RecordingAPI(gone={"a"}))
    with pytest.raises(OSError) as raised:
        asyncio.run(connections.send("a", "hello"))
    assert isinstance(raised.value, ConnectionGoneError)
    assert asyncio.run(store.load("a")) is None
    assert asyncio.run(store.members("lobby")) == ["b"]


def test_send_without_a_store_still_raises_for_a_gone_connection() -> None:
    connections = Connections(ENDPOINT, api=RecordingAPI(gone={"a"}))
    with pytest.raises(ConnectionGoneError):
        asyncio.run(connections.send("a", "hello"))


def test_close_deletes_and_prunes() -> None:
    api = RecordingAPI()
    store = room("a", "b")
    asyncio.run(Connections(ENDPOINT, store=store, api=api).close("a"))
    assert api.deletes == ["a"]
    assert (asyncio.run(store.load("a")), asyncio.run(store.members("lobby"))) == (None, ["b"])


def test_info_is_what_api_gateway_knows_or_none_when_gone() -> None:
    store = room("a", "b")
    connections = Connections(ENDPOINT, store=store, api=RecordingAPI(gone={"b"}))
    assert asyncio.run(connections.info("a")) == {
        "connectedAt": None,
        "identity": {"sourceIp": "192.0.2.10"},
        "id": "a",
    }
    assert asyncio.run(connections.info("b")) is None
    assert asyncio.run(store.members("lobby")) == ["a"]


# Broadcast


def test_broadcast_delivers_prunes_and_reports(caplog: pytest.LogCaptureFixture) -> None:
    api = RecordingAPI(gone={"c2"}, failing={"c4"})
    store = room("c1", "c2", "c3", "c4", "c5")
    connections = Connections(ENDPOINT, store=store, api=api)

    result = asyncio.run(connections.broadcast("lobby", "hi all", exclude={"c3"}, request_id="r-9"))

    assert result.delivered == ["c1", "c5"]
    assert result.pruned == ["c2"]
    assert list(result.failed) == ["c4"]
    assert isinstance(result.failed["c4"], ManagementAPIError)
    assert api.posts == [("c1", b"hi all", "r-9"), ("c5", b"hi all", "r-9")]
    assert asyncio.run(store.members("lobby")) == ["c1", "c3", "c4", "c5"]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "ERROR",
            "broadcast to lobby (request r-9): connection c4 failed: ManagementAPIError: "
            "Management API call for connection 'c4' failed (status 403, ForbiddenException): "
            "Forbidden",
        )
    ]


def test_broadcast_to_an_empty_group_sends_nothing() -> None:
    api = RecordingAPI()
    result = asyncio.run(Connections(ENDPOINT, store=MemoryStore(), api=api).broadcast("x", "a"))
    assert result == BroadcastResult(delivered=[], pruned=[], failed={})
    assert api.posts == []


def test_broadcast_of_a_message_over_the_limit_sends_nothing() -> None:
    api = RecordingAPI()
    connections = Connections(ENDPOINT, store=room("a"), api=api)
    with pytest.raises(MessageTooLargeError) as raised:
        asyncio.run(connections.broadcast("lobby", b"x" * (MAX_MESSAGE_BYTES + 1)))
    assert (raised.value.size, raised.value.limit) == (MAX_MESSAGE_BYTES + 1, MAX_MESSAGE_BYTES)
    assert api.posts == []


def test_broadcast_needs_a_store() -> None:
    with pytest.raises(WebSocketError) as raised:
        asyncio.run(Connections(ENDPOINT, api=RecordingAPI()).broadcast("lobby", "hi"))
    assert str(raised.value) == (
        "broadcast needs a connection store: Connections(..., store=DynamoDBStore(...))"
    )


def test_a_store_that_cannot_prune_leaves_the_connection_failed() -> None:
    class BrokenRemove(MemoryStore):
        async def remove(self, connection_id: str) -> None:
            raise WebSocketError("DynamoDB is down")

    store = BrokenRemove()
    asyncio.run(store.join("a", "lobby"))
    connections = Connections(ENDPOINT, store=store, api=RecordingAPI(gone={"a"}))
    result = asyncio.run(connections.broadcast("lobby", "hi"))
    assert (result.delivered, result.pruned, list(result.failed)) == ([], [], ["a"])
    assert str(result.failed["a"]) == "DynamoDB is down"


def test_broadcast_keeps_at_most_concurrency_posts_in_flight() -> None:
    api = RecordingAPI()
    members = [f"c{n}" for n in range(10)]
    connections = Connections(ENDPOINT, store=room(*members), api=api, concurrency=3)
    result = asyncio.run(connections.broadcast("lobby", "hi"))
    assert result.delivered == sorted(members)
    assert api.most_in_flight == 3


def test_concurrency_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="concurrency: must be 1 or more, not 0"):
        Connections(ENDPOINT, concurrency=0)


# Against moto, and against a real HTTP endpoint that answers 410


@mock_aws
def test_broadcast_through_moto_with_a_dynamodb_store() -> None:
    create_connection_table()
    store = DynamoDBStore("connections")
    connections = Connections(ENDPOINT, store=store)

    async def main() -> BroadcastResult:
        for connection_id in ("AAA=", "BBB="):
            await store.save(record(connection_id))
            await store.join(connection_id, "lobby")
        return await connections.broadcast("lobby", '{"text": "hi"}')

    result = asyncio.run(main())
    assert result == BroadcastResult(delivered=["AAA=", "BBB="], pruned=[], failed={})
    backend = apigatewaymanagementapi_backends["123456789012"][REGION].connections
    assert {cid: backend[quote(cid, safe="")].data for cid in ("AAA=", "BBB=")} == {
        "AAA=": b'{"text": "hi"}',
        "BBB=": b'{"text": "hi"}',
    }


def test_a_real_410_prunes_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    store = room("left", "here")
    with FakeConnectionsEndpoint(gone={"left"}) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", endpoint.url)
        connections = Connections.from_event(MESSAGE_EVENT, store=store)
        result = asyncio.run(connections.broadcast("lobby", "hi"))
        info = connections.sync.info("left")
    assert result == BroadcastResult(delivered=["here"], pruned=["left"], failed={})
    assert info is None
    assert sorted(endpoint.requests) == [
        ("GET", "/@connections/left", b""),
        ("POST", "/@connections/here", b"hi"),
        ("POST", "/@connections/left", b"hi"),
    ]
    assert asyncio.run(store.members("lobby")) == ["here"]


def test_the_environments_endpoint_wins_over_the_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Connections(ENDPOINT).api is management_api(ENDPOINT)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:3000")
    assert Connections(ENDPOINT).api is management_api(None)
    assert Connections.from_event(MESSAGE_EVENT).endpoint_url is None


def test_from_event_takes_the_events_endpoint() -> None:
    store = MemoryStore()
    connections = Connections.from_event(MESSAGE_EVENT, store=store)
    assert (connections.endpoint_url, connections.store) == (ENDPOINT, store)
    assert repr(connections) == f"Connections({ENDPOINT!r}, store={store!r})"


def test_from_scope_takes_the_endpoint_the_adapter_chose_else_the_events() -> None:
    override = "https://ws.example.com/live"
    scope: dict[str, Any] = {
        "type": "websocket",
        "extensions": {"aws.websocket": {"connection_id": "a", "endpoint": override}},
        "aws.event": MESSAGE_EVENT,
    }
    assert Connections.from_scope(scope).endpoint_url == override
    del scope["extensions"]
    assert Connections.from_scope(scope, store=MemoryStore()).endpoint_url == ENDPOINT
    with pytest.raises(WebSocketError) as raised:
        Connections.from_scope({"type": "http", "extensions": {"aws.websocket": None}})
    assert str(raised.value) == (
        "the scope did not come from an API Gateway WebSocket event (it has neither an "
        "aws.websocket extension nor aws.event): pass the endpoint to Connections()"
    )


# The sync facade


def test_sync_methods_without_a_running_loop() -> None:
    api = RecordingAPI(gone={"gone"})
    store = room("a", "b", "gone")
    connections = Connections(ENDPOINT, store=store, api=api)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # a loop the thread keeps, as the Adapter's process loop
    try:
        connections.sync.send("a", "one")
        result = connections.sync.broadcast("lobby", "all", exclude=["b"])
        connections.sync.close("b")
        info = connections.sync.info("a")
        with pytest.raises(ConnectionGoneError):
            connections.sync.send("gone", "x")
        assert asyncio.get_event_loop() is loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert result == BroadcastResult(delivered=["a"], pruned=["gone"], failed={})
    assert api.posts == [("a", b"one", "-"), ("a", b"all", "-")]
    assert api.deletes == ["b"]
    assert info == {"connectedAt": None, "identity": {"sourceIp": "192.0.2.10"}, "id": "a"}


def test_sync_methods_called_from_a_coroutine_run_beside_its_loop() -> None:
    api = RecordingAPI()
    connections = Connections(ENDPOINT, store=room("a"), api=api)
    threads: list[str] = []

    async def main() -> BroadcastResult:
        threads.append(threading.current_thread().name)
        return connections.sync.broadcast("lobby", "from sync code")

    assert asyncio.run(main()) == BroadcastResult(delivered=["a"], pruned=[], failed={})
    assert api.posts == [("a", b"from sync code", "-")]
    assert threads == [threading.current_thread().name]


def test_sync_methods_from_a_worker_thread() -> None:
    api = RecordingAPI()
    connections = Connections(ENDPOINT, api=api)
    thread = threading.Thread(target=connections.sync.send, args=("a", "from a thread"))
    thread.start()
    thread.join()
    assert api.posts == [("a", b"from a thread", "-")]


# How it fits ASGI frameworks and imports


def test_starlette_turns_a_gone_connection_into_websocket_disconnect() -> None:
    connections = Connections(ENDPOINT, api=RecordingAPI(gone={"a"}))
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "websocket.send":
            await connections.send("a", message["text"])
        sent.append(message)

    async def main() -> None:
        websocket = WebSocket({"type": "websocket", "path": "/ws", "headers": []}, receive, send)
        await websocket.accept()
        await websocket.send_text("hello")

    with pytest.raises(WebSocketDisconnect) as raised:
        asyncio.run(main())
    assert raised.value.code == 1006
    assert sent == [{"type": "websocket.accept", "subprotocol": None, "headers": []}]


def test_public_surface() -> None:
    # In ruff's order (RUF022): constants, then classes, then functions.
    assert lambda_asgi.websocket.__all__ == [
        "MAX_MESSAGE_BYTES",
        "BroadcastResult",
        "ConnectionRecord",
        "ConnectionStore",
        "Connections",
        "DynamoDBStore",
        "ManagementAPI",
        "ManagementSender",
        "MemoryStore",
        "SyncConnections",
        "endpoint_for",
        "management_api",
    ]


def test_importing_lambda_asgi_or_its_websocket_package_imports_no_boto3() -> None:
    program = (
        "import sys, lambda_asgi; before = sorted(m for m in sys.modules "
        "if m.startswith(('lambda_asgi.websocket', 'boto3', 'botocore'))); "
        "import lambda_asgi.websocket; "
        "after = sorted(m for m in sys.modules if m.startswith(('boto3', 'botocore'))); "
        "print(before, after)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert completed.stdout == "[] []\n"
