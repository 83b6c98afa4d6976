"""Application Load Balancer targets, single- and multi-value mode: event to scope and back."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest

from lambda_asgi.testing import FakeContext, alb_event
from tests.apps import BAD_BASE64, TEXT_PLAIN, RecordingApp, plain, serve
from tests.conftest import AdapterFactory

HOST = "my-alb-1234567890.us-east-1.elb.amazonaws.com"


def alb_headers(forwarded_for: str = "203.0.113.10") -> list[tuple[bytes, bytes]]:
    return [
        (b"host", HOST.encode()),
        (b"user-agent", b"curl/8.5.0"),
        (b"x-amzn-trace-id", b"Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"),
        (b"x-forwarded-for", forwarded_for.encode()),
        (b"x-forwarded-port", b"443"),
        (b"x-forwarded-proto", b"https"),
    ]


def expected_scope(**changes: Any) -> dict[str, Any]:
    """The scope of ``GET /`` through the load balancer's HTTPS listener, with changes."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": alb_headers(),
        "client": ("203.0.113.10", 0),
        "server": (HOST, 443),
        "extensions": {},
        "state": {},
    }
    scope.update(changes)
    return scope


def test_single_value_request_with_raw_query_and_spoofed_forwarded_for(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = alb_event(
        path="/capture/space%20value",
        query="a=x%2By&b=1+2&c=caf%C3%A9",
        headers={"X-Forwarded-For": "198.51.100.7", "Accept": "text/html"},
        cookies={"a": "1", "b": "2"},
    )
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        path="/capture/space value",
        raw_path=b"/capture/space%20value",
        query_string=b"a=x%2By&b=1+2&c=caf%C3%A9",
        headers=[
            *alb_headers("198.51.100.7, 203.0.113.10"),
            (b"accept", b"text/html"),
            (b"cookie", b"a=1; b=2"),
        ],
    )
    assert parse_qsl(app.scope["query_string"].decode()) == [
        ("a", "x+y"),
        ("b", "1 2"),
        ("c", "café"),
    ]
    assert result == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"content-type": "text/plain"},
        "body": "ok",
        "isBase64Encoded": False,
    }


def test_multi_value_request_keeps_repeats(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = alb_event(
        method="POST",
        path="/files/a%2Fb/",
        query="a=1&a=2&q=x%20y",
        headers={"X-Multi": ["1", "2"], "Content-Type": "application/octet-stream"},
        body=b"\x00\x01",
        multi_value=True,
    )
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        method="POST",
        path="/files/a/b/",
        raw_path=b"/files/a%2Fb/",
        query_string=b"a=1&a=2&q=x%20y",
        headers=[
            *alb_headers(),
            (b"x-multi", b"1"),
            (b"x-multi", b"2"),
            (b"content-type", b"application/octet-stream"),
            (b"content-length", b"2"),
        ],
    )
    assert parse_qsl(app.scope["query_string"].decode()) == [("a", "1"), ("a", "2"), ("q", "x y")]
    assert app.request_body == b"\x00\x01"
    assert result == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "multiValueHeaders": {"content-type": ["text/plain"]},
        "body": "ok",
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    ("client_path", "path"),
    [
        ("/capture/space%20value", "/capture/space value"),
        ("/files/a%2Fb", "/files/a/b"),
        ("/literal%2541", "/literal%41"),
        ("/caf%C3%A9/", "/café/"),
    ],
)
def test_paths_are_unquoted_once_and_kept_raw(
    make_adapter: AdapterFactory, context: FakeContext, client_path: str, path: str
) -> None:
    app, _ = serve(make_adapter, alb_event(path=client_path), context)
    assert plain(app.scope) == expected_scope(path=path, raw_path=client_path.encode())


