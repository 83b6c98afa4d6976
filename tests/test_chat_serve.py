"""End to end: the FastAPI chat example, the same ``Adapter`` that runs on Lambda, served by
``lambda-asgi serve --source websocket`` (uvicorn) to real WebSocket clients. Every hop is the
real one: the client's frames become API Gateway events, the Adapter runs the app's
``@app.websocket`` endpoint once per event, and the room's broadcast goes out through boto3's
Management API client to the local ``@connections`` endpoint and back to the clients."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from lambda_asgi.cli._websocket import WebSocketAPI, management_environment
from lambda_asgi.cli._ws_events import RouteSelection
from lambda_asgi.cli.serve import LocalServer

from .test_cli_serve_websocket import aws_environment  # noqa: F401 (a fixture)


@pytest.fixture
def server(aws_environment: None) -> Iterator[LocalServer]:  # noqa: F811
    from examples.chat import fastapi_chat

    api = WebSocketAPI(RouteSelection("$request.body.action", None), frozenset())
    local = LocalServer(fastapi_chat.handler, None, port=0, websocket=api)
    management_environment(local.host, local.port)
    stop = threading.Event()
    thread = threading.Thread(target=local.serve, args=(stop,))
    thread.start()
    yield local
    stop.set()
    thread.join()


def join(server: LocalServer, query: str) -> ClientConnection:
    connection: ClientConnection = connect(
        f"ws://127.0.0.1:{server.port}/?{query}", open_timeout=10
    )
    return connection


def received(connection: ClientConnection) -> Any:
    return json.loads(connection.recv(timeout=10))


def test_two_browser_tabs_chat_through_the_adapter(server: LocalServer) -> None:
    message = {"event": "message", "room": "e2e", "nickname": "bob", "text": "hi ann"}
    with join(server, "nickname=ann&room=e2e") as ann:
        with join(server, "nickname=bob&room=e2e") as bob:
            assert received(ann) == {"event": "joined", "room": "e2e", "nickname": "bob"}
            bob.send(json.dumps({"action": "send", "text": "hi ann"}))
            assert (received(ann), received(bob)) == (message, message)
            bob.send("not json")
            assert received(bob)["event"] == "error"  # to the sender alone
        # bob's tab closed: $disconnect, and bob leaves the room
        assert received(ann) == {"event": "left", "room": "e2e", "nickname": "bob"}


def test_a_connect_without_a_nickname_is_refused(server: LocalServer) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        join(server, "room=e2e")
    assert refused.value.response.status_code == 403
