"""Non-HTTP events (SQS, SNS, S3, EventBridge, schedules, DynamoDB and Kinesis streams, direct
invokes), delivered to the app as an HTTP request when ``Adapter(app, events_path=...)`` asks.

The event arrives as ``POST {events_path}`` with the event JSON as its body and headers naming
where it came from (``x-lambda-event-source: aws:sqs``) and the invocation
(``x-lambda-request-id``). The app's answer becomes the handler's result: a JSON body is parsed
(so an SQS partial batch response ``{"batchItemFailures": [...]}`` reaches Lambda as such), an
empty body is ``None``, any other body its text. A status outside 2xx raises
:class:`~lambda_asgi.EventHandlingError`, so Lambda counts the invocation as failed and retries
it or sends it to the failure destination.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._model import Config, Response, Source
from .._types import LambdaContext
from ..exceptions import EventHandlingError
from ._request import is_durable, is_websocket, make_scope
from ._response import fold_headers

if TYPE_CHECKING:
    from .._types import HTTPScope

_JSON_VALUES = frozenset((dict, list, str, int, float, bool, type(None)))

# Top-level markers of sources that put no eventSource field in the event.
_MARKERS = (
    ("awslogs", "aws:logs"),
    ("triggerSource", "aws:cognito-idp"),
)


def event_source(event: Any) -> str:
    """The name of the service that sent a non-HTTP event, as Lambda's own event source
    mappings spell it (``aws:sqs``, ``aws:dynamodb``), or ``direct`` for anything else."""
    if not isinstance(event, Mapping):
        return "direct"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        record = records[0]
        origin = record.get("eventSource") or record.get("EventSource")
        if isinstance(origin, str) and origin:
            return origin
    origin = event.get("eventSource")  # Kafka, Amazon MQ
    if isinstance(origin, str) and origin:
        return origin
    if "detail-type" in event and "source" in event:
        return "aws:events"
    if "RequestType" in event and "ResponseURL" in event:
        return "aws:cloudformation"
    for marker, name in _MARKERS:
        if marker in event:
            return name
    return "direct"


def events_source(events_path: str) -> Source:
    """The source that serves every event the HTTP sources left over, at ``events_path``."""
    raw_path = events_path.encode()

    def matches(event: Mapping[str, Any]) -> bool:
        # Only what Lambda parses from JSON (an object handed over in its place is a mistake);
        # an API Gateway WebSocket event expects an HTTP-shaped answer this source cannot
        # give, and a durable functions invocation one only its SDK can give.
        return type(event) in _JSON_VALUES and not is_websocket(event) and not is_durable(event)

    def to_scope(
        event: Mapping[str, Any], context: LambdaContext, config: Config
    ) -> tuple[HTTPScope, bytes]:
        import json  # only applications that use events pay for the import

        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        origin = event_source(event)
        headers = [
            (b"host", b"localhost"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"x-lambda-event-source", origin.encode()),
            (b"x-lambda-request-id", str(getattr(context, "aws_request_id", "")).encode()),
        ]
        if origin == "aws:events" and isinstance(event.get("detail-type"), str):
            headers.append((b"x-lambda-event-detail-type", event["detail-type"].encode()))
        trace_id = os.environ.get("_X_AMZN_TRACE_ID")
        if trace_id:
            headers.append((b"x-amzn-trace-id", trace_id.encode("latin-1", "replace")))
        scope = make_scope(
            method="POST",
            scheme="http",
            root_path="",
            path=events_path,
            raw_path=raw_path,
            query_string=b"",
            headers=headers,
            client=None,
            server=None,
            http_version="1.1",
            event=event,
            context=context,
        )
        return scope, body

    def to_response(response: Response, event: Mapping[str, Any], config: Config) -> Any:
        if not 200 <= response.status < 300:
            raise EventHandlingError(event_source(event), response.status, response.body)
        if not response.body:
            return None
        content_type = fold_headers(response.headers)[3]
        try:
            text = response.body.decode()
        except UnicodeDecodeError:
            raise EventHandlingError(
                event_source(event), response.status, response.body, "its body is not UTF-8 text"
            ) from None
        mime = (content_type or "").split(";", 1)[0].strip().lower()
        if mime == "application/json" or mime.endswith("+json"):
            import json

            try:
                return json.loads(text)
            except ValueError:
                raise EventHandlingError(
                    event_source(event),
                    response.status,
                    response.body,
                    "its JSON body does not parse",
                ) from None
        return text

    # matches() accepts nearly any event, so the Adapter tries it after every HTTP source.
    return Source("events", matches, to_scope, to_response)
