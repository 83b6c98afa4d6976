"""API Gateway REST API (Lambda proxy integration): event to scope, response to result."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest

from lambda_asgi.testing import FakeContext, rest_event
from tests.apps import BAD_BASE64, TEXT_PLAIN, RecordingApp, plain, serve
from tests.conftest import AdapterFactory

DOMAIN = "abc123defg.execute-api.us-east-1.amazonaws.com"
TRACE = "Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"
EDGE_HEADERS = [
    (b"accept", b"*/*"),
    (b"host", DOMAIN.encode()),
    (b"user-agent", b"curl/8.5.0"),
    (b"x-amzn-trace-id", TRACE.encode()),
    (b"x-forwarded-for", b"203.0.113.10"),
    (b"x-forwarded-port", b"443"),
    (b"x-forwarded-proto", b"https"),
]


def expected_scope(**changes: Any) -> dict[str, Any]:
    """The scope of ``GET /`` through the default execute-api stage ``prod``, with changes."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/prod/",
        "raw_path": b"/prod/",
        "root_path": "/prod",
        "query_string": b"",
        "headers": EDGE_HEADERS,
        "client": ("203.0.113.10", 0),
        "server": (DOMAIN, 443),
        "extensions": {},
        "state": {},
    }
    scope.update(changes)
    return scope


def test_post_with_query_headers_cookies_and_body(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = rest_event(
        method="POST",
        path="/capture/space%20value",
        query="a=1&a=2&q=x%20y+z&p=1%2B1",
        headers={"Content-Type": "application/json", "X-Multi": ["1", "2"]},
        cookies={"a": "1", "b": "2"},
        body='{"k": 1}',
    )
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        method="POST",
        path="/prod/capture/space value",
        raw_path=b"/prod/capture/space%20value",
        query_string=b"a=1&a=2&q=x%20y%20z&p=1%2B1",
        headers=[
            *EDGE_HEADERS,
            (b"content-type", b"application/json"),
            (b"x-multi", b"1"),
            (b"x-multi", b"2"),
            (b"cookie", b"a=1; b=2"),
            (b"content-length", b"8"),
        ],
    )
    client_params = [("a", "1"), ("a", "2"), ("q", "x y z"), ("p", "1+1")]
    assert parse_qsl(app.scope["query_string"].decode()) == client_params
    assert app.request_body == b'{"k": 1}'
    assert result == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "multiValueHeaders": {},
        "body": "ok",
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    ("client_path", "path", "raw_path"),
    [
        ("/capture/space%20value", "/prod/capture/space value", b"/prod/capture/space%20value"),
        ("/files/a%2Fb", "/prod/files/a/b", b"/prod/files/a%2Fb"),
        ("/literal%2541", "/prod/literal%41", b"/prod/literal%2541"),
        ("/caf%C3%A9/%E2%82%AC", "/prod/café/€", b"/prod/caf%C3%A9/%E2%82%AC"),
        ("/items/", "/prod/items/", b"/prod/items/"),
        ("/", "/prod/", b"/prod/"),
    ],
)
def test_paths_on_the_execute_api_domain(
    make_adapter: AdapterFactory, context: FakeContext, client_path: str, path: str, raw_path: bytes
) -> None:
    event = rest_event(path=client_path)
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(path=path, raw_path=raw_path)


