"""API Gateway WebSocket APIs: event to websocket scope, the cycle, and the result."""

from __future__ import annotations

import asyncio
import logging
import sys
import types
from base64 import b64encode
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_asgi import (
    END_OF_INVOCATION,
    Adapter,
    ConfigurationError,
    ConnectionGoneError,
    MessageTooLargeError,
    ProtocolError,
    websocket_info,
)
from lambda_asgi._types import Message, Receive, Scope, Send
from lambda_asgi.sources import WEBSOCKET, detect
from lambda_asgi.testing import (
    CapturedSends,
    FakeContext,
    websocket_connect_event,
    websocket_disconnect_event,
    websocket_message_event,
)
from tests.apps import plain
from tests.conftest import AdapterFactory

DOMAIN = "abc123defg.execute-api.us-east-1.amazonaws.com"
CONNECTION = "L0SM9cOFvHcCIhw="
ENDPOINT = f"https://{DOMAIN}/prod"
TRACE = b"Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"
LOG = "lambda_asgi"

Script = Callable[[Receive, Send], Awaitable[None]]


class WebSocketApp:
    """A raw ASGI app that runs ``script`` for every websocket scope and records the scopes
    and every message the script received (or the exception ``send`` raised at it)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.scopes: list[Scope] = []
        self.received: list[Message] = []
        self.raised: list[BaseException] = []

    @property
    def scope(self) -> Scope:
        assert len(self.scopes) == 1
        return self.scopes[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)

        async def recording_receive() -> Message:
            message = await receive()
            self.received.append(message)
            return message

        async def recording_send(message: Message) -> None:
            try:
                await send(message)
            except Exception as exc:
                self.raised.append(exc)
                raise

        await self.script(recording_receive, recording_send)


def connect_headers(*extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    return [
        (b"host", DOMAIN.encode()),
        (b"sec-websocket-extensions", b"permessage-deflate; client_max_window_bits"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"sec-websocket-version", b"13"),
        *extra,
        (b"x-amzn-trace-id", TRACE),
        (b"x-forwarded-for", b"203.0.113.10"),
        (b"x-forwarded-port", b"443"),
        (b"x-forwarded-proto", b"https"),
    ]


def info(event_type: str, route_key: str, **changes: Any) -> dict[str, Any]:
    extension = {
        "connection_id": CONNECTION,
        "event_type": event_type,
        "route_key": route_key,
        "message_id": None,
        "domain_name": DOMAIN,
        "stage": "prod",
        "api_id": "abc123defg",
        "connected_at": 1_700_000_000_000,
        "disconnect_status_code": None,
        "disconnect_reason": None,
        "authorizer": None,
        "request_id": "Ob7xKgXnIAMEb1Q=",
        "endpoint": ENDPOINT,
    }
    extension.update(changes)
    return extension


def expected_scope(**changes: Any) -> dict[str, Any]:
    """The scope of a $connect to wss://{DOMAIN}/prod with the default websocket_path."""
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss",
        "path": "/prod/",
        "raw_path": b"/prod/",
        "root_path": "/prod",
        "query_string": b"",
        "headers": connect_headers(),
        "client": ("203.0.113.10", 0),
        "server": (DOMAIN, 443),
        "subprotocols": [],
        "extensions": {
            "aws.websocket": info("CONNECT", "$connect"),
            "websocket.http.response": {},
        },
        "state": {},
    }
    scope.update(changes)
    return scope


