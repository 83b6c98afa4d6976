"""The event sources lambda_asgi understands, in the order they are tried.

Order matters: API Gateway WebSocket events (``requestContext.eventType`` CONNECT, MESSAGE or
DISCONNECT) come first, as they carry a ``routeKey`` like HTTP API events. ALB events also
carry ``httpMethod`` and no ``version``, so ALB goes before REST; Function URL events are
HTTP API 2.0 events with a ``lambda-url`` domain, so they go before HTTP API. VPC Lattice v2
events also say ``version: "2.0"`` but have no ``requestContext.http``, which the HTTP API
check requires and the Lattice check refuses. Lambda@Edge (``Records[0].cf.request``) and
Lattice v1 (``raw_path`` and ``method``, no ``httpMethod``) share no signal with the others,
so they come last, after the common ones. An event no source matches raises
:class:`~lambda_asgi.UnsupportedEventError` naming its top-level keys, the supported sources,
and what the event looks like when we can tell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .._model import SYNC_RESPONSE_LIMIT, Config, Response, Source
from .._types import LambdaContext
from ..exceptions import UnsupportedEventError
from ._request import is_durable, is_websocket
from .alb import ALB
from .http_api import FUNCTION_URL, HTTP_API
from .rest import HTTP_API_V1, REST

# Lambda@Edge and VPC Lattice: recognised here, translated by their modules, which are loaded
# by the first event that needs them (most functions never see one, so never pay to import
# them). Each module fills its Source in when loaded; until then, each entry loads it.

REQUEST_EVENTS: Final = ("viewer-request", "origin-request")
"""The Lambda@Edge triggers that carry a request for the app."""


def _cf(event: Mapping[str, Any]) -> Any:
    records = event.get("Records")
    if type(records) is not list or not records or type(records[0]) is not dict:
        return None
    return records[0].get("cf")


def is_edge(event: Mapping[str, Any]) -> bool:
    """A request event: ``Records[0].cf.request`` without a ``response`` beside it."""
    cf = _cf(event)
    if type(cf) is not dict or type(cf.get("request")) is not dict or "response" in cf:
        return False
    config = cf.get("config")
    kind = config.get("eventType") if type(config) is dict else None
    return kind is None or kind in REQUEST_EVENTS


def is_lattice(event: Mapping[str, Any]) -> bool:
    """A VPC Lattice v2 event: ``version: "2.0"`` without ``requestContext.http``, naming a
    service network or target group."""
    if event.get("version") != "2.0":
        return False
    request_context = event.get("requestContext")
    return (
        type(request_context) is dict
        and "http" not in request_context
        and ("serviceNetworkArn" in request_context or "targetGroupArn" in request_context)
    )


def is_lattice_v1(event: Mapping[str, Any]) -> bool:
    """A VPC Lattice v1 event: snake_case ``raw_path`` and ``method``, no ``httpMethod``."""
    return "raw_path" in event and "method" in event and "httpMethod" not in event


WEBSOCKET_EVENTS: Final = ("CONNECT", "MESSAGE", "DISCONNECT")
"""The ``requestContext.eventType`` values of API Gateway WebSocket events."""

END_OF_INVOCATION: Final = 4999
"""The ``websocket.disconnect`` code that ends a WebSocket invocation while the connection
stays open (a private-use close code, RFC 6455 section 7.4.2). A real disconnect arrives in
its own ``$disconnect`` invocation with the code AWS reports (1000, 1001, 1005, 1006 ...)."""


def is_websocket_event(event: Mapping[str, Any]) -> bool:
    """An API Gateway WebSocket event: ``requestContext.eventType`` CONNECT, MESSAGE or
    DISCONNECT, with a string ``connectionId``."""
    request_context = event.get("requestContext")
    return (
        type(request_context) is dict
        and request_context.get("eventType") in WEBSOCKET_EVENTS
        and type(request_context.get("connectionId")) is str
    )


def websocket_info(scope: Mapping[str, Any]) -> dict[str, Any] | None:
    """What API Gateway says about the scope's WebSocket connection (the ``aws.websocket``
    scope extension: connection id, event type, route key ...), or None for a scope that
    lambda_asgi did not build, such as one from uvicorn."""
    extensions = scope.get("extensions")
    info = extensions.get("aws.websocket") if isinstance(extensions, Mapping) else None
    return info if isinstance(info, dict) else None


def _load(module: str) -> None:
    if module == "edge":
        from . import edge  # noqa: F401
    elif module == "lattice":
        from . import lattice  # noqa: F401
    else:
        from . import websocket  # noqa: F401


def _deferred(
    name: str,
    matches: Callable[[Mapping[str, Any]], bool],
    module: str,
    response_limit: int | None = None,
) -> Source:
    """A Source whose translations (and, without a fixed ``response_limit``, its limit) are in
    ``module``, which replaces these stand-ins with them when it is imported."""

    def to_scope(event: Mapping[str, Any], context: LambdaContext, config: Config) -> Any:
        _load(module)
        return source.to_scope(event, context, config)

    def to_response(response: Response, event: Mapping[str, Any], config: Config) -> Any:
        _load(module)
        return source.to_response(response, event, config)

    def limit_of(event: Mapping[str, Any]) -> int:
        _load(module)
        limit = source.response_limit
        return limit if isinstance(limit, int) else limit(event)

    limit = limit_of if response_limit is None else response_limit
    source = Source(name, matches, to_scope, to_response, response_limit=limit)
    return source


WEBSOCKET: Final = _deferred("websocket", is_websocket_event, "websocket", SYNC_RESPONSE_LIMIT)
EDGE: Final = _deferred("edge", is_edge, "edge")  # its limit depends on the trigger
LATTICE: Final = _deferred("lattice", is_lattice, "lattice", SYNC_RESPONSE_LIMIT)
LATTICE_V1: Final = _deferred("lattice_v1", is_lattice_v1, "lattice", SYNC_RESPONSE_LIMIT)

SOURCES: Final[tuple[Source, ...]] = (
    WEBSOCKET,
    ALB,
    REST,
    FUNCTION_URL,
    HTTP_API,
    HTTP_API_V1,
    EDGE,
    LATTICE,
    LATTICE_V1,
)


def detect(event: Any, sources: tuple[Source, ...] = SOURCES) -> Source:
    """The first source whose ``matches`` accepts the event."""
    if type(event) is dict:  # what Lambda's runtime hands over; any other type is no HTTP event
        if sources is SOURCES:
            found = detect_built_in(event)
            if found is not None:
                return found
        else:
            for source in sources:
                if source.matches(event):
                    return source
        keys = sorted(str(key) for key in event)
    else:
        keys = []
    raise UnsupportedEventError(keys, (source.name for source in sources), describe(event))


_LAST: Final = (EDGE, LATTICE, LATTICE_V1)


def detect_built_in(event: Any) -> Source | None:
    """What trying every built-in source's ``matches`` in order gives, from one look at the
    event: the common front doors are told apart by a few keys, without five calls. None
    when none matches, or the event is not a dict (:func:`detect` then says why)."""
    if type(event) is not dict:
        return None
    request_context: Any = event.get("requestContext")
    context_dict = type(request_context) is dict
    if context_dict and "eventType" in request_context and is_websocket_event(event):
        return WEBSOCKET
    if context_dict and "elb" in request_context:
        return ALB
    if "httpMethod" in event:
        if "version" not in event:
            if "requestContext" in event:
                return REST
        elif event["version"] == "1.0":
            return HTTP_API_V1
    if context_dict and event.get("version") == "2.0":
        http = request_context.get("http")
        if type(http) is dict:
            domain = request_context.get("domainName")
            if isinstance(domain, str) and ".lambda-url." in domain:
                return FUNCTION_URL
            return HTTP_API
    for source in _LAST:
        if source.matches(event):
            return source
    return None


_JSON_TYPES: Final = {
    type(None): "null",
    str: "string",
    list: "array",
    int: "number",
    float: "number",
    bool: "boolean",
}


_EVENTS_HINT: Final = (
    "Adapter(app, events_path='/events') delivers such events to the app as a POST to that path"
)

_DIRECT_HINT: Final = "Adapter(app, events_path='/events') delivers direct invokes to the app"


# Invocations that are not requests, by top-level keys they always carry.
_ENVELOPES: Final = (
    (("messageVersion", "agent", "actionGroup"), "an Amazon Bedrock agent action group call"),
    (("arguments", "info"), "an AWS AppSync direct Lambda resolver call"),
    (("authorizationToken", "methodArn"), "an API Gateway Lambda authorizer call"),
    (
        ("invocationId", "deliveryStreamArn", "records"),
        "an Amazon Data Firehose transformation call",
    ),
    (("SecretId", "ClientRequestToken", "Step"), "a Secrets Manager rotation call"),
)


def describe(event: Any) -> str:
    """A guess at what an unsupported event is, to make the error actionable."""
    if type(event) is not dict and type(event) not in _JSON_TYPES:
        return _describe_object(event)
    if not isinstance(event, Mapping):
        return f"The event is a JSON {_JSON_TYPES[type(event)]}, not an object; {_DIRECT_HINT}"
    if not event:
        return f"The event is an empty object (a test invoke without a payload?); {_DIRECT_HINT}"
    if is_durable(event):
        return (
            "It looks like a Lambda durable functions invocation (DurableExecutionArn, "
            "CheckpointToken): only the durable execution SDK can answer it, checkpointing each "
            "step through the Lambda API, so it never reaches the app, not even with "
            "events_path; serve the durable function from a handler of its own"
        )
    if is_websocket(event):
        return (
            "It looks like an API Gateway WebSocket event, but without the "
            "requestContext.eventType (CONNECT, MESSAGE or DISCONNECT) and connectionId "
            "every WebSocket event carries"
        )
    request_context = event.get("requestContext")
    if isinstance(request_context, Mapping) and (
        "serviceNetworkArn" in request_context or "targetGroupArn" in request_context
    ):
        return (
            "It looks like a VPC Lattice event, but not of event structure version 2 "
            f"(version: {event.get('version')!r}) nor version 1 (raw_path and method)"
        )
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        record = records[0]
        if "cf" in record:
            return _describe_edge(record["cf"])
        origin = record.get("eventSource") or record.get("EventSource")
        if origin:
            return f"It looks like a non-HTTP {origin} event; {_EVENTS_HINT}"
    if "detail-type" in event and "source" in event:
        return f"It looks like an EventBridge event; {_EVENTS_HINT}"
    for keys, what in _ENVELOPES:
        if all(key in event for key in keys):
            return (
                f"It looks like {what}, not an HTTP request; {_EVENTS_HINT}, and the app's "
                "answer, in the shape the service expects, becomes the result"
            )
    return f"If it is a direct invoke, {_DIRECT_HINT}"


def _describe_object(event: Any) -> str:
    """For an object handed over instead of the event Lambda parsed from JSON, such as
    Powertools' event classes (which keep the dict as ``raw_event``)."""
    kind = type(event)
    article = "an" if kind.__name__[:1].lower() in "aeiou" else "a"
    if hasattr(event, "raw_event"):
        fix = ", e.g. event.raw_event"
    elif isinstance(event, dict):
        fix = ", e.g. dict(event)"
    else:
        fix = ""
    return (
        f"The handler got {article} {kind.__name__} object ({kind.__module__}), not the event "
        f"dict Lambda passes; pass the raw event dict{fix}"
    )


def _describe_edge(cf: Any) -> str:
    config = cf.get("config") if isinstance(cf, Mapping) else None
    kind = config.get("eventType") if isinstance(config, Mapping) else None
    if kind is None and isinstance(cf, Mapping) and "response" in cf:
        kind = "response"
    served = " and ".join(REQUEST_EVENTS)
    if kind is not None and kind not in REQUEST_EVENTS:
        return (
            f"It looks like a Lambda@Edge {kind} event: it carries a response, not a request "
            f"for the app; associate the function with {served} events instead"
        )
    return f"It looks like a Lambda@Edge event without a request (only {served} are served)"


__all__ = [
    "END_OF_INVOCATION",
    "SOURCES",
    "SYNC_RESPONSE_LIMIT",
    "Config",
    "Response",
    "Source",
    "describe",
    "detect",
    "websocket_info",
]
