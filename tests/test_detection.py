"""Which source an event belongs to, and the error for events no source serves."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_asgi import UnsupportedEventError
from lambda_asgi.sources import SOURCES, detect
from lambda_asgi.sources.http_api import HTTP_API
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
    websocket_connect_event,
    websocket_disconnect_event,
    websocket_message_event,
)
from tests.apps import RecordingApp
from tests.conftest import AdapterFactory

SUPPORTED = (
    "websocket",
    "alb",
    "rest",
    "function_url",
    "http_api",
    "http_api_v1",
    "edge",
    "lattice",
    "lattice_v1",
)
SUPPORTED_NAMES = ", ".join(SUPPORTED)


@pytest.mark.parametrize(
    ("event", "name"),
    [
        (rest_event(), "rest"),
        (rest_event(method="POST", domain_name="api.example.com", base_path="v1"), "rest"),
        (http_api_event(), "http_api"),
        (http_api_event(stage="Prod", domain_name="api.example.com"), "http_api"),
        (http_api_event(payload_version="1.0"), "http_api_v1"),
        (function_url_event(), "function_url"),
        (function_url_event(region="eu-west-1", method="DELETE"), "function_url"),
        (alb_event(), "alb"),
        (alb_event(multi_value=True), "alb"),
        (alb_event(health_check=True), "alb"),
        (edge_event(), "edge"),
        (edge_event(event_type="viewer-request", method="POST", body=b"x"), "edge"),
        (edge_event(include_body=False), "edge"),
        (lattice_event(), "lattice"),
        (lattice_event(query="a=1", method="PUT"), "lattice"),
        (lattice_event(version=1), "lattice_v1"),
        (websocket_connect_event(), "websocket"),
        (websocket_message_event(), "websocket"),
        (websocket_disconnect_event(), "websocket"),
    ],
)
def test_builder_events_are_detected(event: dict[str, Any], name: str) -> None:
    assert detect(event).name == name


def test_alb_events_carry_rest_keys_but_are_alb() -> None:
    event = alb_event(method="POST")
    assert "httpMethod" in event and "requestContext" in event and "version" not in event
    assert detect(event).name == "alb"


def test_function_url_needs_a_lambda_url_domain() -> None:
    event = function_url_event()
    event["requestContext"]["domainName"] = None
    assert detect(event).name == "http_api"


def test_supported_sources_are_tried_in_order() -> None:
    assert tuple(source.name for source in SOURCES) == SUPPORTED


# Foreign events, shaped after the AWS sample events of each service.
WEBSOCKET_CONTEXT = {
    "routeKey": "$connect",
    "eventType": "CONNECT",
    "extendedRequestId": "ABCD1234=",
    "requestTime": "14/Nov/2023:22:13:20 +0000",
    "messageDirection": "IN",
    "stage": "production",
    "connectedAt": 1700000000000,
    "requestTimeEpoch": 1700000000000,
    "identity": {"userAgent": "wscat", "sourceIp": "203.0.113.10"},
    "requestId": "ABCD1234=",
    "domainName": "abcdef123.execute-api.us-east-1.amazonaws.com",
    "connectionId": "Ab1Cd2Ef3Gh=",
    "apiId": "abcdef123",
}
WEBSOCKET_CONNECT = {
    "headers": {"Host": "abcdef123.execute-api.us-east-1.amazonaws.com", "Upgrade": "websocket"},
    "multiValueHeaders": {"Host": ["abcdef123.execute-api.us-east-1.amazonaws.com"]},
    "requestContext": WEBSOCKET_CONTEXT,
    "isBase64Encoded": False,
}
WEBSOCKET_MESSAGE = {
    "requestContext": {
        **WEBSOCKET_CONTEXT,
        "routeKey": "$default",
        "messageId": "Ab1Cd2Ef3Gh=",
        "eventType": "MESSAGE",
    },
    "body": '{"action": "send", "data": "hi"}',
    "isBase64Encoded": False,
}
LATTICE_ARN = "arn:aws:vpc-lattice:us-east-2:123456789012"
LATTICE_V2 = {
    "version": "2.0",
    "path": "/todos?order-id=1",
    "method": "GET",
    "headers": {
        "user-agent": ["curl/7.64.1"],
        "x-forwarded-for": ["10.213.229.10"],
        "host": ["todos-0a40eebed65f8d69c.7d67968.vpc-lattice-svcs.us-east-2.on.aws"],
        "accept": ["*/*"],
    },
    "queryStringParameters": {"order-id": ["1"]},
    "body": '{"task": "write tests"}',
    "isBase64Encoded": False,
    "requestContext": {
        "serviceNetworkArn": f"{LATTICE_ARN}:servicenetwork/sn-0bf3f2882e9cc805a",
        "serviceArn": f"{LATTICE_ARN}:service/svc-0a40eebed65f8d69c",
        "targetGroupArn": f"{LATTICE_ARN}:targetgroup/tg-6d0ecf831eec9f09",
        "identity": {
            "sourceVpcArn": "arn:aws:ec2:us-east-2:123456789012:vpc/vpc-0b8276c84697e7339",
            "type": "AWS_IAM",
            "principal": "arn:aws:iam::123456789012:role/caller",
        },
        "region": "us-east-2",
        "timeEpoch": "1700000000000000",
    },
}
LATTICE_V1 = {
    "raw_path": "/todos",
    "method": "GET",
    "headers": {"user_agent": "curl/7.64.1", "x-forwarded-for": "10.213.229.10"},
    "query_string_parameters": {"order-id": "1"},
    "body": "eyJ0ZXN0IjogImV2ZW50In0=",
    "is_base64_encoded": True,
}
EDGE = {
    "Records": [
        {
            "cf": {
                "config": {
                    "distributionDomainName": "d111111abcdef8.cloudfront.net",
                    "distributionId": "EDFDVBD6EXAMPLE",
                    "eventType": "viewer-request",
                    "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
                },
                "request": {
                    "clientIp": "203.0.113.178",
                    "headers": {
                        "host": [{"key": "Host", "value": "d111111abcdef8.cloudfront.net"}]
                    },
                    "method": "GET",
                    "querystring": "",
                    "uri": "/",
                },
            }
        }
    ]
}
SQS = {
    "Records": [
        {
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
            "body": "Test message.",
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
            "messageAttributes": {},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:my-queue",
            "awsRegion": "us-east-1",
        }
    ]
}
SNS = {
    "Records": [
        {
            "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:topic:0b6941c3",
            "EventSource": "aws:sns",
            "Sns": {
                "Type": "Notification",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:topic",
                "Message": "Hello from SNS!",
                "Timestamp": "2023-11-14T22:13:20.000Z",
            },
        }
    ]
}
S3 = {
    "Records": [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2023-11-14T22:13:20.000Z",
            "eventName": "ObjectCreated:Put",
            "s3": {
                "bucket": {"name": "my-bucket", "arn": "arn:aws:s3:::my-bucket"},
                "object": {"key": "uploads/photo.jpg", "size": 1024},
            },
        }
    ]
}
DYNAMODB = {
    "Records": [
        {
            "eventID": "c4ca4238a0b923820dcc509a6f75849b",
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {"Keys": {"Id": {"N": "101"}}, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2023",
        }
    ]
}
SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2023-11-14T22:13:20Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-schedule"],
    "detail": {},
}
WEBSOCKET_HINT = (
    "It looks like an API Gateway WebSocket event, but without the requestContext.eventType "
    "(CONNECT, MESSAGE or DISCONNECT) and connectionId every WebSocket event carries"
)
EDGE_CF: dict[str, Any] = EDGE["Records"][0]["cf"]
EDGE_VIEWER_RESPONSE = {
    "Records": [
        {
            "cf": {
                "config": {**EDGE_CF["config"], "eventType": "viewer-response"},
                "request": EDGE_CF["request"],
                "response": {
                    "headers": {"server": [{"key": "Server", "value": "MyCustomOrigin"}]},
                    "status": "200",
                    "statusDescription": "OK",
                },
            }
        }
    ]
}
EDGE_ORIGIN_RESPONSE = {
    "Records": [
        {
            "cf": {
                "config": {"eventType": "origin-response"},
                "request": EDGE_CF["request"],
                "response": {"status": "200"},
            }
        }
    ]
}
EDGE_UNTYPED_RESPONSE = {
    "Records": [{"cf": {"request": EDGE_CF["request"], "response": {"status": "200"}}}]
}
EDGE_NO_REQUEST = {"Records": [{"cf": {"config": EDGE_CF["config"]}}]}
EDGE_NO_REQUEST_HINT = (
    "It looks like a Lambda@Edge event without a request "
    "(only viewer-request and origin-request are served)"
)


@pytest.mark.parametrize(
    ("event", "name"),
    [
        (LATTICE_V2, "lattice"),
        (LATTICE_V1, "lattice_v1"),
        (EDGE, "edge"),
        (WEBSOCKET_CONNECT, "websocket"),
        (WEBSOCKET_MESSAGE, "websocket"),
    ],
)
def test_aws_sample_events_are_detected(event: dict[str, Any], name: str) -> None:
    assert detect(event).name == name


def response_hint(kind: str) -> str:
    return (
        f"It looks like a Lambda@Edge {kind} event: it carries a response, not a request for "
        "the app; associate the function with viewer-request and origin-request events instead"
    )


def lattice_hint(version: str) -> str:
    return (
        "It looks like a VPC Lattice event, but not of event structure version 2 "
        f"(version: {version}) nor version 1 (raw_path and method)"
    )


EVENTS_HINT = (
    "Adapter(app, events_path='/events') delivers such events to the app as a POST to that path"
)
DIRECT_HINT = "Adapter(app, events_path='/events') delivers direct invokes to the app"


@pytest.mark.parametrize(
    ("event", "hint"),
    [
        ({**WEBSOCKET_MESSAGE, "requestContext": {"connectionId": "Ab1="}}, WEBSOCKET_HINT),
        (
            {**WEBSOCKET_MESSAGE, "requestContext": {"eventType": "PING", "connectionId": "A="}},
            WEBSOCKET_HINT,
        ),
        (
            {**WEBSOCKET_MESSAGE, "requestContext": {"eventType": "MESSAGE", "connectionId": 7}},
            WEBSOCKET_HINT,
        ),
        (EDGE_VIEWER_RESPONSE, response_hint("viewer-response")),
        (EDGE_ORIGIN_RESPONSE, response_hint("origin-response")),
        (EDGE_UNTYPED_RESPONSE, response_hint("response")),
        (EDGE_NO_REQUEST, EDGE_NO_REQUEST_HINT),
        ({"Records": [{"cf": None}]}, EDGE_NO_REQUEST_HINT),
        ({**LATTICE_V2, "version": "1.0"}, lattice_hint("'1.0'")),
        ({**LATTICE_V2, "version": None}, lattice_hint("None")),
        (SQS, f"It looks like a non-HTTP aws:sqs event; {EVENTS_HINT}"),
        (SNS, f"It looks like a non-HTTP aws:sns event; {EVENTS_HINT}"),
        (S3, f"It looks like a non-HTTP aws:s3 event; {EVENTS_HINT}"),
        (DYNAMODB, f"It looks like a non-HTTP aws:dynamodb event; {EVENTS_HINT}"),
        (SCHEDULED, f"It looks like an EventBridge event; {EVENTS_HINT}"),
    ],
)
def test_foreign_events_are_unsupported_with_a_hint(event: dict[str, Any], hint: str) -> None:
    with pytest.raises(UnsupportedEventError) as raised:
        detect(event)
    keys = tuple(sorted(event))
    assert (raised.value.keys, raised.value.sources, raised.value.hint) == (keys, SUPPORTED, hint)
    assert str(raised.value) == (
        f"no event source recognises this event (top-level keys: {', '.join(keys)}); "
        f"supported sources: {SUPPORTED_NAMES}. {hint}"
    )


@pytest.mark.parametrize(
    "event",
    [
        {"Records": []},
        {"Records": ["not a record"]},
        {"Records": [{"eventSource": ""}]},
        {"requestContext": "elb", "path": "/"},
        {"version": "2.0", "requestContext": {"http": None}, "rawPath": "/"},
        {"version": "2.0", "requestContext": [], "rawPath": "/"},
        {"version": "1.0", "path": "/", "requestContext": {}},
        {"httpMethod": "GET", "path": "/"},
        {"detail-type": "Scheduled Event"},
    ],
)
def test_unrecognisable_events_hint_at_direct_invokes(event: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedEventError) as raised:
        detect(event)
    assert raised.value.hint == f"If it is a direct invoke, {DIRECT_HINT}"
    assert str(raised.value) == (
        f"no event source recognises this event (top-level keys: {', '.join(sorted(event))}); "
        f"supported sources: {SUPPORTED_NAMES}. "
        f"If it is a direct invoke, {DIRECT_HINT}"
    )


@pytest.mark.parametrize(("event", "json_type"), [([], "array"), ("{}", "string"), (None, "null")])
def test_non_object_events_are_unsupported(event: Any, json_type: str) -> None:
    with pytest.raises(UnsupportedEventError) as raised:
        detect(event)
    assert (raised.value.keys, raised.value.sources) == ((), SUPPORTED)
    assert json_type in raised.value.hint
    assert "not an object" in raised.value.hint
    assert str(raised.value).startswith(
        "no event source recognises this event (top-level keys: none); supported sources: "
    )


def test_non_object_event_message() -> None:
    with pytest.raises(UnsupportedEventError) as raised:
        detect([rest_event()])
    assert str(raised.value) == (
        "no event source recognises this event (top-level keys: none); supported sources: "
        f"{SUPPORTED_NAMES}. {raised.value.hint}"
    )
    assert raised.value.hint.startswith("The event is a JSON ")
    assert raised.value.hint.endswith(f", not an object; {DIRECT_HINT}")


def test_empty_event_has_a_hint() -> None:
    with pytest.raises(UnsupportedEventError) as raised:
        detect({})
    assert raised.value.keys == ()
    assert "empty" in raised.value.hint


def test_empty_event_message() -> None:
    with pytest.raises(UnsupportedEventError, match=r"top-level keys: none\); supported"):
        detect({})


def test_the_adapter_raises_for_foreign_events(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    app = RecordingApp()
    adapter = make_adapter(app)
    with pytest.raises(UnsupportedEventError, match="viewer-response"):
        adapter(EDGE_VIEWER_RESPONSE, context)
    assert app.scopes == []


def _scan(event: dict[str, Any]) -> str | None:
    """The definition detect() must agree with: every source's ``matches``, in order."""
    return next((source.name for source in SOURCES if source.matches(event)), None)