def test_bare_characters_in_the_raw_query_are_encoded(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = alb_event(query="q=a b&r=é#&s=%41+/?", multi_value=True)
    event["multiValueQueryStringParameters"]["t"] = None
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(query_string=b"q=a%20b&r=%C3%A9%23&s=%41+/?")
    assert parse_qsl(app.scope["query_string"].decode()) == [
        ("q", "a b"),
        ("r", "é#"),
        ("s", "A /?"),
    ]


def test_health_check_has_no_host_and_no_client(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = alb_event(path="/health", health_check=True)
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        scheme="http",
        path="/health",
        raw_path=b"/health",
        headers=[(b"user-agent", b"ELB-HealthChecker/2.0")],
        client=None,
        server=None,
    )
    assert result["statusDescription"] == "200 OK"


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("198.51.100.7, 203.0.113.10", ("203.0.113.10", 0)),
        ("203.0.113.10", ("203.0.113.10", 0)),
        ("198.51.100.7,", None),
        ("", None),
    ],
)
def test_client_is_the_rightmost_forwarded_for_entry(
    make_adapter: AdapterFactory,
    context: FakeContext,
    forwarded_for: str,
    client: tuple[str, int] | None,
) -> None:
    event = alb_event()
    event["headers"]["x-forwarded-for"] = forwarded_for
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(headers=alb_headers(forwarded_for), client=client)


@pytest.mark.parametrize(
    ("port", "host", "server"),
    [
        ("443,80", HOST, (HOST, 443)),
        ("80", HOST, (HOST, 80)),
        ("", "example.com:8080", ("example.com", 8080)),
    ],
)
def test_server_from_host_and_forwarded_port(
    make_adapter: AdapterFactory,
    context: FakeContext,
    port: str,
    host: str,
    server: tuple[str, int],
) -> None:
    event = alb_event()
    event["headers"].update({"host": host, "x-forwarded-port": port})
    app, _ = serve(make_adapter, event, context)
    changed = {b"host": host.encode(), b"x-forwarded-port": port.encode()}
    headers = [(name, changed.get(name, value)) for name, value in alb_headers()]
    assert plain(app.scope) == expected_scope(headers=headers, server=server)


@pytest.mark.parametrize(
    ("client_path", "root_path", "path", "raw_path"),
    [
        ("/api/a%20b", "/api", "/api/a b", b"/api/a%20b"),
        ("/api", "/api", "/api/", b"/api/"),
        ("/apiary", "", "/apiary", b"/apiary"),
    ],
)
def test_base_path_option(
    make_adapter: AdapterFactory,
    context: FakeContext,
    client_path: str,
    root_path: str,
    path: str,
    raw_path: bytes,
) -> None:
    app, _ = serve(make_adapter, alb_event(path=client_path), context, base_path="api")
    assert plain(app.scope) == expected_scope(root_path=root_path, path=path, raw_path=raw_path)


def test_minimal_multi_value_event(make_adapter: AdapterFactory, context: FakeContext) -> None:
    event: dict[str, Any] = {"requestContext": {"elb": {}}, "multiValueQueryStringParameters": None}
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(scheme="http", headers=[], client=None, server=None)
    assert result == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "multiValueHeaders": {"content-type": ["text/plain"]},
        "body": "ok",
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize("multi_value", [False, True])
def test_invalid_base64_body_is_a_400_in_the_request_mode(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    multi_value: bool,
) -> None:
    event = alb_event(method="POST", body="not base64!", base64=True, multi_value=multi_value)
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    body = f"Bad Request: {BAD_BASE64}"
    headers = {"content-type": TEXT_PLAIN, "content-length": str(len(body))}
    assert result == {
        "statusCode": 400,
        "statusDescription": "400 Bad Request",
        **(
            {"multiValueHeaders": {name: [value] for name, value in headers.items()}}
            if multi_value
            else {"headers": headers}
        ),
        "body": body,
        "isBase64Encoded": False,
    }
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            f"bad alb request, answering 400 without calling the app: {BAD_BASE64} "
            f"(aws_request_id={context.aws_request_id})",
        )
    ]


