"""Non-HTTP events through ``Adapter(app, events_path=...)``: what the app receives for each
event source, how its answer becomes the handler's result, and the errors that make Lambda
retry."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from lambda_asgi import Adapter, EventHandlingError, UnsupportedEventError
from lambda_asgi.sources.events import event_source
from lambda_asgi.testing import (
    FakeContext,
    dynamodb_event,
    eventbridge_event,
    http_api_event,
    kinesis_event,
    rest_event,
    s3_event,
    scheduled_event,
    sns_event,
    sqs_event,
)

from .apps import AWS_KEYS, RecordingApp
from .conftest import AdapterFactory

REQUEST_ID = FakeContext().aws_request_id


def request_headers(source: str, body: bytes, *extra: tuple[bytes, bytes]) -> list[Any]:
    return [
        (b"host", b"localhost"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-lambda-event-source", source.encode()),
        (b"x-lambda-request-id", REQUEST_ID.encode()),
        *extra,
    ]


def compact(event: Any) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("build", "source"),
    [
        (sqs_event, "aws:sqs"),
        (sns_event, "aws:sns"),
        (s3_event, "aws:s3"),
        (dynamodb_event, "aws:dynamodb"),
        (kinesis_event, "aws:kinesis"),
    ],
)
def test_record_events_arrive_as_a_post_naming_their_source(
    make_adapter: AdapterFactory, context: FakeContext, build: Callable[[], Any], source: str
) -> None:
    app = RecordingApp(headers=[(b"content-type", b"application/json")], body=b'{"ok":true}')
    event = build()
    result = make_adapter(app, events_path="/events")(event, context)
    assert result == {"ok": True}
    body = compact(event)
    scope = {key: value for key, value in app.scope.items() if key not in AWS_KEYS}
    assert scope == {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/events",
        "raw_path": b"/events",
        "root_path": "",
        "query_string": b"",
        "headers": request_headers(source, body),
        "client": None,
        "server": None,
        "extensions": {},
        "state": {},
    }
    assert app.request_body == body
    assert json.loads(app.request_body) == event
    assert app.scope["aws.event"] is event
    assert app.scope["aws.context"] is context


@pytest.mark.parametrize(
    ("event", "detail_type"),
    [
        (scheduled_event(), "Scheduled Event"),
        (eventbridge_event(detail={"order": 7}), "OrderPlaced"),
    ],
)
def test_eventbridge_events_carry_their_detail_type(
    make_adapter: AdapterFactory, context: FakeContext, event: dict[str, Any], detail_type: str
) -> None:
    app = RecordingApp(status=204)
    assert make_adapter(app, events_path="/events")(event, context) is None
    assert app.scope["headers"] == request_headers(
        "aws:events", compact(event), (b"x-lambda-event-detail-type", detail_type.encode())
    )


@pytest.mark.parametrize(
    "event",
    [{"action": "rebuild", "ids": [1, 2]}, [1, "two"], "a string", 42, None, {}, {"ß": "ü"}],
)
def test_direct_invokes_with_any_json_reach_the_app(
    make_adapter: AdapterFactory, context: FakeContext, event: Any
) -> None:
    app = RecordingApp(headers=[(b"content-type", b"text/plain")], body=b"done")
    assert make_adapter(app, events_path="/events")(event, context) == "done"
    assert app.request_body == compact(event)
    assert dict(app.scope["headers"])[b"x-lambda-event-source"] == b"direct"


def test_the_trace_id_is_passed_on(
    make_adapter: AdapterFactory, context: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = "Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938;Parent=53995c3f42cd8ad8;Sampled=1"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", trace)
    app = RecordingApp(status=204)
    make_adapter(app, events_path="/events")(sqs_event(), context)
    body = compact(sqs_event())
    assert app.scope["headers"] == request_headers(
        "aws:sqs", body, (b"x-amzn-trace-id", trace.encode())
    )


@pytest.mark.parametrize(
    ("event", "source"),
    [
        ({"Records": [{"EventSource": "aws:sns"}]}, "aws:sns"),
        ({"eventSource": "aws:kafka", "records": {}}, "aws:kafka"),
        ({"eventSource": "aws:mq", "messages": []}, "aws:mq"),
        ({"awslogs": {"data": "H4sIAAAAAAAA"}}, "aws:logs"),
        ({"triggerSource": "PreSignUp_SignUp", "userPoolId": "us-east-1_x"}, "aws:cognito-idp"),
        ({"RequestType": "Create", "ResponseURL": "https://example.com"}, "aws:cloudformation"),
        ({"Records": []}, "direct"),
        ({"Records": [{"eventSource": ""}]}, "direct"),
        ({"Records": ["text"]}, "direct"),
        ({"eventSource": 3}, "direct"),
        ({"detail-type": "x"}, "direct"),
        ([], "direct"),
    ],
)
def test_event_source_names(event: Any, source: str) -> None:
    assert event_source(event) == source


def test_sqs_partial_batch_response_with_fastapi(make_adapter: AdapterFactory) -> None:
    app = FastAPI()

    @app.post("/events")
    async def events(request: Request, response: Response) -> dict[str, Any]:
        response.headers["x-seen-source"] = request.headers.get("x-lambda-event-source", "-")
        event = await request.json()
        failures = [
            {"itemIdentifier": record["messageId"]}
            for record in event["Records"]
            if record["body"] == "poison"
        ]
        return {"batchItemFailures": failures}

    adapter = make_adapter(app, events_path="/events")
    event = sqs_event(bodies=["ok", "poison", "fine"])
    result = adapter(event, FakeContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    # HTTP events keep going to the app's HTTP routes.
    rest = adapter(rest_event(method="POST", path="/events", body='{"Records": []}'), FakeContext())
    assert (rest["statusCode"], rest["headers"]["x-seen-source"], rest["body"]) == (
        200,
        "-",
        '{"batchItemFailures":[]}',
    )


def test_fastapi_none_answer_is_a_null_result(make_adapter: AdapterFactory) -> None:
    app = FastAPI()

    @app.post("/jobs")
    async def jobs() -> None:
        return None

    assert make_adapter(app, events_path="/jobs")(scheduled_event(), FakeContext()) is None


@pytest.mark.parametrize(("status", "body"), [(500, b"boom"), (404, b""), (302, b""), (199, b"")])
def test_a_failure_status_raises_so_lambda_retries(
    make_adapter: AdapterFactory,
    context: FakeContext,
    status: int,
    body: bytes,
) -> None:
    app = RecordingApp(status=status, body=body)
    adapter = make_adapter(app, events_path="/events")
    with pytest.raises(EventHandlingError) as raised:
        adapter(sqs_event(), context)
    assert (raised.value.source, raised.value.status, raised.value.body) == (
        "aws:sqs",
        status,
        body,
    )
    assert str(raised.value) == (
        f"the app failed the aws:sqs event: status {status} (body: {body.decode()!r})"
    )


def test_an_app_error_becomes_an_event_failure(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raise LookupError("no such order")

    with pytest.raises(EventHandlingError, match=r"status 500 \(body: 'Internal Server Error'\)"):
        make_adapter(app, lifespan="off", events_path="/events")(s3_event(), context)
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert caplog.records[0].getMessage() == (
        "ASGI app raised before responding; answering 500 "
        f"(POST /events, aws_request_id={REQUEST_ID})"
    )


@pytest.mark.parametrize(
    ("headers", "body", "problem"),
    [
        ([(b"content-type", b"application/json")], b"{not json", "its JSON body does not parse"),
        ([(b"content-type", b"text/plain")], b"\xff\xfe", "its body is not UTF-8 text"),
    ],
)
def test_bodies_that_cannot_become_a_result_raise(
    make_adapter: AdapterFactory,
    context: FakeContext,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    problem: str,
) -> None:
    adapter = make_adapter(RecordingApp(headers=headers, body=body), events_path="/events")
    with pytest.raises(EventHandlingError) as raised:
        adapter(sqs_event(), context)
    assert str(raised.value).startswith(f"the app failed the aws:sqs event: {problem} (body: ")
    assert raised.value.status == 200


@pytest.mark.parametrize(
    ("content_type", "result"),
    [
        (b"application/json; charset=utf-8", [1, 2]),
        (b"application/problem+json", [1, 2]),
        (b"text/plain", "[1,2]"),
        (None, "[1,2]"),
    ],
)
def test_only_json_answers_are_parsed(
    make_adapter: AdapterFactory, context: FakeContext, content_type: bytes | None, result: Any
) -> None:
    headers = [] if content_type is None else [(b"content-type", content_type)]
    app = RecordingApp(headers=headers, body=b"[1,2]")
    assert make_adapter(app, events_path="/events")(kinesis_event(), context) == result


def test_without_the_option_events_are_unsupported_with_a_hint(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    app = RecordingApp()
    adapter = make_adapter(app)
    with pytest.raises(UnsupportedEventError) as raised:
        adapter(sqs_event(), context)
    assert raised.value.hint == (
        "It looks like a non-HTTP aws:sqs event; Adapter(app, events_path='/events') delivers "
        "such events to the app as a POST to that path"
    )
    with pytest.raises(UnsupportedEventError, match="delivers direct invokes to the app"):
        adapter({"action": "rebuild"}, context)
    assert app.scopes == []


def test_websocket_events_are_never_taken_for_events(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    scopes: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scopes.append(scope)

    adapter = make_adapter(app, lifespan="off", events_path="/events")
    event = {"requestContext": {"eventType": "MESSAGE", "connectionId": "Ab1="}, "body": "hi"}
    assert adapter(event, context) == {"statusCode": 200}
    assert [scope["type"] for scope in scopes] == ["websocket"]
    # Half a WebSocket event is not an event for events_path either.
    with pytest.raises(UnsupportedEventError, match="WebSocket"):
        adapter({"requestContext": {"connectionId": "Ab1="}, "body": "hi"}, context)
    assert len(scopes) == 1


def test_http_events_are_never_taken_for_events(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    app = RecordingApp(body=b"hi")
    result = make_adapter(app, events_path="/events")(http_api_event(path="/events"), context)
    assert result["statusCode"] == 200
    assert app.scope["method"] == "GET"


def test_events_path_is_normalised(make_adapter: AdapterFactory, context: FakeContext) -> None:
    app = RecordingApp(status=204)
    make_adapter(app, events_path="internal/events/")(sqs_event(), context)
    assert (app.scope["path"], app.scope["raw_path"]) == ("/internal/events", b"/internal/events")


def test_lifespan_state_reaches_event_requests(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    app = RecordingApp(status=204, state={"pool": "ready"})
    make_adapter(app, events_path="/events")(sns_event(), context)
    assert app.scope["state"] == {"pool": "ready"}


def test_event_answers_too_large_for_lambda_raise(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(["x" * 1000] * 6500).encode()
    app = RecordingApp(headers=[(b"content-type", b"application/json")], body=body)
    with pytest.raises(EventHandlingError, match="status 500"):
        make_adapter(app, events_path="/events")(sqs_event(), context)
    assert (
        caplog.records[-1]
        .getMessage()
        .startswith(
            f"the events result is {len(body)} bytes, over the front door's limit of 6291456 bytes"
        )
    )


def test_the_adapter_is_usable_from_a_real_module(context: FakeContext) -> None:
    handler = Adapter(RecordingApp(status=202), lifespan="off", events_path="/e")
    assert handler(sqs_event(), context) is None