_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["1.0", "2.0", "GET", "", "x.lambda-url.us-east-1.on.aws", "api.example.com"]),
    st.integers(),
)
_CONTEXTS = st.one_of(
    _VALUES,
    st.fixed_dictionaries(
        {},
        optional={
            "elb": st.just({"targetGroupArn": "arn"}),
            "http": st.one_of(st.just({"method": "GET"}), _VALUES),
            "domainName": _VALUES,
            "serviceNetworkArn": st.just("arn"),
            "targetGroupArn": st.just("arn"),
            "stage": _VALUES,
        },
    ),
)
_EVENTS = st.fixed_dictionaries(
    {},
    optional={
        "requestContext": _CONTEXTS,
        "httpMethod": _VALUES,
        "version": _VALUES,
        "raw_path": _VALUES,
        "method": _VALUES,
        "Records": st.one_of(
            _VALUES,
            st.just([{"cf": {"request": {"uri": "/"}, "config": {"eventType": "viewer-request"}}}]),
        ),
    },
)


@given(_EVENTS)
def test_detection_in_one_look_agrees_with_trying_every_source_in_order(
    event: dict[str, Any],
) -> None:
    expected = _scan(event)
    for sources in (SOURCES, (*SOURCES,)):  # the built-ins' one look, and the general path
        if expected is None:
            with pytest.raises(UnsupportedEventError):
                detect(event, sources)
        else:
            assert detect(event, sources).name == expected