def test_stage_root_when_request_context_path_has_no_trailing_slash(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = rest_event(stage="dev")
    event["requestContext"]["path"] = "/dev"
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(path="/dev/", raw_path=b"/dev/", root_path="/dev")


def test_stage_root_when_request_context_path_is_decoded(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = rest_event(path="/a%20b")
    event["requestContext"]["path"] = "/prod/a b"
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(path="/prod/a b", raw_path=b"/prod/a%20b")


CUSTOM = "api.example.com"
CUSTOM_HEADERS = [(n, CUSTOM.encode() if n == b"host" else v) for n, v in EDGE_HEADERS]


@pytest.mark.parametrize(
    ("base_path_option", "client_path", "root_path", "path", "raw_path"),
    [
        (None, "/items/a%20b", "", "/v1/items/a b", b"/v1/items/a%20b"),
        ("/v1", "/items/a%20b", "/v1", "/v1/items/a b", b"/v1/items/a%20b"),
        ("v1/", "/items/", "/v1", "/v1/items/", b"/v1/items/"),
        ("/v1", "/", "/v1", "/v1/", b"/v1/"),
        ("/v", "/items", "", "/v1/items", b"/v1/items"),  # a segment, not a prefix of one
        ("/other", "/items", "", "/v1/items", b"/v1/items"),
    ],
)
def test_custom_domain_base_path(
    make_adapter: AdapterFactory,
    context: FakeContext,
    base_path_option: str | None,
    client_path: str,
    root_path: str,
    path: str,
    raw_path: bytes,
) -> None:
    event = rest_event(path=client_path, domain_name=CUSTOM, base_path="v1")
    app, _ = serve(make_adapter, event, context, base_path=base_path_option)
    assert plain(app.scope) == expected_scope(
        root_path=root_path,
        path=path,
        raw_path=raw_path,
        headers=CUSTOM_HEADERS,
        server=(CUSTOM, 443),
    )


def test_base_path_is_matched_on_the_bytes_the_client_sent(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = rest_event(path="/%61pi/x", domain_name=CUSTOM)
    app, _ = serve(make_adapter, event, context, base_path="/api")
    assert plain(app.scope) == expected_scope(
        root_path="",
        path="/api/x",
        raw_path=b"/%61pi/x",
        headers=CUSTOM_HEADERS,
        server=(CUSTOM, 443),
    )


def test_console_test_event_with_null_headers(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = rest_event(method="POST", path="/items", body="{}")
    event["headers"] = None
    event["multiValueHeaders"] = None
    event["requestContext"]["identity"]["sourceIp"] = "test-invoke-source-ip"
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        method="POST",
        path="/prod/items",
        raw_path=b"/prod/items",
        headers=[(b"content-length", b"2")],
        client=("test-invoke-source-ip", 0),
    )


def test_single_value_headers_only(make_adapter: AdapterFactory, context: FakeContext) -> None:
    event = rest_event(headers={"X-Multi": ["1", "2"], "X-Name": "caf\u00e9 \u20ac"})
    event["multiValueHeaders"] = None
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        headers=[*EDGE_HEADERS, (b"x-multi", b"2"), (b"x-name", "café €".encode())]
    )


def test_a_bare_string_in_a_multi_value_map_is_one_value(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    # Hand-written events put one value without its list; it must not be split into letters.
    event = rest_event()
    event["multiValueHeaders"] = {"Accept": "text/html", "X-One": "1", "X-Two": ["a", "b"]}
    event["multiValueQueryStringParameters"] = {"q": "two words", "n": ["1", "2"]}
    app, _ = serve(make_adapter, event, context)
    assert app.scope["headers"][:4] == [
        (b"accept", b"text/html"),
        (b"x-one", b"1"),
        (b"x-two", b"a"),
        (b"x-two", b"b"),
    ]
    assert parse_qsl(app.scope["query_string"].decode()) == [
        ("q", "two words"),
        ("n", "1"),
        ("n", "2"),
    ]


def test_minimal_hand_written_event(make_adapter: AdapterFactory, context: FakeContext) -> None:
    event: dict[str, Any] = {
        "httpMethod": None,
        "path": None,
        "requestContext": None,
        "headers": {"X-Count": 3},
        "queryStringParameters": {"q": "a b", "e": "é&="},
        "multiValueQueryStringParameters": None,
    }
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        path="/",
        raw_path=b"/",
        root_path="",
        query_string=b"q=a%20b&e=%C3%A9%26%3D",
        headers=[(b"x-count", b"3")],
        client=None,
        server=None,
    )


def test_multi_value_query_with_null_values(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = rest_event(query={"a": ["1", "2"]})
    event["multiValueQueryStringParameters"]["b"] = None
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(query_string=b"a=1&a=2")


@pytest.mark.parametrize(
    ("headers", "scheme", "server"),
    [
        ({"X-Forwarded-Port": "443,80"}, "https", (DOMAIN, 443)),
        ({"X-Forwarded-Port": "8443"}, "https", (DOMAIN, 8443)),
        ({"X-Forwarded-Port": "", "Host": "example.com:8080"}, "https", ("example.com", 8080)),
        ({"X-Forwarded-Port": "x", "Host": "example.com:x"}, "https", ("example.com:x", 443)),
        ({"X-Forwarded-Port": ",", "X-Forwarded-Proto": "HTTP"}, "http", (DOMAIN, 80)),
        ({"X-Forwarded-Port": "", "X-Forwarded-Proto": "wss"}, "https", (DOMAIN, 443)),
        ({"X-Forwarded-Port": "", "Host": "[2001:db8::1]:8080"}, "https", ("[2001:db8::1]", 8080)),
        ({"X-Forwarded-Port": "", "Host": "[2001:db8::1]"}, "https", ("[2001:db8::1]", 443)),
        ({"X-Forwarded-Port": "", "Host": "[2001:db8::1"}, "https", ("[2001:db8::1", 443)),
        ({"X-Forwarded-Port": "", "Host": "2001:db8::1"}, "https", ("2001:db8::1", 443)),
    ],
)
def test_scheme_and_server_from_forwarding_headers(
    make_adapter: AdapterFactory,
    context: FakeContext,
    headers: dict[str, str],
    scheme: str,
    server: tuple[str, int],
) -> None:
    event = rest_event(headers=headers)
    app, _ = serve(make_adapter, event, context)
    client = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    kept = [(name, value) for name, value in EDGE_HEADERS if name not in dict(client)]
    assert plain(app.scope) == expected_scope(scheme=scheme, server=server, headers=kept + client)


@pytest.mark.parametrize(
    ("protocol", "http_version"),
    [("HTTP/1.1", "1.1"), ("HTTP/2.0", "2"), ("HTTP/1.0", "1.0"), ("HTTP/3", "1.1"), (None, "1.1")],
)
def test_http_version(
    make_adapter: AdapterFactory, context: FakeContext, protocol: str | None, http_version: str
) -> None:
    event = rest_event()
    event["requestContext"]["protocol"] = protocol
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(http_version=http_version)


def test_binary_body_is_decoded(make_adapter: AdapterFactory, context: FakeContext) -> None:
    event = rest_event(method="PUT", headers={"Content-Type": "image/png"}, body=b"\x89PNG\x00\xff")
    app, _ = serve(make_adapter, event, context)
    assert app.request_body == b"\x89PNG\x00\xff"
    assert plain(app.scope) == expected_scope(
        method="PUT",
        headers=[*EDGE_HEADERS, (b"content-type", b"image/png"), (b"content-length", b"6")],
    )


def test_content_length_sent_by_the_client_is_kept(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = rest_event(method="POST", headers={"Content-Length": "5"}, body="hello")
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope)["headers"] == [*EDGE_HEADERS, (b"content-length", b"5")]


def test_invalid_base64_body_is_a_400(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    event = rest_event(method="POST", body="not base64!", base64=True)
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    body = f"Bad Request: {BAD_BASE64}"
    assert result == {
        "statusCode": 400,
        "headers": {"content-type": TEXT_PLAIN, "content-length": str(len(body))},
        "multiValueHeaders": {},
        "body": body,
        "isBase64Encoded": False,
    }
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            f"bad rest request, answering 400 without calling the app: {BAD_BASE64} "
            f"(aws_request_id={context.aws_request_id})",
        )
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("headers", "Host: example.com"),
        ("multiValueHeaders", {"Accept": 3}),
        ("multiValueHeaders", {"Accept": {"text/html": 1, "text/plain": 1}}),
        ("requestContext", "prod"),
        ("path", 7),
        ("body", {"k": 1}),
        ("multiValueQueryStringParameters", [["a", "1"]]),
    ],
)
def test_malformed_event_is_a_400(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    key: str,
    value: Any,
) -> None:
    event = rest_event()
    event["multiValueHeaders"] = None
    event[key] = value
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    assert result == {
        "statusCode": 400,
        "headers": {"content-type": TEXT_PLAIN, "content-length": "28"},
        "multiValueHeaders": {},
        "body": "Bad Request: malformed event",
        "isBase64Encoded": False,
    }
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("malformed rest event, answering 400 without calling")


def test_state_is_copied_per_request(make_adapter: AdapterFactory, context: FakeContext) -> None:
    app = RecordingApp(state={"pool": "db"})
    adapter = make_adapter(app)
    adapter(rest_event(), context)
    app.scopes[0]["state"]["request_only"] = True
    adapter(rest_event(), context)
    first, second = (scope["state"] for scope in app.scopes)
    assert first == {"pool": "db", "request_only": True}
    assert second == {"pool": "db"}
    assert adapter.state == {"pool": "db"}


def test_response_headers_single_multi_and_cookies(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    app = RecordingApp(
        status=201,
        headers=[
            (b"Content-Type", b"application/json"),
            (b"X-Multi", b"1"),
            (b"set-cookie", b"a=1; Path=/"),
            (b"x-multi", b"2"),
            (b"Set-Cookie", b"b=2; HttpOnly"),
            (b"X-Latin", b"caf\xe9"),
        ],
        body=b'{"id": 1}',
    )
    _, result = serve(make_adapter, rest_event(method="POST"), context, app)
    assert result == {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-Latin": "café"},
        "multiValueHeaders": {
            "X-Multi": ["1", "2"],
            "Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"],
        },
        "body": '{"id": 1}',
        "isBase64Encoded": False,
    }


def test_repeated_response_headers_keep_their_order(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    app = RecordingApp(
        headers=[(b"x-a", b"1"), (b"x-b", b"1"), (b"x-c", b"1"), (b"x-b", b"2"), (b"x-a", b"2")]
    )
    _, result = serve(make_adapter, rest_event(), context, app)
    assert list(result["headers"].items()) == [("x-c", "1")]
    assert list(result["multiValueHeaders"].items()) == [("x-a", ["1", "2"]), ("x-b", ["1", "2"])]


def test_head_response_has_no_body(make_adapter: AdapterFactory, context: FakeContext) -> None:
    app = RecordingApp(headers=[(b"content-type", b"image/png")], body=b"\x89PNG")
    _, result = serve(make_adapter, rest_event(method="HEAD"), context, app)
    assert result == {
        "statusCode": 200,
        "headers": {"content-type": "image/png"},
        "multiValueHeaders": {},
        "body": "",
        "isBase64Encoded": False,
    }
