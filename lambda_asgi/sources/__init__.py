"""The event sources lambda_asgi understands, in the order they are tried.

Order matters: ALB events also carry ``httpMethod`` and no ``version``, so ALB goes before
REST; Function URL events are HTTP API 2.0 events with a ``lambda-url`` domain, so they go
before HTTP API. VPC Lattice v2 events also say ``version: "2.0"`` but have no
``requestContext.http``, which the HTTP API check requires.
An event no source matches raises :class:`~lambda_asgi.UnsupportedEventError` naming its
top-level keys, the supported sources, and what the event looks like when we can tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._model import Source
from ..exceptions import UnsupportedEventError
from .alb import ALB
from .http_api import FUNCTION_URL, HTTP_API
from .rest import HTTP_API_V1, REST

SOURCES: tuple[Source, ...] = (ALB, REST, FUNCTION_URL, HTTP_API, HTTP_API_V1)


def detect(event: Any, sources: tuple[Source, ...] = SOURCES) -> Source:
    """The first source whose ``matches`` accepts the event."""
    if type(event) is dict:  # what Lambda's runtime hands over; any other type is no HTTP event
        for source in sources:
            if source.matches(event):
                return source
        keys = sorted(str(key) for key in event)
    else:
        keys = []
    raise UnsupportedEventError(keys, (source.name for source in sources), describe(event))


_JSON_TYPES = {
    type(None): "null",
    str: "string",
    list: "array",
    int: "number",
    float: "number",
    bool: "boolean",
}


def describe(event: Any) -> str:
    """A guess at what an unsupported event is, to make the error actionable."""
    if not isinstance(event, Mapping):
        kind = _JSON_TYPES.get(type(event), type(event).__name__)
        return f"The event is a JSON {kind}, not an object"
    if not event:
        return "The event is an empty object (a test invoke without a payload?)"
    request_context = event.get("requestContext")
    if isinstance(request_context, Mapping):
        if "eventType" in request_context or "connectionId" in request_context:
            return "It looks like an API Gateway WebSocket event, which is not supported yet"
        if "serviceNetworkArn" in request_context or "targetGroupArn" in request_context:
            return "It looks like a VPC Lattice (v2) event, which is not supported yet"
    if "raw_path" in event and "method" in event:
        return "It looks like a VPC Lattice (v1) event, which is not supported yet"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        record = records[0]
        if "cf" in record:
            return "It looks like a Lambda@Edge event, which is not supported yet"
        origin = record.get("eventSource") or record.get("EventSource")
        if origin:
            return f"It looks like a non-HTTP {origin} event; only HTTP events are served"
    if "detail-type" in event and "source" in event:
        return "It looks like an EventBridge event; only HTTP events are served"
    return ""


__all__ = ["SOURCES", "Source", "describe", "detect"]
