"""API Gateway WebSocket events (``$connect``, messages, ``$disconnect``), shaped after real
ones, and :class:`CapturedSends`, which records what an app sends to its connections.
"""

from __future__ import annotations

from base64 import b64encode
from datetime import datetime, timezone
from typing import Any

from ..exceptions import ConnectionGoneError, MessageTooLargeError
from ._common import (
    _API_DOMAIN,
    _API_ID,
    _APIGW_REQUEST_ID,
    _EPOCH_MS,
    _SOURCE_IP,
    _TRACE_ID,
    _clf_time,
    _group,
    _Headers,
    _last,
    _pairs,
    _Query,
    _raw_query,
    _split_query,
)

_CONNECTION_ID = "L0SM9cOFvHcCIhw="
_MESSAGE_ID = "L0SQJd3YvHcCIhw="
_SEC_WEBSOCKET_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's sample nonce
_MAX_MESSAGE_BYTES = 128 * 1024


def _request_context(
    *,
    event_type: str,
    route_key: str,
    connection_id: str,
    stage: str,
    domain_name: str,
    api_id: str,
    source_ip: str,
    connected_at: int,
    request_time: int,
    authorizer: dict[str, Any] | None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": _APIGW_REQUEST_ID,
        "requestTime": _clf_time(request_time),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": connected_at,
        "requestTimeEpoch": request_time,
        "identity": {"sourceIp": source_ip},
        "requestId": _APIGW_REQUEST_ID,
        "domainName": domain_name,
        "connectionId": connection_id,
        "apiId": api_id,
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    return context


def websocket_connect_event(
    *,
    headers: _Headers = None,
    query: _Query = None,
    subprotocols: list[str] | tuple[str, ...] = (),
    connection_id: str = _CONNECTION_ID,
    stage: str = "prod",
    domain_name: str = _API_DOMAIN,
    api_id: str = _API_ID,
    source_ip: str = _SOURCE_IP,
    connected_at: int = _EPOCH_MS,
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``$connect`` event of a client opening ``wss://{domain_name}/{stage}?{query}``.

    ``headers`` are the client's extra headers, in its casing, added to those every browser
    handshake carries (``Host``, ``Sec-WebSocket-Key`` ...); ``subprotocols`` become its
    ``Sec-WebSocket-Protocol`` header; ``authorizer`` is a Lambda authorizer's context.

    >>> event = websocket_connect_event(query="room=lobby", subprotocols=["chat"])
    >>> event["requestContext"]["eventType"], event["queryStringParameters"]
    ('CONNECT', {'room': 'lobby'})
    >>> event["headers"]["Sec-WebSocket-Protocol"]
    'chat'
    """
    pairs = [
        ("Host", domain_name),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
        ("Sec-WebSocket-Key", _SEC_WEBSOCKET_KEY),
        ("Sec-WebSocket-Version", "13"),
    ]
    if subprotocols:
        pairs.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    pairs += [
        ("X-Amzn-Trace-Id", _TRACE_ID),
        ("X-Forwarded-For", source_ip),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
        *_pairs(headers),
    ]
    grouped_headers = _group(pairs)
    grouped_query = _group(_split_query(_raw_query(query), decode=True))
    event: dict[str, Any] = {
        "headers": _last(grouped_headers),
        "multiValueHeaders": grouped_headers,
    }
    if grouped_query:
        event["queryStringParameters"] = _last(grouped_query)
        event["multiValueQueryStringParameters"] = grouped_query
    event["requestContext"] = _request_context(
        event_type="CONNECT",
        route_key="$connect",
        connection_id=connection_id,
        stage=stage,
        domain_name=domain_name,
        api_id=api_id,
        source_ip=source_ip,
        connected_at=connected_at,
        request_time=connected_at,
        authorizer=authorizer,
    )
    event["isBase64Encoded"] = False
    return event


def websocket_message_event(
    *,
    body: str | bytes = '{"action": "sendmessage", "data": "hello"}',
    route_key: str = "$default",
    connection_id: str = _CONNECTION_ID,
    message_id: str = _MESSAGE_ID,
    stage: str = "prod",
    domain_name: str = _API_DOMAIN,
    api_id: str = _API_ID,
    source_ip: str = _SOURCE_IP,
    connected_at: int = _EPOCH_MS,
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message from the client on the route ``route_key``: a text frame for a ``str``
    ``body``, base64 with ``isBase64Encoded`` for ``bytes`` (a binary frame the API converts).

    >>> event = websocket_message_event(body="hi", route_key="chat")
    >>> event["requestContext"]["routeKey"], event["body"], event["isBase64Encoded"]
    ('chat', 'hi', False)
    """
    context = _request_context(
        event_type="MESSAGE",
        route_key=route_key,
        connection_id=connection_id,
        stage=stage,
        domain_name=domain_name,
        api_id=api_id,
        source_ip=source_ip,
        connected_at=connected_at,
        request_time=connected_at + 11_000,
        authorizer=authorizer,
    )
    context["messageId"] = message_id
    binary = isinstance(body, bytes)
    text = b64encode(body).decode("ascii") if isinstance(body, bytes) else body
    return {"requestContext": context, "body": text, "isBase64Encoded": binary}


def websocket_disconnect_event(
    *,
    status_code: int = 1001,
    reason: str = "Going away",
    connection_id: str = _CONNECTION_ID,
    stage: str = "prod",
    domain_name: str = _API_DOMAIN,
    api_id: str = _API_ID,
    source_ip: str = _SOURCE_IP,
    connected_at: int = _EPOCH_MS,
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``$disconnect`` event of a connection that closed with ``status_code`` and
    ``reason`` (AWS reports 1005 with "Client-side close frame status not set" when the
    client's close frame had no code, 1006 when the connection dropped).

    >>> websocket_disconnect_event(status_code=1000)["requestContext"]["disconnectStatusCode"]
    1000
    """
    context = _request_context(
        event_type="DISCONNECT",
        route_key="$disconnect",
        connection_id=connection_id,
        stage=stage,
        domain_name=domain_name,
        api_id=api_id,
        source_ip=source_ip,
        connected_at=connected_at,
        request_time=connected_at + 374_000,
        authorizer=authorizer,
    )
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    grouped = {"Host": [domain_name], "x-api-key": [""], "X-Forwarded-For": [""]}
    return {
        "headers": _last(grouped),
        "multiValueHeaders": grouped,
        "requestContext": context,
        "isBase64Encoded": False,
    }


class CapturedSends:
    """Records what an app sends to its WebSocket connections, instead of calling AWS.

    Pass it as ``Adapter(app, websocket_api=captured)``; it has the Management API's
    ``post``, ``delete`` and ``get``. ``sent`` maps each connection id to the messages
    posted to it (bytes, in order), ``closed`` lists the connections the app closed, and
    connections listed in ``gone`` answer like a connection that no longer exists (410).
    Like the Management API, it refuses a message over 128 KB.

    >>> import asyncio
    >>> captured = CapturedSends()
    >>> asyncio.run(captured.post("abc=", b"hello"))
    >>> captured.sent, captured.texts("abc=")
    ({'abc=': [b'hello']}, ['hello'])
    """

    def __init__(self, *, gone: set[str] | frozenset[str] = frozenset()) -> None:
        self.sent: dict[str, list[bytes]] = {}
        self.closed: list[str] = []
        self.gone = set(gone)

    def __repr__(self) -> str:
        return f"CapturedSends(sent={self.sent!r}, closed={self.closed!r})"

    def texts(self, connection_id: str) -> list[str]:
        """The messages posted to ``connection_id``, decoded as UTF-8."""
        return [data.decode("utf-8") for data in self.sent.get(connection_id, [])]

    async def post(self, connection_id: str, data: bytes, *, request_id: str = "-") -> None:
        """Record ``data`` as sent to ``connection_id``."""
        if len(data) > _MAX_MESSAGE_BYTES:
            raise MessageTooLargeError(len(data), _MAX_MESSAGE_BYTES)
        if connection_id in self.gone:
            raise ConnectionGoneError(connection_id)
        self.sent.setdefault(connection_id, []).append(bytes(data))

    async def delete(self, connection_id: str, *, request_id: str = "-") -> None:
        """Record that the app closed ``connection_id``; it is gone afterwards."""
        if connection_id not in self.gone:
            self.closed.append(connection_id)
            self.gone.add(connection_id)

    async def get(self, connection_id: str, *, request_id: str = "-") -> dict[str, Any]:
        """What the Management API says of a connection (fixed, realistic values)."""
        if connection_id in self.gone:
            raise ConnectionGoneError(connection_id)
        at = datetime.fromtimestamp(_EPOCH_MS / 1000, tz=timezone.utc)
        return {
            "connectedAt": at,
            "identity": {"sourceIp": _SOURCE_IP, "userAgent": "Mozilla/5.0"},
            "lastActiveAt": at,
        }
