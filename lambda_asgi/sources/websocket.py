"""API Gateway WebSocket APIs: the ASGI ``websocket`` scope (spec 2.4) of a CONNECT, MESSAGE
or DISCONNECT event, and the result each one answers with.

A WebSocket API has one URL per stage, ``wss://{domainName}/{stage}``: every event reaches the
app at the configured ``websocket_path``, under the stage as ``root_path`` on the execute-api
domain (the configured ``base_path`` on a custom domain), as for HTTP APIs. Only ``$connect``
carries the client's headers and query; MESSAGE events carry the frame and the request context
only, DISCONNECT events a few headers and AWS's close code and reason.
"""

from __future__ import annotations

import os
from base64 import b64encode
from collections.abc import Mapping
from typing import Any

from .._model import Config, Response
from .._types import Headers, LambdaContext, Message
from . import WEBSOCKET
from ._request import (
    collect_headers,
    decode_body,
    decoded_query,
    header_bytes,
    management_endpoint,
    multi_headers,
    quote,
    single_headers,
    split_http_api_stage,
)
from ._response import header_text

EXTENSION = "aws.websocket"
"""The scope extension with what API Gateway says about the connection."""

_NO_STATUS = 1005  # RFC 6455: no status code was present (AWS's own value when none was sent)


def endpoint_of(request_context: Mapping[str, Any], override: str | None) -> str | None:
    """The Management API endpoint of the connection: ``override``, else the one the event
    names (:func:`~lambda_asgi.sources._request.management_endpoint`, with the function's
    region); None when that cannot be told."""
    if override:
        return override
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return management_endpoint(request_context, region)


def info_of(request_context: Mapping[str, Any], endpoint: str | None) -> dict[str, Any]:
    """The ``aws.websocket`` extension: every key present, None when AWS did not send it."""
    get = request_context.get
    return {
        "connection_id": get("connectionId"),
        "event_type": get("eventType"),
        "route_key": get("routeKey"),
        "message_id": get("messageId"),
        "domain_name": get("domainName"),
        "stage": get("stage"),
        "api_id": get("apiId"),
        "connected_at": get("connectedAt"),
        "disconnect_status_code": get("disconnectStatusCode"),
        "disconnect_reason": get("disconnectReason"),
        "authorizer": get("authorizer"),
        "request_id": get("requestId"),
        "endpoint": endpoint,
    }


def subprotocols_of(headers: Headers) -> list[str]:
    """The subprotocols the client offered, in its order, from every ``Sec-WebSocket-Protocol``
    header (a comma-separated list each)."""
    return [
        item.strip()
        for name, value in headers
        if name == b"sec-websocket-protocol"
        for item in header_text(value).split(",")
        if item.strip()
    ]


def to_scope(
    event: Mapping[str, Any],
    context: LambdaContext,
    config: Config,
    path: str = "",
    endpoint: str | None = None,
) -> tuple[dict[str, Any], bytes]:
    """The ASGI websocket scope (without ``state``) and the frame's payload (``b""`` unless a
    MESSAGE). ``path`` is the ``websocket_path`` option (``""`` for ``/``), ``endpoint`` the
    Management API endpoint override."""
    request_context = event["requestContext"]
    multi = event.get("multiValueHeaders")
    pairs = multi_headers(multi) if multi else list(single_headers(event.get("headers")))
    headers, watched = collect_headers(pairs)
    query = decoded_query(
        event.get("multiValueQueryStringParameters"), event.get("queryStringParameters")
    )
    root_path, _ = split_http_api_stage(f"/{request_context.get('stage')}", request_context, config)
    route = root_path + (path or "/")
    domain = request_context.get("domainName")
    raw_host = watched.get(b"host")
    host = header_text(raw_host) if raw_host else domain
    source_ip = (request_context.get("identity") or {}).get("sourceIp")
    extensions: dict[str, Any] = {
        EXTENSION: info_of(request_context, endpoint_of(request_context, endpoint))
    }
    if request_context["eventType"] == "CONNECT":
        extensions["websocket.http.response"] = {}
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss",
        "path": route,
        "raw_path": quote(route).encode("ascii"),
        "root_path": root_path,
        "query_string": query,
        "headers": headers,
        "client": (source_ip, 0) if source_ip else None,
        "server": (host, 443) if host else None,
        "subprotocols": subprotocols_of(headers),
        "extensions": extensions,
        "aws.event": event,
        "aws.context": context,
    }
    payload = b""
    if request_context["eventType"] == "MESSAGE":
        payload = decode_body(event.get("body"), bool(event.get("isBase64Encoded")))
    return scope, payload


