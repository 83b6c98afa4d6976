"""The events an API Gateway WebSocket API sends, built for ``serve --source websocket``.

One connection's ``$connect`` (its handshake's headers and query, as ``headers`` /
``multiValueHeaders`` and ``queryStringParameters`` / ``multiValueQueryStringParameters``),
each message (the frame's text as ``body``, routed by the route selection expression) and its
``$disconnect`` (AWS's sparse headers, the close code and reason). Every ``requestContext``
carries the connection id, ``connectedAt``, the request time, the stage, the domain (the
``Host`` the client used) and the client's address, as AWS sends them.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from ._app import CliError

API_ID = "abc123defg"
DEFAULT_STAGE = "local"
"""The stage name of a client that connects to ``/`` (``/{stage}`` names its own)."""
_ID_ALPHABET = string.ascii_letters + string.digits
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BODY_EXPRESSION = "$request.body."
# The handshake's own headers, and the forwarding ones AWS writes itself.
_NOT_FORWARDED = frozenset(
    {
        "connection",
        "content-length",
        "keep-alive",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-port",
        "x-forwarded-proto",
    }
)


def new_id() -> str:
    """An id shaped like AWS's connection, message and request ids: ``L0SM9cOFvHcCIhw=``."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(15)) + "="


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Client:
    """What AWS knows about one connection, from its handshake."""

    source_ip: str
    user_agent: str | None
    domain: str
    stage: str
    connection_id: str = field(default_factory=new_id)
    connected_at: int = field(default_factory=now_ms)


def canonical(name: str) -> str:
    """A lowercase header name as clients spell it (``Sec-WebSocket-Key``)."""
    words = [word.capitalize() for word in name.split("-")]
    return "-".join("WebSocket" if word == "Websocket" else word for word in words)


def connect_event(
    client: Client, headers: list[tuple[str, str]], query: str, port: int
) -> dict[str, Any]:
    """``$connect``: the handshake's headers (with the front door's forwarding headers) and
    query, decoded."""
    pairs = [(canonical(name), value) for name, value in headers if name not in _NOT_FORWARDED]
    forwarded_for = ", ".join(
        [*(value for name, value in headers if name == "x-forwarded-for"), client.source_ip]
    )
    pairs += [
        ("X-Amzn-Trace-Id", f"Root=1-{client.connected_at // 1000:08x}-{secrets.token_hex(12)}"),
        ("X-Forwarded-For", forwarded_for),
        ("X-Forwarded-Port", str(port)),
        ("X-Forwarded-Proto", "http"),
    ]
    event: dict[str, Any] = {
        "headers": _last(pairs),
        "multiValueHeaders": _grouped(pairs),
    }
    parameters = parse_qsl(query, keep_blank_values=True)
    if parameters:
        event["queryStringParameters"] = _last(parameters)
        event["multiValueQueryStringParameters"] = _grouped(parameters)
    event["requestContext"] = _context(client, "$connect", "CONNECT")
    event["isBase64Encoded"] = False
    return event


def message_event(client: Client, route_key: str, body: str) -> dict[str, Any]:
    """One text frame, for ``route_key``."""
    context = _context(client, route_key, "MESSAGE", messageId=new_id())
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(client: Client, code: int, reason: str) -> dict[str, Any]:
    """``$disconnect``, with the sparse headers AWS sends then; a close without a status
    (1005) gets AWS's reason for it."""
    if code == 1005 and not reason:
        reason = "Client-side close frame status not set"
    pairs = [("Host", client.domain), ("x-api-key", ""), ("X-Forwarded-For", ""), ("x-restapi", "")]
    context = _context(
        client, "$disconnect", "DISCONNECT", disconnectStatusCode=code, disconnectReason=reason
    )
    return {
        "headers": _last(pairs),
        "multiValueHeaders": _grouped(pairs),
        "requestContext": context,
        "isBase64Encoded": False,
    }


def _context(client: Client, route_key: str, event_type: str, **extra: Any) -> dict[str, Any]:
    now = now_ms()
    request_id = new_id()
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": _clf_time(now),
        "messageDirection": "IN",
        "stage": client.stage,
        "connectedAt": client.connected_at,
        "requestTimeEpoch": now,
        "identity": _identity(client),
        "requestId": request_id,
        "domainName": client.domain,
        "connectionId": client.connection_id,
        "apiId": API_ID,
    }
    context.update(extra)
    return context


def _identity(client: Client) -> dict[str, str]:
    identity = {"sourceIp": client.source_ip}
    if client.user_agent is not None:  # AWS leaves it out when the client sent none
        identity["userAgent"] = client.user_agent
    return identity


def _last(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _clf_time(epoch_ms: int) -> str:
    """``09/Feb/2024:18:11:43 +0000``, independent of the process locale."""
    t = time.gmtime(epoch_ms // 1000)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


class RouteSelection:
    """The API's route selection expression (``$request.body.action``) and its routes.

    Like API Gateway, a message goes to the route the expression's value names if that route
    exists, else to ``$default`` (also for a body that is not JSON). ``routes`` None means
    every value names a route (``serve`` cannot see the API's routes unless told).
    """

    def __init__(self, expression: str, routes: frozenset[str] | None) -> None:
        if not expression.startswith(_BODY_EXPRESSION) or expression == _BODY_EXPRESSION:
            raise CliError(
                f"--route-selection must look like '$request.body.action', got {expression!r}"
            )
        self.expression = expression
        self.keys = expression.removeprefix(_BODY_EXPRESSION).split(".")
        self.routes = routes

    def route_for(self, body: str) -> str:
        try:
            value: Any = json.loads(body)
        except ValueError:
            return "$default"
        for key in self.keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, str) or value.startswith("$"):
            return "$default"
        if self.routes is not None and value not in self.routes:
            return "$default"
        return value
