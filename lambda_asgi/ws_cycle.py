"""One API Gateway WebSocket invocation as one ASGI websocket cycle: the ``receive``/``send``
pair, the protocol checks, the Management API calls and the connection store, and the
Lambda result.

Every invocation starts with ``websocket.connect``. On ``$connect`` the app answers the
handshake: ``websocket.accept`` gives 200 (with the chosen subprotocol), ``websocket.close``
403, the denial response extension the app's own response; the connection exists only once
``$connect`` returned, so a ``websocket.send`` there is an error. On a MESSAGE the app gets
the frame, then ``websocket.disconnect`` with :data:`~lambda_asgi.END_OF_INVOCATION`: the
invocation is over, the connection stays open. Its sends are posted to the connection through
the Management API (or, on two-way routes when configured, returned as the route response).
On ``$disconnect`` the app gets the disconnect with AWS's code and reason. ``receive()``
never waits: everything an invocation holds is known when it starts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._exchange import checked_headers, checked_status
from ._model import Config, Response
from ._types import ASGIApp, Headers, LambdaContext, Message
from .exceptions import (
    ConnectionGoneError,
    InvalidRequestError,
    MessageTooLargeError,
    ProtocolError,
)
from .logs import lambda_extension, log_access
from .sources import END_OF_INVOCATION
from .sources import websocket as source
from .sources._request import header_bytes

if TYPE_CHECKING:
    from typing import Protocol

    from .powertools import Powertools

    class Sender(Protocol):
        """What sends to connections: the Management API client, or a test double."""

        async def post(self, connection_id: str, data: bytes, *, request_id: str = "-") -> None: ...

        async def delete(self, connection_id: str, *, request_id: str = "-") -> None: ...


logger = logging.getLogger("lambda_asgi")

MAX_MESSAGE_BYTES = 128 * 1024
"""The largest message API Gateway delivers to a connection (the Management API's limit)."""

END_REASON = "end of invocation"
"""The reason of the :data:`~lambda_asgi.END_OF_INVOCATION` disconnect."""


class WebSocketOptions:
    """The Adapter's WebSocket options, validated: the app's path, the connection store, the
    sender (None: the Management API of the event's endpoint), the endpoint override, and the
    route keys whose sends are returned as the route response (``True``: every route)."""

    __slots__ = ("api", "endpoint", "path", "replies", "store")

    def __init__(
        self,
        path: str = "",
        store: Any = None,
        api: Any = None,
        endpoint: str | None = None,
        replies: bool | frozenset[str] = False,
    ) -> None:
        self.path = path
        self.store = store
        self.api = api
        self.endpoint = endpoint
        self.replies = replies

    def replies_on(self, route_key: Any) -> bool:
        replies = self.replies
        return replies if isinstance(replies, bool) else route_key in replies


def sender(event: Mapping[str, Any], options: WebSocketOptions) -> Sender:
    """The configured sender, else the process-wide Management API client of the event's
    endpoint (boto3 is imported here, by the first send or close that needs it)."""
    if options.api is not None:
        return options.api  # type: ignore[no-any-return]
    from importlib import import_module

    # By name: the module comes with the boto3-backed client, which imports boto3 lazily.
    management = import_module("lambda_asgi.websocket._management")
    return management.management_api(management.endpoint_for(event, options.endpoint))  # type: ignore[no-any-return]


async def handle(
    app: ASGIApp,
    event: Mapping[str, Any],
    context: LambdaContext,
    state: dict[str, Any],
    config: Config,
    options: WebSocketOptions,
    *,
    access_log: bool = False,
    powertools: Powertools | None = None,
) -> dict[str, Any]:
    """Serve one WebSocket event and return the integration's result; with ``access_log``,
    log its line (the route key in the method's place), through ``powertools`` if given."""
    started = time.perf_counter()
    request_id = getattr(context, "aws_request_id", "-")
    try:
        scope, payload = source.to_scope(event, context, config, options.path, options.endpoint)
    except InvalidRequestError as exc:
        reason = exc.reason
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        reason = f"malformed event: {type(exc).__name__}: {exc}"
    else:
        scope["state"] = state
        info = scope["extensions"][source.EXTENSION]
        store = options.store
        if store is not None and info["event_type"] != "CONNECT":
            record = await store.load(info["connection_id"])
            if record is not None:
                source.restore(scope, record)
        scope["extensions"]["aws.lambda"] = lambda_extension(source.WEBSOCKET.name, context)
        route_key = str(info["route_key"])
        root_path, path = scope["root_path"], scope["path"]

        async def respond() -> Response:
            response = await run_websocket(app, scope, event, payload, options, request_id)
            if access_log:
                size = len(response.body)
                log_access(
                    source.WEBSOCKET.name,
                    scope,
                    root_path,
                    route_key,
                    path,
                    response.status,
                    size,
                    started,
                )
            return response

        if powertools is None:
            response = await respond()
        else:
            response = await powertools.serve(respond, scope, source.WEBSOCKET.name, event, context)
        if store is not None and info["event_type"] == "DISCONNECT":
            await store.remove(info["connection_id"])
        return source.to_response(response, event, config)
    logger.warning(
        "bad WebSocket event, answering 400 without calling the app: %s (aws_request_id=%s)",
        reason,
        request_id,
    )
    return {"statusCode": 400}


def _data(message: Message) -> tuple[bytes, bool]:
    """The payload of a ``websocket.send`` and whether it is text; exactly one of ``text``
    and ``bytes`` must be set."""
    text, data = message.get("text"), message.get("bytes")
    if isinstance(text, str) and data is None:
        return text.encode("utf-8"), True
    if isinstance(data, bytes | bytearray | memoryview) and text is None:
        return bytes(data), False
    raise ProtocolError(
        "'websocket.send' needs exactly one of 'text' (str) and 'bytes' (bytes), "
        f"got text={text!r:.40} and bytes={data!r:.40}"
    )


async def run_websocket(
    app: ASGIApp,
    scope: dict[str, Any],
    event: Mapping[str, Any],
    payload: bytes,
    options: WebSocketOptions,
    request_id: str,
) -> Response:
    """Run the app for one WebSocket event; the Response is the integration's answer."""
    info = scope["extensions"][source.EXTENSION]
    event_type: str = info["event_type"]
    connection_id: str = info["connection_id"]
    where = (
        f"{event_type} {info['route_key']}, connection {connection_id}, aws_request_id={request_id}"
    )
    two_way = event_type == "MESSAGE" and options.replies_on(info["route_key"])
    offered: list[str] = scope["subprotocols"]
    store = options.store

    connected = False  # websocket.connect delivered
    delivered = False  # the MESSAGE frame delivered
    ended: int | None = None  # the code of the disconnect delivered
    accepted = False
    refused = False  # closed during $connect
    closed: tuple[int, str] | None = None  # the app's close of an open connection
    chosen: str | None = None
    accept_headers: Headers = []
    denial: Response | None = None
    denied = False
    reply: bytes | None = None
    violation: str | None = None

    async def receive() -> Message:
        nonlocal connected, delivered, ended
        if not connected:
            connected = True
            return {"type": "websocket.connect"}
        if event_type == "MESSAGE" and not delivered and closed is None:
            delivered = True
            return source.frame_of(event, payload)
        if event_type == "DISCONNECT":
            code, reason = source.disconnect_of(event)
        elif closed is not None:
            code, reason = closed
        else:
            code, reason = END_OF_INVOCATION, END_REASON
        ended = code
        return {"type": "websocket.disconnect", "code": code, "reason": reason}

    async def handshake(kind: object, message: Message) -> None:
        nonlocal accepted, refused, chosen, accept_headers, denial, denied
        if denial is not None and not denied:
            if kind != "websocket.http.response.body":
                raise ProtocolError(f"expected 'websocket.http.response.body', got {kind!r}")
            chunk = message.get("body", b"")
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise ProtocolError(f"'body' must be bytes, got {type(chunk).__name__}")
            denial.body += bytes(chunk)
            denied = not message.get("more_body", False)
        elif accepted and kind == "websocket.close":
            # Accepted then closed before $connect returned: the connection never opens.
            logger.info("app closed the connection during $connect; refusing it (%s)", where)
            accepted, refused = False, True
            if store is not None:
                await store.remove(connection_id)
        elif accepted and kind == "websocket.send":
            raise ProtocolError(
                "'websocket.send' during $connect: API Gateway opens the connection only "
                "after $connect returns; send from a later message, or from elsewhere with "
                "the connection id"
            )
        elif accepted or refused or denial is not None:
            raise ProtocolError(f"{kind!r} after the handshake was answered")
        elif kind == "websocket.accept":
            subprotocol = message.get("subprotocol")
            if subprotocol is not None and subprotocol not in offered:
                raise ProtocolError(
                    f"subprotocol {subprotocol!r} was not offered by the client "
                    f"(offered: {offered})"
                )
            accept_headers = checked_headers(message.get("headers"))
            if store is not None:
                await store.save(source.record_of(scope, subprotocol))
            accepted, chosen = True, subprotocol
        elif kind == "websocket.close":
            refused = True
        elif kind == "websocket.http.response.start":
            status = checked_status(message.get("status"))
            if status < 300:
                # API Gateway opens the connection on any 2xx: that would be no denial.
                raise ProtocolError(
                    f"a denial response needs a status of 300 or more, got {status}"
                )
            denial = Response(status, checked_headers(message.get("headers")), b"")
        else:
            raise ProtocolError(
                "expected 'websocket.accept', 'websocket.close' or "
                f"'websocket.http.response.start' during $connect, got {kind!r}"
            )

    async def connection(kind: object, message: Message) -> None:
        nonlocal closed, reply
        if kind == "websocket.accept":
            return  # the connection is open already
        if kind == "websocket.send":
            data, _ = _data(message)
            if len(data) > MAX_MESSAGE_BYTES:
                raise MessageTooLargeError(len(data), MAX_MESSAGE_BYTES)
            if event_type == "DISCONNECT" or closed is not None:
                raise ConnectionGoneError(connection_id)
            if not two_way:
                await sender(event, options).post(connection_id, data, request_id=request_id)
            elif reply is None:
                reply = data
            else:
                raise ProtocolError(
                    "a second 'websocket.send' on a two-way route: the route response "
                    "carries one message"
                )
        elif kind == "websocket.close":
            if event_type == "DISCONNECT" or closed is not None:
                return  # gone already
            code = message.get("code")
            reason = message.get("reason")
            closed = (
                code if type(code) is int else 1000,
                reason if isinstance(reason, str) else "",
            )
            await sender(event, options).delete(connection_id, request_id=request_id)
        else:
            raise ProtocolError(
                f"{kind!r} is not valid once the connection is open (only 'websocket.send' "
                "and 'websocket.close'; the denial response belongs to $connect)"
            )

    async def send(message: Message) -> None:
        nonlocal violation
        try:
            if not isinstance(message, dict):
                raise ProtocolError(f"messages must be dicts, got {message!r:.40}")
            kind = message.get("type")
            if event_type == "CONNECT":
                await handshake(kind, message)
            else:
                await connection(kind, message)
        except ProtocolError as exc:
            violation = str(exc)
            logger.error("ASGI protocol violation: %s (%s)", violation, where)
            raise

    failed = False
    try:
        await app(scope, receive, send)
    except Exception as exc:
        if ended is not None and getattr(exc, "code", None) == ended:
            # The app let the disconnect it was given escape (Starlette's
            # WebSocketDisconnect): its way of ending, not a failure.
            logger.debug("ASGI app ended with the disconnect it received (%s)", where)
        else:
            if not (isinstance(exc, ProtocolError) and str(exc) == violation):
                logger.exception("ASGI app raised (%s)", where)
            failed = True
    if event_type != "CONNECT":
        if reply is not None:
            return Response(200, [], reply)  # as sent, even if the app failed afterwards
        return Response(500 if failed else 200, [], b"")
    if denial is not None and denied:
        return denial  # as sent, even if the app failed afterwards
    if failed:
        if accepted and store is not None:
            await store.remove(connection_id)
        return Response(500, [], b"")
    if accepted:
        if chosen is not None:
            accept_headers = [*accept_headers, (b"Sec-WebSocket-Protocol", header_bytes(chosen))]
        return Response(200, accept_headers, b"")
    if refused:
        return Response(403, [], b"")
    what = (
        "before finishing its denial response"
        if denial is not None
        else "without accepting or closing the connection"
    )
    logger.error("ASGI app returned %s; answering 500 (%s)", what, where)
    return Response(500, [], b"")