def frame_of(event: Mapping[str, Any], payload: bytes) -> Message:
    """The ``websocket.receive`` message of a MESSAGE event: ``bytes`` when API Gateway
    flagged the body as base64 (a binary frame), else ``text``."""
    if event.get("isBase64Encoded"):
        return {"type": "websocket.receive", "bytes": payload, "text": None}
    return {"type": "websocket.receive", "bytes": None, "text": event.get("body") or ""}


def disconnect_of(event: Mapping[str, Any]) -> tuple[int, str]:
    """The close code and reason of a DISCONNECT event, as AWS reported them."""
    request_context = event["requestContext"]
    code = request_context.get("disconnectStatusCode")
    reason = request_context.get("disconnectReason")
    return (
        code if type(code) is int else _NO_STATUS,
        reason if isinstance(reason, str) else "",
    )


def to_response(response: Response, event: Mapping[str, Any], config: Config) -> dict[str, Any]:
    """The integration result: ``statusCode``, then ``headers`` (repeats comma-joined) and a
    ``body`` (base64 with ``isBase64Encoded`` unless UTF-8 text) only when there are some."""
    result: dict[str, Any] = {"statusCode": response.status}
    if response.headers:
        headers: dict[str, str] = {}
        for name, value in response.headers:
            key, text = header_text(name), header_text(value)
            headers[key] = f"{headers[key]},{text}" if key in headers else text
        result["headers"] = headers
    if response.body:
        try:
            result["body"] = response.body.decode("utf-8")
            result["isBase64Encoded"] = False
        except UnicodeDecodeError:
            result["body"] = b64encode(response.body).decode("ascii")
            result["isBase64Encoded"] = True
    return result


def record_of(scope: Mapping[str, Any], subprotocol: str | None) -> dict[str, Any]:
    """The connection record ``$connect`` leaves in the connection store: what its scope held
    that later events lack, as JSON-friendly values (header and query bytes as latin-1 text)."""
    client = scope["client"]
    return {
        "connection_id": scope["extensions"][EXTENSION]["connection_id"],
        "path": scope["path"],
        "query_string": scope["query_string"].decode("latin-1"),
        "headers": [
            [name.decode("latin-1"), value.decode("latin-1")] for name, value in scope["headers"]
        ],
        "subprotocol": subprotocol,
        "client": list(client) if client else None,
        "connected_at": scope["extensions"][EXTENSION]["connected_at"] or 0,
        "groups": [],
    }


def restore(scope: dict[str, Any], record: Mapping[str, Any]) -> None:
    """Give a MESSAGE or DISCONNECT scope what ``$connect`` saw, from its record. The path
    stays the configured one: a record outlives deployments that may change it."""
    scope["headers"] = [
        (header_bytes(name), header_bytes(value)) for name, value in record["headers"]
    ]
    scope["query_string"] = record["query_string"].encode("latin-1")
    subprotocol = record["subprotocol"]
    scope["subprotocols"] = [subprotocol] if subprotocol else []
    if record["client"]:
        scope["client"] = tuple(record["client"])


WEBSOCKET.to_scope = to_scope  # type: ignore[assignment]
WEBSOCKET.to_response = to_response

__all__ = [
    "EXTENSION",
    "WEBSOCKET",
    "disconnect_of",
    "endpoint_of",
    "frame_of",
    "info_of",
    "record_of",
    "restore",
    "subprotocols_of",
    "to_response",
    "to_scope",
]
