"""``serve --source websocket``: an API Gateway WebSocket API on ``ws://HOST:PORT/``.

Each real WebSocket connection (on ``/`` or ``/{stage}``: a WebSocket API has one URL per
stage) is one API Gateway connection: its handshake is the ``$connect`` invocation, and only a
2xx result accepts it (with the ``Sec-WebSocket-Protocol`` the result chose); any other status
refuses the handshake with that status (uvicorn's ``websocket.http.response`` extension). Each
text frame is a message invocation, routed by :class:`RouteSelection`; a binary frame closes
the connection with 1003, as AWS does; the close is the ``$disconnect`` invocation.

The same port serves the Management API, ``POST|GET|DELETE [/prefix]/@connections/{id}``,
with the status codes and error bodies of the real one, so boto3's
``apigatewaymanagementapi`` client (pointed here by ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``)
works unchanged. Those calls are answered on uvicorn's loop and never wait for the handler's
thread: a handler posts to its own connection during its invocation.
"""

from __future__ import annotations

import asyncio
import binascii
import json
import logging
import os
from base64 import b64decode
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ._http import ServerStoppingError
from ._ws_events import (
    DEFAULT_STAGE,
    Client,
    RouteSelection,
    connect_event,
    disconnect_event,
    message_event,
    now_ms,
)
from .serve import authority

if TYPE_CHECKING:
    from .._types import Receive, Scope, Send
    from .serve import LocalServer

logger = logging.getLogger("lambda_asgi.cli")

MAX_MESSAGE_BYTES = 128 * 1024
"""The Management API's limit on ``Data`` (and AWS's on a message)."""
_MARKER = b"/@connections/"
_JSON = (b"content-type", b"application/json")


class _Connection:
    """One open connection: how to reach it, and what GET @connections reports."""

    def __init__(self, client: Client, send: Send) -> None:
        self.client = client
        self.last_active = client.connected_at
        self.send = send
        self.lock = asyncio.Lock()  # frames from the handler and from this server, in turn
        self.closing = False

    async def deliver(self, message: dict[str, Any]) -> None:
        async with self.lock:
            await self.send(message)