@pytest.mark.parametrize(
    "event",
    [
        rest_event(),
        http_api_event(),
        http_api_event(payload_version="1.0"),
        function_url_event(),
        alb_event(),
        alb_event(multi_value=True),
        edge_event(),
        lattice_event(),
        lattice_event(version=1),
    ],
)
def test_every_builder_event_is_detected_as_the_ordered_scan_says(event: dict[str, Any]) -> None:
    assert detect(event).name == _scan(event)


# Envelopes that invoke a function but carry no HTTP request, as the services send them.
DURABLE = {
    "DurableExecutionArn": (
        "arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/"
        "order-42/9692ca80-399d-4f52-8d0a-41acc9cd0492"
    ),
    "CheckpointToken": "AYADeNf2Lw0xQ0tHbFJ0ZW5kQ2hlY2twb2ludA==",
    "InitialExecutionState": {
        "Operations": [
            {
                "Id": "9692ca80-399d-4f52-8d0a-41acc9cd0492",
                "Type": "EXECUTION",
                "Status": "STARTED",
                "ExecutionDetails": {"InputPayload": '{"orderId": 42}'},
            }
        ],
        "NextMarker": "",
    },
}
BEDROCK_AGENT = {
    "messageVersion": "1.0",
    "agent": {"name": "orders", "id": "AGENT12345", "alias": "TSTALIASID", "version": "DRAFT"},
    "inputText": "Where is order 42?",
    "sessionId": "123456789012345",
    "actionGroup": "orders-api",
    "apiPath": "/orders/{orderId}",
    "httpMethod": "GET",
    "parameters": [{"name": "orderId", "type": "string", "value": "42"}],
    "sessionAttributes": {},
    "promptSessionAttributes": {},
}
APPSYNC = {
    "arguments": {"id": "42"},
    "identity": None,
    "source": None,
    "request": {"headers": {"host": "example.appsync-api.us-east-1.amazonaws.com"}},
    "prev": None,
    "info": {"fieldName": "getOrder", "parentTypeName": "Query", "variables": {}},
    "stash": {},
}
TOKEN_AUTHORIZER = {
    "type": "TOKEN",
    "authorizationToken": "Bearer abc",
    "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/items",
}
FIREHOSE = {
    "invocationId": "invocation-1",
    "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/logs",
    "region": "us-east-1",
    "records": [{"recordId": "1", "approximateArrivalTimestamp": 1700000000000, "data": "aGk="}],
}
SECRET_ROTATION = {
    "SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
    "ClientRequestToken": "9692ca80-399d-4f52-8d0a-41acc9cd0492",
    "Step": "createSecret",
}
DURABLE_HINT = (
    "It looks like a Lambda durable functions invocation (DurableExecutionArn, "
    "CheckpointToken): only the durable execution SDK can answer it, checkpointing each step "
    "through the Lambda API, so it never reaches the app, not even with events_path; serve "
    "the durable function from a handler of its own"
)


