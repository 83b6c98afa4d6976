"""FastAPI and Starlette ``@app.websocket`` endpoints, unchanged from uvicorn, behind an API
Gateway WebSocket API: driven through the Adapter with recorded sends."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket as StarletteWebSocket

from lambda_asgi import END_OF_INVOCATION, MessageTooLargeError, websocket_info
from lambda_asgi.testing import (
    CapturedSends,
    FakeContext,
    websocket_connect_event,
    websocket_disconnect_event,
    websocket_message_event,
)
from tests.conftest import AdapterFactory

CONNECTION = "L0SM9cOFvHcCIhw="


def chat_app(log: list[Any]) -> FastAPI:
    """The issue's example, plus the documented idiom for telling a real disconnect from the
    end of an invocation."""
    app = FastAPI()

    @app.websocket("/ws")
    async def chat(ws: WebSocket) -> None:
        offered = ws.scope["subprotocols"]
        if ws.query_params.get("token") == "bad":
            await ws.close(code=1008)
            return
        await ws.accept(subprotocol="chat.v1" if "chat.v1" in offered else None)
        try:
            async for text in ws.iter_text():
                await ws.send_text(f"echo: {text}")
        except MessageTooLargeError as exc:
            log.append(("too large", exc.size))

    @app.websocket("/idiom")
    async def idiom(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                text = await ws.receive_text()
                await ws.send_text(text.upper())
        except WebSocketDisconnect as exc:
            if exc.code == END_OF_INVOCATION:
                return  # this message is handled; the connection stays open
            info = websocket_info(ws.scope) or {}
            log.append(("left", info["connection_id"], exc.code, exc.reason))

    @app.websocket("/bare")
    async def bare(ws: WebSocket) -> None:
        await ws.accept()
        while True:  # no try: the disconnect escapes, as under uvicorn
            await ws.send_text(await ws.receive_text())

    return app


@pytest.fixture
def captured() -> CapturedSends:
    return CapturedSends()


def handler_for(
    make_adapter: AdapterFactory, captured: CapturedSends, path: str, log: list[Any]
) -> Any:
    return make_adapter(chat_app(log), websocket_path=path, websocket_api=captured)


class TestFastAPI:
    def test_connect_message_disconnect(
        self, make_adapter: AdapterFactory, captured: CapturedSends, context: FakeContext
    ) -> None:
        log: list[Any] = []
        handler = handler_for(make_adapter, captured, "/ws", log)
        connect = websocket_connect_event(subprotocols=["chat.v2", "chat.v1"])
        assert handler(connect, context) == {
            "statusCode": 200,
            "headers": {"Sec-WebSocket-Protocol": "chat.v1"},
        }
        assert handler(websocket_connect_event(), context) == {"statusCode": 200}
        for text in ("hello", "zoë"):
            assert handler(websocket_message_event(body=text), context) == {"statusCode": 200}
        assert handler(websocket_disconnect_event(), context) == {"statusCode": 200}
        assert captured.texts(CONNECTION) == ["echo: hello", "echo: zoë"]
        assert (captured.closed, log) == ([], [])

    def test_close_on_connect_refuses(
        self, make_adapter: AdapterFactory, captured: CapturedSends, context: FakeContext
    ) -> None:
        handler = handler_for(make_adapter, captured, "/ws", [])
        event = websocket_connect_event(query={"token": "bad"})
        assert handler(event, context) == {"statusCode": 403}

    def test_the_idiom_tells_the_end_of_an_invocation_from_a_real_disconnect(
        self, make_adapter: AdapterFactory, captured: CapturedSends, context: FakeContext
    ) -> None:
        log: list[Any] = []
        handler = handler_for(make_adapter, captured, "/idiom", log)
        handler(websocket_connect_event(), context)
        handler(websocket_message_event(body="hi"), context)
        assert log == []
        handler(websocket_disconnect_event(status_code=1001, reason="Going away"), context)
        assert log == [("left", CONNECTION, 1001, "Going away")]
        assert captured.texts(CONNECTION) == ["HI"]

    def test_an_escaping_disconnect_is_no_error(
        self,
        make_adapter: AdapterFactory,
        captured: CapturedSends,
        context: FakeContext,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        handler = handler_for(make_adapter, captured, "/bare", [])
        assert handler(websocket_message_event(body="ping"), context) == {"statusCode": 200}
        assert handler(websocket_disconnect_event(), context) == {"statusCode": 200}
        assert captured.texts(CONNECTION) == ["ping"]
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

    def test_too_large_a_message_reaches_the_endpoint(
        self, make_adapter: AdapterFactory, captured: CapturedSends, context: FakeContext
    ) -> None:
        log: list[Any] = []
        handler = handler_for(make_adapter, captured, "/ws", log)
        body = "x" * (128 * 1024)
        assert handler(websocket_message_event(body=body), context) == {"statusCode": 200}
        assert log == [("too large", 128 * 1024 + 6)]
        assert captured.sent == {}

    def test_a_gone_connection_is_a_disconnect(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        log: list[Any] = []
        captured = CapturedSends(gone={CONNECTION})
        handler = handler_for(make_adapter, captured, "/idiom", log)
        assert handler(websocket_message_event(body="hi"), context) == {"statusCode": 200}
        assert log == [("left", CONNECTION, 1006, "")]

    def test_two_way_route_replies(
        self, make_adapter: AdapterFactory, captured: CapturedSends, context: FakeContext
    ) -> None:
        handler = make_adapter(
            chat_app([]), websocket_path="/ws", websocket_api=captured, websocket_replies=True
        )
        result = handler(websocket_message_event(body="hi"), context)
        assert result == {"statusCode": 200, "body": "echo: hi", "isBase64Encoded": False}
        assert captured.sent == {}


async def denying(websocket: StarletteWebSocket) -> None:
    if websocket.headers.get("authorization") != "Bearer ok":
        await websocket.send_denial_response(PlainTextResponse("no token", status_code=401))
        return
    await websocket.accept()
    data = await websocket.receive_bytes()
    await websocket.send_bytes(data[::-1])


class TestStarlette:
    def test_denial_response(self, make_adapter: AdapterFactory, context: FakeContext) -> None:
        app = Starlette(routes=[WebSocketRoute("/", denying)])
        handler = make_adapter(app, websocket_api=CapturedSends())
        assert handler(websocket_connect_event(), context) == {
            "statusCode": 401,
            "headers": {"content-length": "8", "content-type": "text/plain; charset=utf-8"},
            "body": "no token",
            "isBase64Encoded": False,
        }

    def test_accept_and_binary_frames(
        self, make_adapter: AdapterFactory, captured: CapturedSends, context: FakeContext
    ) -> None:
        app = Starlette(routes=[WebSocketRoute("/", denying)])
        handler = make_adapter(app, websocket_api=captured, websocket_store=None)
        event = websocket_connect_event(headers={"Authorization": "Bearer ok"})
        assert handler(event, context) == {"statusCode": 200}
        # Without a store a MESSAGE scope has no headers: this endpoint denies it, which is
        # not allowed once the connection is open.
        message = websocket_message_event(body=b"\x01\x02")
        assert handler(message, context) == {"statusCode": 500}
        assert captured.sent == {}

    def test_with_a_store_messages_see_the_connect_headers(
        self, make_adapter: AdapterFactory, captured: CapturedSends, context: FakeContext
    ) -> None:
        from tests.test_source_websocket import DictStore

        app = Starlette(routes=[WebSocketRoute("/", denying)])
        handler = make_adapter(app, websocket_api=captured, websocket_store=DictStore())
        handler(websocket_connect_event(headers={"Authorization": "Bearer ok"}), context)
        message = websocket_message_event(body=b"\x01\x02")
        assert handler(message, context) == {"statusCode": 200}
        assert captured.sent == {CONNECTION: [b"\x02\x01"]}