@pytest.mark.parametrize(
    ("multi_value", "key", "value"),
    [
        (False, "headers", "host: example.com"),
        (True, "multiValueHeaders", {"host": 7}),
        (False, "queryStringParameters", [("a", "1")]),
        (False, "path", 7),
    ],
)
def test_malformed_event_is_a_400(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    multi_value: bool,
    key: str,
    value: Any,
) -> None:
    event = alb_event(multi_value=multi_value)
    event[key] = value
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    headers = {"content-type": TEXT_PLAIN, "content-length": "28"}
    header_key = "multiValueHeaders" if multi_value else "headers"
    assert result == {
        "statusCode": 400,
        "statusDescription": "400 Bad Request",
        header_key: {k: [v] for k, v in headers.items()} if multi_value else headers,
        "body": "Bad Request: malformed event",
        "isBase64Encoded": False,
    }
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("malformed alb event, answering 400")


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (200, "200 OK"),
        (204, "204 No Content"),
        (404, "404 Not Found"),
        (418, "418 I'm a Teapot"),
        # RFC 9110's names on every Python: http.HTTPStatus has them from 3.13 on only.
        (413, "413 Content Too Large"),
        (414, "414 URI Too Long"),
        (416, "416 Range Not Satisfiable"),
        (422, "422 Unprocessable Content"),
        (599, "599 Unknown"),
    ],
)
def test_status_description_and_empty_body(
    make_adapter: AdapterFactory, context: FakeContext, status: int, description: str
) -> None:
    _, result = serve(make_adapter, alb_event(), context, RecordingApp(status=status))
    assert result == {
        "statusCode": status,
        "statusDescription": description,
        "headers": {},
        "body": "",
        "isBase64Encoded": False,
    }


COOKIE_APP_HEADERS = [
    (b"Content-Type", b"image/png"),
    (b"Set-Cookie", b"a=1; Path=/"),
    (b"Vary", b"Accept"),
    (b"set-cookie", b"b=2"),
    (b"vary", b"Cookie"),
]


def test_multi_value_response_keeps_every_cookie(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    app = RecordingApp(status=201, headers=COOKIE_APP_HEADERS, body=b"\x89PNG")
    _, result = serve(make_adapter, alb_event(multi_value=True), context, app)
    assert result == {
        "statusCode": 201,
        "statusDescription": "201 Created",
        "multiValueHeaders": {
            "Content-Type": ["image/png"],
            "Vary": ["Accept", "Cookie"],
            "Set-Cookie": ["a=1; Path=/", "b=2"],
        },
        "body": "iVBORw==",
        "isBase64Encoded": True,
    }
    assert caplog.records == []


def test_single_value_response_keeps_the_last_cookie_and_warns(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    app = RecordingApp(headers=COOKIE_APP_HEADERS, body=b"\x89PNG")
    _, result = serve(make_adapter, alb_event(), context, app)
    assert result == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"Content-Type": "image/png", "Vary": "Accept, Cookie", "Set-Cookie": "b=2"},
        "body": "iVBORw==",
        "isBase64Encoded": True,
    }
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            "ALB target group is in single-value header mode, which carries one Set-Cookie "
            "only: sending the last of 2 cookies; enable multi-value headers on the target "
            "group to send them all",
        )
    ]


def test_single_value_response_with_one_cookie(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    app = RecordingApp(
        headers=[(b"set-cookie", b"a=1"), (b"content-type", b"text/plain")], body=b"hi"
    )
    _, result = serve(make_adapter, alb_event(), context, app)
    assert result == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"content-type": "text/plain", "Set-Cookie": "a=1"},
        "body": "hi",
        "isBase64Encoded": False,
    }
    assert caplog.records == []


def test_head_response_has_no_body(make_adapter: AdapterFactory, context: FakeContext) -> None:
    app = RecordingApp(headers=[(b"content-type", b"application/json")], body=b"{}")
    _, result = serve(make_adapter, alb_event(method="HEAD", multi_value=True), context, app)
    assert result == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "multiValueHeaders": {"content-type": ["application/json"]},
        "body": "",
        "isBase64Encoded": False,
    }