def envelope_hint(what: str) -> str:
    return (
        f"It looks like {what}, not an HTTP request; {EVENTS_HINT}, and the app's answer, in the "
        "shape the service expects, becomes the result"
    )


@pytest.mark.parametrize(
    ("event", "hint"),
    [
        (DURABLE, DURABLE_HINT),
        (BEDROCK_AGENT, envelope_hint("an Amazon Bedrock agent action group call")),
        (APPSYNC, envelope_hint("an AWS AppSync direct Lambda resolver call")),
        (TOKEN_AUTHORIZER, envelope_hint("an API Gateway Lambda authorizer call")),
        (FIREHOSE, envelope_hint("an Amazon Data Firehose transformation call")),
        (SECRET_ROTATION, envelope_hint("a Secrets Manager rotation call")),
    ],
    ids=["durable", "bedrock-agent", "appsync", "authorizer", "firehose", "secret-rotation"],
)
def test_envelopes_that_are_not_requests_are_named(event: dict[str, Any], hint: str) -> None:
    with pytest.raises(UnsupportedEventError) as raised:
        detect(event)
    keys = tuple(sorted(event))
    assert (raised.value.keys, raised.value.hint) == (keys, hint)
    assert str(raised.value) == (
        f"no event source recognises this event (top-level keys: {', '.join(keys)}); "
        f"supported sources: {SUPPORTED_NAMES}. {hint}"
    )


