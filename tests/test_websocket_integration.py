"""The WebSocket pieces together: a FastAPI chat endpoint behind the Adapter, with the default
sender (the boto3-backed Management API) and a DynamoDB connection store, driven by the
events API Gateway sends. moto plays both services; a local ``@connections`` endpoint plays
API Gateway where moto cannot (410 for a connection that left).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI, WebSocket
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from bench.websocket import FakeConnectionsEndpoint
from lambda_asgi import websocket_info
from lambda_asgi.testing import (
    FakeContext,
    websocket_connect_event,
    websocket_disconnect_event,
    websocket_message_event,
)
from lambda_asgi.websocket import Connections, ConnectionStore, DynamoDBStore, MemoryStore
from tests.conftest import AdapterFactory
from tests.websocket_aws import clean_aws_environment, create_connection_table

ANA, BEN = "QW5hQW5hQW5h=", "QmVuQmVuQmVu="


@pytest.fixture(autouse=True)
def _clean_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_aws_environment(monkeypatch, tmp_path)


def chat_app(store: ConnectionStore) -> FastAPI:
    """Everyone joins the lobby on $connect; each message goes to the whole lobby."""
    app = FastAPI()

    @app.websocket("/ws")
    async def chat(websocket: WebSocket) -> None:
        await websocket.accept()
        info = websocket_info(websocket.scope)
        assert info is not None
        if info["event_type"] == "CONNECT":
            await store.join(info["connection_id"], "lobby")
        nick = websocket.query_params.get("nick", "someone")  # from $connect, via the store
        connections = Connections.from_scope(websocket.scope, store=store)
        async for text in websocket.iter_text():
            await connections.broadcast("lobby", f"{nick}: {text}")

    return app


@mock_aws
def test_a_chat_through_the_adapter_management_api_and_dynamodb(
    make_adapter: AdapterFactory,
) -> None:
    dynamodb = create_connection_table()
    store = DynamoDBStore("connections")
    handler = make_adapter(chat_app(store), websocket_path="/ws", websocket_store=store)
    context = FakeContext()

    def connect(connection_id: str, nick: str) -> Any:
        event = websocket_connect_event(connection_id=connection_id, query={"nick": nick})
        return handler(event, context)

    assert connect(ANA, "ana") == {"statusCode": 200}
    assert connect(BEN, "ben") == {"statusCode": 200}
    assert handler(websocket_message_event(connection_id=ANA, body="hi"), context) == {
        "statusCode": 200
    }
    assert handler(websocket_disconnect_event(connection_id=BEN), context) == {"statusCode": 200}
    assert handler(websocket_message_event(connection_id=ANA, body="bye"), context) == {
        "statusCode": 200
    }

    sent = apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections
    assert {nick: sent[quote(cid, safe="")].data for nick, cid in [("ana", ANA), ("ben", BEN)]} == {
        "ana": b"ana: hiana: bye",
        "ben": b"ana: hi",
    }
    # Ben's record and memberships went with his $disconnect; Ana's are all that is left.
    keys = [
        (item["pk"]["S"], item["sk"]["S"])
        for item in dynamodb.scan(TableName="connections")["Items"]
    ]
    assert sorted(keys) == [
        (f"conn#{ANA}", "group#lobby"),
        (f"conn#{ANA}", "meta"),
        ("group#lobby", f"conn#{ANA}"),
    ]


def test_a_connection_that_left_without_disconnect_is_pruned(
    make_adapter: AdapterFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    handler = make_adapter(chat_app(store), websocket_path="/ws", websocket_store=store)
    context = FakeContext()
    with FakeConnectionsEndpoint(gone={BEN}) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", endpoint.url)
        for connection_id, nick in [(ANA, "ana"), (BEN, "ben")]:
            event = websocket_connect_event(connection_id=connection_id, query={"nick": nick})
            assert handler(event, context) == {"statusCode": 200}
        event = websocket_message_event(connection_id=ANA, body="anyone?")
        assert handler(event, context) == {"statusCode": 200}
    assert sorted(endpoint.requests) == [
        ("POST", f"/@connections/{ANA}", b"ana: anyone?"),
        ("POST", f"/@connections/{BEN}", b"ana: anyone?"),
    ]
    # Ben left without a $disconnect: the 410 pruned him from the store.
    assert asyncio.run(store.load(BEN)) is None
    assert asyncio.run(store.members("lobby")) == [ANA]