class WebSocketAPI:
    """The ASGI app uvicorn runs for ``--source websocket``."""

    def __init__(self, selection: RouteSelection, two_way: frozenset[str] = frozenset()) -> None:
        self.selection = selection
        self.two_way = two_way
        self.connections: dict[str, _Connection] = {}
        self.server: LocalServer

    def bind(self, server: LocalServer) -> None:
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._connection(scope, receive, send)
            return
        _, marker, connection_id = scope["raw_path"].partition(_MARKER)
        if not marker or not connection_id or b"/" in connection_id:
            await _answer(send, 404, {"message": "Not Found: connect with a WebSocket client"})
            return
        await self._manage(scope, receive, send, unquote(connection_id.decode("latin-1")))

    # -- one WebSocket connection --------------------------------------------------------

    async def _connection(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        stage = scope["path"].strip("/")
        if "/" in stage or "@" in stage:
            await _deny(send, 404, b'{"message":"Not Found"}')
            return
        headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
        host = next((v for n, v in headers if n == "host"), self.server.host)
        source_ip = scope["client"][0] if scope.get("client") else "127.0.0.1"
        user_agent = next((v for n, v in headers if n == "user-agent"), None)
        client = Client(source_ip, user_agent, host, stage or DEFAULT_STAGE)
        query = scope["query_string"].decode("latin-1")
        event = connect_event(client, headers, query, self.server.port)
        result = await self._invoke(event, "$connect", client)
        status = _status(result)
        if not 200 <= status < 300:
            await _deny(send, status, _body(result))
            self._log(client, "$connect", status)
            return
        connection = _Connection(client, send)
        self.connections[client.connection_id] = connection
        try:
            subprotocol = _header(result, "sec-websocket-protocol")
            await connection.deliver({"type": "websocket.accept", "subprotocol": subprotocol})
            self._log(client, "$connect", status)
            code, reason = await self._messages(connection, receive)
        finally:
            del self.connections[client.connection_id]
        await self._invoke(disconnect_event(client, code, reason), "$disconnect", client)
        self._log(client, "$disconnect", code)

    async def _messages(self, connection: _Connection, receive: Receive) -> tuple[int, str]:
        """Invoke the handler for each frame until the connection closes; its close code and
        reason."""
        client = connection.client
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return int(message.get("code", 1005)), str(message.get("reason") or "")
            connection.last_active = now_ms()
            text = message.get("text")
            if text is None:
                reason = "Binary frames are not supported"
                await connection.deliver(
                    {"type": "websocket.close", "code": 1003, "reason": reason}
                )
                return 1003, reason
            route = self.selection.route_for(text)
            result = await self._invoke(message_event(client, route, text), route, client)
            self._log(client, route, _status(result))
            if route in self.two_way and isinstance(result, Mapping) and result.get("body"):
                await self._reply(connection, result)

    async def _reply(self, connection: _Connection, result: Mapping[str, Any]) -> None:
        """A two-way route's integration response: the result's body, to the client."""
        body = result["body"]
        if not isinstance(body, str):
            logger.error("the route response body must be a string, got %s", type(body).__name__)
            return
        if result.get("isBase64Encoded"):
            try:
                data = b64decode(body, validate=True)
            except binascii.Error:
                logger.error("isBase64Encoded is true but the route response body is not base64")
                return
            await connection.deliver({"type": "websocket.send", "bytes": data})
        else:
            await connection.deliver({"type": "websocket.send", "text": body})

    async def _invoke(self, event: dict[str, Any], route: str, client: Client) -> Any:
        """The handler's result as Lambda serializes it; a failure is logged and stands in
        as a 500 result (on ``$connect``, the status the client gets)."""
        try:
            result = await self.server.invoke(event)
            return json.loads(json.dumps(result))
        except ServerStoppingError:
            logger.warning(
                "the server is stopping: %s of %s not invoked", route, client.connection_id
            )
            return {"statusCode": 503}
        except Exception as error:
            logger.error(
                "the handler failed on %s for connection %s: %s: %s",
                route,
                client.connection_id,
                type(error).__name__,
                error,
                exc_info=error,
            )
            return {"statusCode": 500, "body": '{"message": "Internal server error"}'}

    def _log(self, client: Client, route: str, status: int) -> None:
        logger.info("%s %s %s %d", client.source_ip, client.connection_id, route, status)

    # -- the Management API --------------------------------------------------------------

    async def _manage(self, scope: Scope, receive: Receive, send: Send, connection_id: str) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        status = await self._management_call(send, scope["method"], connection_id, body)
        client = scope["client"][0] if scope.get("client") else "-"
        logger.info('%s "%s %s" %d', client, scope["method"], scope["path"], status)

    async def _management_call(
        self, send: Send, method: str, connection_id: str, body: bytes
    ) -> int:
        """Answer one Management API call; return its status."""
        connection = self.connections.get(connection_id)
        if method not in ("POST", "GET", "DELETE"):
            return await _answer(send, 405, {"message": f"Method {method} not allowed"})
        if method == "POST" and len(body) > MAX_MESSAGE_BYTES:
            return await _error(send, 413, "PayloadTooLargeException", "Message too long")
        if connection is None or connection.closing:
            return await _error(send, 410, "GoneException", None)
        if method == "GET":
            client = connection.client
            info = {
                "connectedAt": _iso(client.connected_at),
                "identity": {"sourceIp": client.source_ip, "userAgent": client.user_agent},
                "lastActiveAt": _iso(connection.last_active),
            }
            return await _answer(send, 200, info)
        if method == "POST":
            frame: dict[str, Any] = {"type": "websocket.send"}
            try:
                frame["text"] = body.decode()
            except UnicodeDecodeError:
                frame["bytes"] = body
        else:
            connection.closing = True
            frame = {"type": "websocket.close", "code": 1000}
        try:
            await connection.deliver(frame)
        except OSError:  # the client went away a moment ago; $disconnect is on its way
            connection.closing = True
            return await _error(send, 410, "GoneException", None)
        return await _answer(send, 200 if method == "POST" else 204, None)


def _status(result: Any) -> int:
    """The status of a route's result: a result without one (None, a bare value) is a
    successful invocation, so 200."""
    if not isinstance(result, Mapping):
        return 200
    status = result.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if type(status) is int and 100 <= status <= 599:
        return status
    logger.error("statusCode must be an integer status, got %r; answering 500", status)
    return 500


def _body(result: Any) -> bytes:
    body = result.get("body") if isinstance(result, Mapping) else None
    return body.encode() if isinstance(body, str) else b""


def _header(result: Any, name: str) -> str | None:
    headers = result.get("headers") if isinstance(result, Mapping) else None
    if not isinstance(headers, Mapping):
        return None
    values = [value for key, value in headers.items() if key.lower() == name]
    return str(values[-1]) if values else None


async def _deny(send: Send, status: int, body: bytes) -> None:
    """Refuse a handshake with ``status`` (uvicorn's denial response extension)."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


async def _answer(send: Send, status: int, document: Any) -> int:
    body = b"" if document is None else json.dumps(document).encode()
    headers = [_JSON, (b"content-length", str(len(body)).encode())] if body else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return status


async def _error(send: Send, status: int, kind: str, message: str | None) -> int:
    """A rest-json error as botocore reads it: the type in ``x-amzn-ErrorType``."""
    body = json.dumps({"message": message}).encode()
    headers = [_JSON, (b"x-amzn-errortype", kind.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return status


def _iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def management_environment(host: str, port: int) -> str:
    """Point boto3's ``apigatewaymanagementapi`` clients in this process at this server, with
    dummy credentials and a region when none are configured (boto3 refuses to sign without);
    return the endpoint."""
    # A server listening on every interface is reached through loopback.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    endpoint = f"http://{authority(host, port)}"
    os.environ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"] = endpoint
    configured = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE")
    if not any(name in os.environ for name in configured) and not os.path.exists(
        os.path.expanduser("~/.aws/credentials")
    ):
        os.environ["AWS_ACCESS_KEY_ID"] = "local"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
    if "AWS_REGION" not in os.environ and "AWS_DEFAULT_REGION" not in os.environ:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    return endpoint