def test_durable_invocations_are_refused_even_with_events_path(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    app = RecordingApp()
    with pytest.raises(UnsupportedEventError) as raised:
        make_adapter(app, events_path="/events")(DURABLE, context)
    assert raised.value.hint == DURABLE_HINT
    assert app.scopes == []


def test_other_envelopes_reach_the_app_with_events_path(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    answer = b'{"messageVersion": "1.0", "response": {"httpStatusCode": 200}}'
    app = RecordingApp(headers=[(b"content-type", b"application/json")], body=answer)
    result = make_adapter(app, events_path="/events")(BEDROCK_AGENT, context)
    assert result == {"messageVersion": "1.0", "response": {"httpStatusCode": 200}}
    assert (app.scope["method"], app.scope["path"]) == ("POST", "/events")


class APIGatewayProxyEventV2(Mapping[str, Any]):
    """What Powertools' event classes look like: a read-only mapping over ``raw_event``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.raw_event = data

    def __getitem__(self, key: str) -> Any:
        return self.raw_event[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw_event)

    def __len__(self) -> int:
        return len(self.raw_event)


class Request:
    """Some other object handed over instead of the event."""


@pytest.mark.parametrize(
    ("event", "hint"),
    [
        (
            APIGatewayProxyEventV2(http_api_event()),
            "The handler got an APIGatewayProxyEventV2 object (tests.test_detection), not the "
            "event dict Lambda passes; pass the raw event dict, e.g. event.raw_event",
        ),
        (
            Request(),
            "The handler got a Request object (tests.test_detection), not the event dict Lambda "
            "passes; pass the raw event dict",
        ),
        (
            OrderedDict(rest_event()),
            "The handler got an OrderedDict object (collections), not the event dict Lambda "
            "passes; pass the raw event dict, e.g. dict(event)",
        ),
    ],
    ids=["powertools", "object", "dict-subclass"],
)
def test_objects_passed_as_the_event_are_named(
    make_adapter: AdapterFactory, context: FakeContext, event: Any, hint: str
) -> None:
    app = RecordingApp()
    for adapter in (make_adapter(app), make_adapter(app, events_path="/events")):
        with pytest.raises(UnsupportedEventError) as raised:
            adapter(event, context)
        assert (raised.value.keys, raised.value.hint) == ((), hint)
    assert app.scopes == []


def test_an_event_type_that_is_no_websocket_one_leaves_http_api_to_the_full_order() -> None:
    event = http_api_event()
    event["requestContext"]["eventType"] = "SOMETHING"  # not CONNECT, MESSAGE nor DISCONNECT
    assert detect(event) is HTTP_API