async def accept(receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.accept"})


async def echo(receive: Receive, send: Send) -> None:
    """Accept, then echo every text frame until the disconnect."""
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": f"echo: {message['text']}"})


def adapter_for(
    make_adapter: AdapterFactory, script: Script, **options: Any
) -> tuple[WebSocketApp, Any]:
    app = WebSocketApp(script)
    return app, make_adapter(app, lifespan="off", **options)


class TestScope:
    def test_connect_scope(self, make_adapter: AdapterFactory, context: FakeContext) -> None:
        app, handler = adapter_for(make_adapter, accept, websocket_api=CapturedSends())
        event = websocket_connect_event(
            query=[("room", "lobby"), ("room", "a b"), ("nick", "zoë")],
            subprotocols=["chat.v2", "chat"],
            headers=[("Cookie", "session=abc"), ("X-Many", "1"), ("X-Many", "2")],
        )
        assert handler(event, context) == {"statusCode": 200}
        scope = app.scope
        assert scope["aws.event"] is event and scope["aws.context"] is context
        protocol = (b"sec-websocket-protocol", b"chat.v2, chat")
        assert plain(scope) == expected_scope(
            query_string=b"room=lobby&room=a%20b&nick=zo%C3%AB",
            headers=[
                *connect_headers(protocol),
                (b"cookie", b"session=abc"),
                (b"x-many", b"1"),
                (b"x-many", b"2"),
            ],
            subprotocols=["chat.v2", "chat"],
        )

    def test_message_scope_carries_only_what_the_event_has(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        app, handler = adapter_for(
            make_adapter, accept, websocket_api=CapturedSends(), websocket_path="/ws/"
        )
        event = websocket_message_event(body="hi", route_key="chat")
        assert handler(event, context) == {"statusCode": 200}
        assert plain(app.scope) == expected_scope(
            path="/prod/ws",
            raw_path=b"/prod/ws",
            headers=[],
            server=(DOMAIN, 443),
            extensions={"aws.websocket": info("MESSAGE", "chat", message_id="L0SQJd3YvHcCIhw=")},
        )

    def test_disconnect_scope(self, make_adapter: AdapterFactory, context: FakeContext) -> None:
        app, handler = adapter_for(make_adapter, accept, websocket_api=CapturedSends())
        event = websocket_disconnect_event(status_code=1005, reason="no status")
        assert handler(event, context) == {"statusCode": 200}
        assert plain(app.scope) == expected_scope(
            headers=[(b"host", DOMAIN.encode()), (b"x-api-key", b""), (b"x-forwarded-for", b"")],
            extensions={
                "aws.websocket": info(
                    "DISCONNECT",
                    "$disconnect",
                    disconnect_status_code=1005,
                    disconnect_reason="no status",
                )
            },
        )

    def test_custom_domain_takes_base_path_and_regional_endpoint(
        self,
        make_adapter: AdapterFactory,
        context: FakeContext,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("AWS_REGION", "eu-west-1")
        app, handler = adapter_for(
            make_adapter,
            accept,
            websocket_api=CapturedSends(),
            websocket_path="/ws",
            base_path="/chat",
        )
        event = websocket_connect_event(
            domain_name="ws.example.com",
            authorizer={"principalId": "user-1", "integrationLatency": 12},
        )
        handler(event, context)
        scope = app.scope
        assert (scope["path"], scope["raw_path"], scope["root_path"]) == (
            "/chat/ws",
            b"/chat/ws",
            "/chat",
        )
        assert scope["server"] == ("ws.example.com", 443)
        assert websocket_info(scope) == info(
            "CONNECT",
            "$connect",
            domain_name="ws.example.com",
            authorizer={"principalId": "user-1", "integrationLatency": 12},
            endpoint="https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod",
        )

    @pytest.mark.parametrize(
        ("override", "region", "endpoint"),
        [
            ("https://ws.example.com/prod", "eu-west-1", "https://ws.example.com/prod"),
            (None, None, None),
        ],
    )
    def test_endpoint_override_and_custom_domain_without_region(
        self,
        make_adapter: AdapterFactory,
        context: FakeContext,
        monkeypatch: pytest.MonkeyPatch,
        override: str | None,
        region: str | None,
        endpoint: str | None,
    ) -> None:
        monkeypatch.delenv("AWS_REGION", raising=False)
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
        if region:
            monkeypatch.setenv("AWS_DEFAULT_REGION", region)
        app, handler = adapter_for(
            make_adapter, accept, websocket_api=CapturedSends(), websocket_endpoint=override
        )
        handler(websocket_connect_event(domain_name="ws.example.com"), context)
        assert websocket_info(app.scope)["endpoint"] == endpoint  # type: ignore[index]

    def test_sparse_event_leaves_unknowns_empty(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        app, handler = adapter_for(make_adapter, accept)
        event = {"requestContext": {"eventType": "CONNECT", "connectionId": "c="}}
        assert handler(event, context) == {"statusCode": 200}
        assert plain(app.scope) == {
            **expected_scope(
                path="/",
                raw_path=b"/",
                root_path="",
                headers=[],
                client=None,
                server=None,
            ),
            "extensions": {
                "aws.websocket": dict.fromkeys(info("CONNECT", "$connect"), None)
                | {"connection_id": "c=", "event_type": "CONNECT"},
                "websocket.http.response": {},
            },
        }

    def test_state_is_a_copy_of_the_lifespan_state(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        scopes: list[Scope] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "lifespan":
                await receive()
                scope["state"]["pool"] = "db"
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await send({"type": "lifespan.shutdown.complete"})
                return
            scopes.append(scope)
            await receive()
            await send({"type": "websocket.accept"})

        handler = make_adapter(app)
        handler(websocket_connect_event(), context)
        assert scopes[0]["state"] == {"pool": "db"}
        assert scopes[0]["state"] is not handler.state

    def test_websocket_info_outside_lambda(self) -> None:
        assert websocket_info({"type": "websocket", "extensions": {}}) is None
        assert websocket_info({"type": "websocket"}) is None


class TestConnect:
    def test_accept_with_a_subprotocol_and_headers(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send(
                {
                    "type": "websocket.accept",
                    "subprotocol": "chat",
                    "headers": [(b"x-server", b"lambda")],
                }
            )

        _, handler = adapter_for(make_adapter, script)
        result = handler(websocket_connect_event(subprotocols=["chat.v2", "chat"]), context)
        assert result == {
            "statusCode": 200,
            "headers": {"x-server": "lambda", "Sec-WebSocket-Protocol": "chat"},
        }

    def test_close_before_accept_refuses(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.close", "code": 1008})

        _, handler = adapter_for(make_adapter, script)
        assert handler(websocket_connect_event(), context) == {"statusCode": 403}

    def test_accept_then_close_refuses_and_forgets_the_record(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        store = DictStore()

        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close"})

        _, handler = adapter_for(make_adapter, script, websocket_store=store)
        assert handler(websocket_connect_event(), context) == {"statusCode": 403}
        assert store.records == {}
        assert "app closed the connection during $connect; refusing it" in caplog.text

    def test_denial_response(self, make_adapter: AdapterFactory, context: FakeContext) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            headers = [(b"content-type", b"application/json"), (b"vary", b"a"), (b"vary", b"b")]
            await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
            await send(
                {"type": "websocket.http.response.body", "body": b'{"error":', "more_body": True}
            )
            await send({"type": "websocket.http.response.body", "body": bytearray(b'"token"}')})

        _, handler = adapter_for(make_adapter, script)
        assert handler(websocket_connect_event(), context) == {
            "statusCode": 401,
            "headers": {"content-type": "application/json", "vary": "a,b"},
            "body": '{"error":"token"}',
            "isBase64Encoded": False,
        }

    def test_binary_denial_body_is_base64(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.http.response.start", "status": 400})
            await send({"type": "websocket.http.response.body", "body": b"\xff\x00"})
            raise RuntimeError("after the denial: the denial stands")

        _, handler = adapter_for(make_adapter, script)
        assert handler(websocket_connect_event(), context) == {
            "statusCode": 400,
            "body": "/wA=",
            "isBase64Encoded": True,
        }

    @pytest.mark.parametrize(
        ("script_messages", "violation"),
        [
            (
                [{"type": "websocket.accept"}, {"type": "websocket.send", "text": "hi"}],
                "'websocket.send' during $connect: API Gateway opens the connection only after "
                "$connect returns; send from a later message, or from elsewhere with the "
                "connection id",
            ),
            (
                [{"type": "websocket.accept", "subprotocol": "mqtt"}],
                "subprotocol 'mqtt' was not offered by the client (offered: ['chat'])",
            ),
            (
                [{"type": "websocket.send", "text": "hi"}],
                "expected 'websocket.accept', 'websocket.close' or "
                "'websocket.http.response.start' during $connect, got 'websocket.send'",
            ),
            (
                [{"type": "websocket.accept"}, {"type": "websocket.accept"}],
                "'websocket.accept' after the handshake was answered",
            ),
            (
                [
                    {"type": "websocket.http.response.start", "status": 403},
                    {"type": "websocket.accept"},
                ],
                "expected 'websocket.http.response.body', got 'websocket.accept'",
            ),
            (
                [
                    {"type": "websocket.http.response.start", "status": 403},
                    {"type": "websocket.http.response.body", "body": "text"},
                ],
                "'body' must be bytes, got str",
            ),
            (
                [{"type": "websocket.http.response.start", "status": 99}],
                "'status' must be an integer from 100 to 599, got 99",
            ),
            (
                [{"type": "websocket.http.response.start", "status": 204}],
                "a denial response needs a status of 300 or more, got 204",
            ),
            (
                ["websocket.accept"],
                "messages must be dicts, got 'websocket.accept'",
            ),
        ],
    )
    def test_protocol_violations_refuse_with_500_and_a_log_line(
        self,
        make_adapter: AdapterFactory,
        context: FakeContext,
        caplog: pytest.LogCaptureFixture,
        script_messages: list[Any],
        violation: str,
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            for message in script_messages:
                await send(message)

        app, handler = adapter_for(make_adapter, script, websocket_store=DictStore())
        result = handler(websocket_connect_event(subprotocols=["chat"]), context)
        assert result == {"statusCode": 500}
        assert [str(exc) for exc in app.raised] == [violation]
        assert isinstance(app.raised[0], ProtocolError)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == [
            f"ASGI protocol violation: {violation} (CONNECT $connect, connection {CONNECTION}, "
            "aws_request_id=f2b4c6d8-1a3e-4b5c-8d7e-9f0a1b2c3d4e)"
        ]

    def test_app_failure_refuses_with_500(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        store = DictStore()

        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.accept"})
            raise RuntimeError("boom")

        _, handler = adapter_for(make_adapter, script, websocket_store=store)
        assert handler(websocket_connect_event(), context) == {"statusCode": 500}
        assert store.records == {}
        [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert record.getMessage().startswith("ASGI app raised (CONNECT $connect")
        assert record.exc_info is not None

    @pytest.mark.parametrize(
        ("messages", "log"),
        [
            ([], "ASGI app returned without accepting or closing the connection; answering 500"),
            (
                [{"type": "websocket.http.response.start", "status": 403}],
                "ASGI app returned before finishing its denial response; answering 500",
            ),
        ],
    )
    def test_returning_without_an_answer_is_500(
        self,
        make_adapter: AdapterFactory,
        context: FakeContext,
        caplog: pytest.LogCaptureFixture,
        messages: list[Message],
        log: str,
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            for message in messages:
                await send(message)

        _, handler = adapter_for(make_adapter, script)
        assert handler(websocket_connect_event(), context) == {"statusCode": 500}
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
            f"{log} (CONNECT $connect, connection {CONNECTION}, "
            "aws_request_id=f2b4c6d8-1a3e-4b5c-8d7e-9f0a1b2c3d4e)"
        ]

    def test_receive_after_the_handshake_ends_the_invocation(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        app, handler = adapter_for(make_adapter, echo)
        assert handler(websocket_connect_event(), context) == {"statusCode": 200}
        assert app.received == [
            {"type": "websocket.connect"},
            {
                "type": "websocket.disconnect",
                "code": END_OF_INVOCATION,
                "reason": "end of invocation",
            },
        ]


class TestMessage:
    def test_echo_posts_to_the_connection(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        captured = CapturedSends()
        app, handler = adapter_for(make_adapter, echo, websocket_api=captured)
        assert handler(websocket_message_event(body="hi"), context) == {"statusCode": 200}
        assert app.received == [
            {"type": "websocket.connect"},
            {"type": "websocket.receive", "bytes": None, "text": "hi"},
            {
                "type": "websocket.disconnect",
                "code": END_OF_INVOCATION,
                "reason": "end of invocation",
            },
        ]
        assert captured.sent == {CONNECTION: [b"echo: hi"]}
        assert captured.texts(CONNECTION) == ["echo: hi"]

    def test_binary_frame_and_binary_send(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        captured = CapturedSends()

        async def script(receive: Receive, send: Send) -> None:
            await receive()
            message = await receive()
            await send({"type": "websocket.send", "bytes": message["bytes"][::-1]})

        app, handler = adapter_for(make_adapter, script, websocket_api=captured)
        handler(websocket_message_event(body=b"\x00\x01\xff"), context)
        assert app.received[1] == {
            "type": "websocket.receive",
            "bytes": b"\x00\x01\xff",
            "text": None,
        }
        assert captured.sent == {CONNECTION: [b"\xff\x01\x00"]}

    def test_close_deletes_the_connection(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        captured = CapturedSends()

        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.close", "code": 4001, "reason": "kicked"})
            await send({"type": "websocket.close"})  # already closed: nothing more to do
            await receive()
            await send({"type": "websocket.send", "text": "too late"})

        app, handler = adapter_for(make_adapter, script, websocket_api=captured)
        assert handler(websocket_message_event(), context) == {"statusCode": 500}
        assert app.received[1] == {"type": "websocket.disconnect", "code": 4001, "reason": "kicked"}
        assert [type(exc) for exc in app.raised] == [ConnectionGoneError]
        assert isinstance(app.raised[0], OSError)
        assert (captured.closed, captured.sent) == ([CONNECTION], {})

    def test_close_without_a_code_is_1000(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.close", "code": None})
            await receive()

        app, handler = adapter_for(make_adapter, script, websocket_api=CapturedSends())
        handler(websocket_message_event(), context)
        assert app.received[1] == {"type": "websocket.disconnect", "code": 1000, "reason": ""}

    def test_too_large_a_message_raises_before_any_call(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        captured = CapturedSends()

        async def script(receive: Receive, send: Send) -> None:
            await receive()
            try:
                await send({"type": "websocket.send", "text": "é" * (64 * 1024 + 1)})
            except MessageTooLargeError:
                await send({"type": "websocket.send", "text": "x" * 128 * 1024})

        app, handler = adapter_for(make_adapter, script, websocket_api=captured)
        assert handler(websocket_message_event(), context) == {"statusCode": 200}
        [error] = app.raised
        assert (type(error), error.size, error.limit) == (  # type: ignore[attr-defined]
            MessageTooLargeError,
            128 * 1024 + 2,
            128 * 1024,
        )
        assert [len(data) for data in captured.sent[CONNECTION]] == [128 * 1024]

    def test_gone_connection_raises_oserror_at_the_app(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.send", "text": "hi"})

        app, handler = adapter_for(
            make_adapter, script, websocket_api=CapturedSends(gone={CONNECTION})
        )
        assert handler(websocket_message_event(), context) == {"statusCode": 500}
        assert [str(exc) for exc in app.raised] == [
            f"WebSocket connection {CONNECTION!r} is gone (410)"
        ]

    @pytest.mark.parametrize(
        ("message", "violation"),
        [
            (
                {"type": "websocket.send", "text": "a", "bytes": b"b"},
                "'websocket.send' needs exactly one of 'text' (str) and 'bytes' (bytes), "
                "got text='a' and bytes=b'b'",
            ),
            (
                {"type": "websocket.http.response.start", "status": 200},
                "'websocket.http.response.start' is not valid once the connection is open "
                "(only 'websocket.send' and 'websocket.close'; the denial response belongs to "
                "$connect)",
            ),
        ],
    )
    def test_bad_messages_are_500_with_a_log_line(
        self,
        make_adapter: AdapterFactory,
        context: FakeContext,
        caplog: pytest.LogCaptureFixture,
        message: Message,
        violation: str,
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await send({"type": "websocket.accept"})
            await send(message)

        _, handler = adapter_for(make_adapter, script, websocket_api=CapturedSends())
        assert handler(websocket_message_event(route_key="chat"), context) == {"statusCode": 500}
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
            f"ASGI protocol violation: {violation} (MESSAGE chat, connection {CONNECTION}, "
            "aws_request_id=f2b4c6d8-1a3e-4b5c-8d7e-9f0a1b2c3d4e)"
        ]

    def test_app_failure_is_logged_and_500(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            raise ValueError("bad frame")

        _, handler = adapter_for(make_adapter, script)
        assert handler(websocket_message_event(), context) == {"statusCode": 500}
        [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert record.getMessage() == (
            f"ASGI app raised (MESSAGE $default, connection {CONNECTION}, "
            "aws_request_id=f2b4c6d8-1a3e-4b5c-8d7e-9f0a1b2c3d4e)"
        )

    def test_an_escaping_end_of_invocation_disconnect_is_a_clean_end(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Disconnected(Exception):
            def __init__(self, code: int) -> None:
                self.code = code

        async def script(receive: Receive, send: Send) -> None:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    raise Disconnected(message["code"])

        _, handler = adapter_for(make_adapter, script)
        assert handler(websocket_message_event(), context) == {"statusCode": 200}
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


class TestReplies:
    @pytest.mark.parametrize("replies", [True, ["chat", "$default"]])
    def test_two_way_route_returns_the_reply(
        self, make_adapter: AdapterFactory, context: FakeContext, replies: Any
    ) -> None:
        captured = CapturedSends()
        _, handler = adapter_for(
            make_adapter, echo, websocket_api=captured, websocket_replies=replies
        )
        result = handler(websocket_message_event(body="hi"), context)
        assert result == {"statusCode": 200, "body": "echo: hi", "isBase64Encoded": False}
        assert captured.sent == {}

    def test_other_routes_still_post(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        captured = CapturedSends()
        _, handler = adapter_for(
            make_adapter, echo, websocket_api=captured, websocket_replies=["chat"]
        )
        assert handler(websocket_message_event(body="hi"), context) == {"statusCode": 200}
        assert captured.sent == {CONNECTION: [b"echo: hi"]}

    def test_binary_reply_is_base64(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await send({"type": "websocket.send", "bytes": b"\xff\xfe"})

        _, handler = adapter_for(make_adapter, script, websocket_replies=True)
        assert handler(websocket_message_event(), context) == {
            "statusCode": 200,
            "body": b64encode(b"\xff\xfe").decode(),
            "isBase64Encoded": True,
        }

    def test_a_reply_stands_when_the_app_fails_afterwards(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await send({"type": "websocket.send", "text": "sent"})
            raise RuntimeError("after the reply")

        _, handler = adapter_for(make_adapter, script, websocket_replies=True)
        assert handler(websocket_message_event(), context) == {
            "statusCode": 200,
            "body": "sent",
            "isBase64Encoded": False,
        }
        assert "ASGI app raised (MESSAGE $default" in caplog.text

    def test_a_second_reply_is_a_protocol_error(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await send({"type": "websocket.send", "text": "one"})
            await send({"type": "websocket.send", "text": "two"})

        _, handler = adapter_for(make_adapter, script, websocket_replies=True)
        assert handler(websocket_message_event(), context) == {
            "statusCode": 200,
            "body": "one",
            "isBase64Encoded": False,
        }
        assert "a second 'websocket.send' on a two-way route" in caplog.text


class TestDisconnect:
    def test_the_app_gets_aws_code_and_reason(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        captured = CapturedSends()

        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.accept"})
            await receive()
            await receive()
            await send({"type": "websocket.close"})  # gone already: nothing to do
            await send({"type": "websocket.send", "text": "bye"})

        app, handler = adapter_for(make_adapter, script, websocket_api=captured)
        event = websocket_disconnect_event(status_code=1006, reason="Going away")
        assert handler(event, context) == {"statusCode": 500}
        disconnect = {"type": "websocket.disconnect", "code": 1006, "reason": "Going away"}
        assert app.received == [{"type": "websocket.connect"}, disconnect, disconnect]
        assert [type(exc) for exc in app.raised] == [ConnectionGoneError]
        assert (captured.sent, captured.closed) == ({}, [])

    def test_missing_code_is_1005(self, make_adapter: AdapterFactory, context: FakeContext) -> None:
        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await receive()

        app, handler = adapter_for(make_adapter, script)
        event = websocket_disconnect_event()
        del event["requestContext"]["disconnectStatusCode"]
        del event["requestContext"]["disconnectReason"]
        assert handler(event, context) == {"statusCode": 200}
        assert app.received[1] == {"type": "websocket.disconnect", "code": 1005, "reason": ""}


class DictStore:
    """A dict-backed connection store with the ConnectionStore protocol's methods."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []

    async def save(self, record: dict[str, Any]) -> None:
        self.calls.append(("save", record["connection_id"]))
        self.records[record["connection_id"]] = record

    async def load(self, connection_id: str) -> dict[str, Any] | None:
        self.calls.append(("load", connection_id))
        return self.records.get(connection_id)

    async def remove(self, connection_id: str) -> None:
        self.calls.append(("remove", connection_id))
        self.records.pop(connection_id, None)


class TestStore:
    def test_connect_message_disconnect(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        store = DictStore()

        async def script(receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "websocket.accept", "subprotocol": "chat"})

        app, handler = adapter_for(
            make_adapter, script, websocket_store=store, websocket_api=CapturedSends()
        )
        connect = websocket_connect_event(
            query="nick=zo%C3%AB", subprotocols=["chat"], headers={"Cookie": "s=1"}
        )
        handler(connect, context)
        protocol = (b"sec-websocket-protocol", b"chat")
        headers = [*connect_headers(protocol), (b"cookie", b"s=1")]
        assert store.records == {
            CONNECTION: {
                "connection_id": CONNECTION,
                "path": "/prod/",
                "query_string": "nick=zo%C3%AB",
                "headers": [[name.decode(), value.decode()] for name, value in headers],
                "subprotocol": "chat",
                "client": ["203.0.113.10", 0],
                "connected_at": 1_700_000_000_000,
                "groups": [],
            }
        }
        handler(websocket_message_event(), context)
        handler(websocket_disconnect_event(), context)
        for scope in app.scopes[1:]:
            assert (scope["headers"], scope["query_string"], scope["subprotocols"]) == (
                headers,
                b"nick=zo%C3%AB",
                ["chat"],
            )
            assert scope["client"] == ("203.0.113.10", 0)
        assert store.calls == [
            ("save", CONNECTION),
            ("load", CONNECTION),
            ("load", CONNECTION),
            ("remove", CONNECTION),
        ]
        assert store.records == {}

    def test_unknown_connection_keeps_the_event_only_scope(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        store = DictStore()
        store.records["other="] = {}
        app, handler = adapter_for(make_adapter, accept, websocket_store=store)
        handler(websocket_message_event(), context)
        assert (app.scope["headers"], app.scope["subprotocols"]) == ([], [])

    def test_record_without_subprotocol_or_client(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        store = DictStore()
        app, handler = adapter_for(make_adapter, accept, websocket_store=store)
        handler({"requestContext": {"eventType": "CONNECT", "connectionId": "c="}}, context)
        assert store.records["c="]["subprotocol"] is None
        assert store.records["c="]["client"] is None
        assert store.records["c="]["connected_at"] == 0
        handler({"requestContext": {"eventType": "MESSAGE", "connectionId": "c="}}, context)
        assert (app.scopes[1]["subprotocols"], app.scopes[1]["client"]) == ([], None)


class TestBadEvents:
    def test_bad_base64_is_400(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        app, handler = adapter_for(make_adapter, accept)
        event = websocket_message_event()
        event["isBase64Encoded"] = True
        event["body"] = "not base64!"
        assert handler(event, context) == {"statusCode": 400}
        assert app.scopes == []
        assert "bad WebSocket event, answering 400 without calling the app: the event flags" in (
            caplog.text
        )

    def test_malformed_event_is_400(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        app, handler = adapter_for(make_adapter, accept)
        event = websocket_connect_event()
        event["requestContext"]["identity"] = "203.0.113.10"
        assert handler(event, context) == {"statusCode": 400}
        assert app.scopes == []
        assert "malformed event: AttributeError" in caplog.text


class TestOptions:
    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"websocket_path": 3}, "websocket_path: must be a string, got 3"),
            ({"websocket_store": object()}, "websocket_store: <object object at"),
            ({"websocket_api": "boto3"}, "websocket_api: 'boto3' lacks the method(s) post, delete"),
            (
                {"websocket_endpoint": "ws.example.com"},
                "websocket_endpoint: must be an https:// URL, got 'ws.example.com'",
            ),
            ({"websocket_replies": "chat"}, "websocket_replies: must be True, False or a list"),
            ({"websocket_replies": [""]}, "websocket_replies: route keys must be strings, got ''"),
            ({"websocket_replies": 3}, "websocket_replies: must be a list, got 3"),
        ],
    )
    def test_invalid_options(self, options: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as raised:
            Adapter(WebSocketApp(accept), lifespan="off", **options)
        assert str(raised.value).startswith(message)

    def test_endpoint_loses_its_trailing_slash(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        app, handler = adapter_for(
            make_adapter, accept, websocket_endpoint="http://127.0.0.1:9000/local/"
        )
        handler(websocket_connect_event(), context)
        assert websocket_info(app.scope)["endpoint"] == "http://127.0.0.1:9000/local"  # type: ignore[index]


class FakeManagement:
    """Stands in for lambda_asgi.websocket._management (the wsconn branch's module)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.module = types.ModuleType("lambda_asgi.websocket._management")
        self.module.endpoint_for = self.endpoint_for  # type: ignore[attr-defined]
        self.module.management_api = self.management_api  # type: ignore[attr-defined]

    def endpoint_for(self, event: Any, override: str | None = None) -> str:
        self.calls.append(("endpoint_for", event["requestContext"]["eventType"], override))
        return override or ENDPOINT

    def management_api(self, endpoint: str | None) -> FakeManagement:
        self.calls.append(("management_api", endpoint))
        return self

    async def post(self, connection_id: str, data: bytes, *, request_id: str = "-") -> None:
        self.calls.append(("post", connection_id, data, request_id))

    async def delete(self, connection_id: str, *, request_id: str = "-") -> None:
        self.calls.append(("delete", connection_id, request_id))


def test_default_sender_is_the_management_api_of_the_event(
    make_adapter: AdapterFactory, context: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeManagement()
    monkeypatch.setitem(sys.modules, "lambda_asgi.websocket._management", fake.module)

    async def script(receive: Receive, send: Send) -> None:
        await send({"type": "websocket.send", "text": "hi"})
        await send({"type": "websocket.close"})

    _, handler = adapter_for(make_adapter, script, websocket_endpoint="https://ws.example.com/p")
    handler(websocket_message_event(), context)
    request_id = context.aws_request_id
    assert fake.calls == [
        ("endpoint_for", "MESSAGE", "https://ws.example.com/p"),
        ("management_api", "https://ws.example.com/p"),
        ("post", CONNECTION, b"hi", request_id),
        ("endpoint_for", "MESSAGE", "https://ws.example.com/p"),
        ("management_api", "https://ws.example.com/p"),
        ("delete", CONNECTION, request_id),
    ]


def test_deadline_answers_504(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async def script(receive: Receive, send: Send) -> None:
        await asyncio.Event().wait()

    _, handler = adapter_for(make_adapter, script, timeout_margin=0.0)
    result = handler(websocket_message_event(), FakeContext(timeout_ms=0))
    assert result == {"statusCode": 504}
    assert "answered 504 (WebSocket $default, aws_request_id=" in caplog.text


def test_a_script_that_catches_the_deadline_answers_as_usual(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    sends = CapturedSends()

    async def script(receive: Receive, send: Send) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await send({"type": "websocket.send", "text": "late but here"})

    _, handler = adapter_for(make_adapter, script, timeout_margin=0.0, websocket_api=sends)
    result = handler(websocket_message_event(), FakeContext(timeout_ms=20))
    assert result == {"statusCode": 200}
    assert [message for messages in sends.sent.values() for message in messages] == [
        b"late but here"
    ]
    assert caplog.record_tuples == []
    assert handler._expired == {}  # the guard's record of the invocation is not kept


def test_without_a_deadline_guard_a_message_is_served(make_adapter: AdapterFactory) -> None:
    sends = CapturedSends()

    async def script(receive: Receive, send: Send) -> None:
        await send({"type": "websocket.send", "text": "hi"})

    _, handler = adapter_for(make_adapter, script, timeout_margin=None, websocket_api=sends)
    assert handler(websocket_message_event(), FakeContext()) == {"statusCode": 200}
    assert [message for messages in sends.sent.values() for message in messages] == [b"hi"]


def test_a_foreign_cancellation_propagates(make_adapter: AdapterFactory) -> None:
    async def script(receive: Receive, send: Send) -> None:
        started.set()
        await asyncio.Event().wait()

    _, handler = adapter_for(make_adapter, script)

    async def main() -> None:
        handling = asyncio.ensure_future(handler.handle(websocket_message_event(), FakeContext()))
        await started.wait()
        handling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await handling

    started = asyncio.Event()
    asyncio.run(main())


def test_the_source_translates_on_its_own(context: FakeContext) -> None:
    from lambda_asgi._model import Config, Response

    event = websocket_connect_event()
    assert detect(event) is WEBSOCKET
    scope, payload = WEBSOCKET.to_scope(event, context, Config())
    assert (scope["path"], payload) == ("/prod/", b"")
    answer = WEBSOCKET.to_response(Response(204, [], b""), event, Config())
    assert answer == {"statusCode": 204}


def test_accept_then_close_without_a_store_refuses(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    async def script(receive: Receive, send: Send) -> None:
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close"})

    _, handler = adapter_for(make_adapter, script)
    assert handler(websocket_connect_event(), context) == {"statusCode": 403}


class TestCapturedSends:
    def test_records_posts_and_closes_per_connection(self) -> None:
        captured = CapturedSends(gone={"old="})

        async def main() -> dict[str, Any]:
            await captured.post("a=", b"one")
            await captured.post("b=", "zoë".encode())
            await captured.post("a=", b"two")
            await captured.delete("a=")
            await captured.delete("a=")  # twice: recorded once, like a 410 on the second
            await captured.delete("old=")
            with pytest.raises(ConnectionGoneError) as gone:
                await captured.post("a=", b"three")
            assert gone.value.connection_id == "a="
            with pytest.raises(ConnectionGoneError):
                await captured.get("old=")
            with pytest.raises(MessageTooLargeError):
                await captured.post("b=", bytes(128 * 1024 + 1))
            return await captured.get("b=")

        info = asyncio.run(main())
        assert captured.sent == {"a=": [b"one", b"two"], "b=": ["zoë".encode()]}
        assert (captured.texts("b="), captured.texts("nobody=")) == (["zoë"], [])
        assert captured.closed == ["a="]
        assert captured.gone == {"old=", "a="}
        assert repr(captured) == (
            "CapturedSends(sent={'a=': [b'one', b'two'], 'b=': [b'zo\\xc3\\xab']}, closed=['a='])"
        )
        at = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
        assert info == {
            "connectedAt": at,
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "Mozilla/5.0"},
            "lastActiveAt": at,
        }

    def test_builders_make_fresh_events(self) -> None:
        first, second = websocket_connect_event(), websocket_connect_event()
        assert first == second
        first["requestContext"]["identity"]["sourceIp"] = "198.51.100.1"
        first["multiValueHeaders"]["Host"].append("x")
        assert second == websocket_connect_event()

    def test_message_and_disconnect_events_match_aws_samples(self) -> None:
        assert websocket_message_event(body=b"\x00") == {
            "requestContext": {
                "routeKey": "$default",
                "eventType": "MESSAGE",
                "extendedRequestId": "Ob7xKgXnIAMEb1Q=",
                "requestTime": "14/Nov/2023:22:13:31 +0000",
                "messageDirection": "IN",
                "stage": "prod",
                "connectedAt": 1_700_000_000_000,
                "requestTimeEpoch": 1_700_000_011_000,
                "identity": {"sourceIp": "203.0.113.10"},
                "requestId": "Ob7xKgXnIAMEb1Q=",
                "domainName": DOMAIN,
                "connectionId": CONNECTION,
                "apiId": "abc123defg",
                "messageId": "L0SQJd3YvHcCIhw=",
            },
            "body": "AA==",
            "isBase64Encoded": True,
        }
        event = websocket_disconnect_event(status_code=1000, reason="bye")
        assert event["headers"] == {"Host": DOMAIN, "x-api-key": "", "X-Forwarded-For": ""}
        assert event["requestContext"]["routeKey"] == "$disconnect"
        assert (
            event["requestContext"]["disconnectStatusCode"],
            event["requestContext"]["disconnectReason"],
        ) == (1000, "bye")


_TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~",
    min_size=1,
    max_size=12,
)
_LATIN_1 = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=20,
).map(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    headers=st.lists(st.tuples(_TOKEN, _LATIN_1), max_size=6),
    query=st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)), max_size=6),
    subprotocols=st.lists(_TOKEN, max_size=4),
)
def test_scope_round_trips_headers_query_and_subprotocols(
    headers: list[tuple[str, str]], query: list[tuple[str, str]], subprotocols: list[str]
) -> None:
    from lambda_asgi._model import Config

    extra = [(f"X-T-{name}", value) for name, value in headers]
    event = websocket_connect_event(headers=extra, query=query, subprotocols=subprotocols)
    built: Any = WEBSOCKET.to_scope(event, FakeContext(), Config())
    scope = built[0]
    grouped: dict[str, list[str]] = {}
    for name, value in extra:
        grouped.setdefault(name, []).append(value)
    expected_headers = [
        (name.lower().encode(), value.encode("latin-1"))
        for name, values in grouped.items()
        for value in values
    ]
    tail = scope["headers"][len(scope["headers"]) - len(expected_headers) :]
    assert tail == expected_headers
    grouped_query: dict[str, list[str]] = {}
    for name, value in query:
        grouped_query.setdefault(name, []).append(value)
    assert parse_qsl(scope["query_string"].decode("ascii"), keep_blank_values=True) == [
        (name, value) for name, values in grouped_query.items() for value in values
    ]
    assert scope["subprotocols"] == subprotocols
