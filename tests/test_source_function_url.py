"""Lambda Function URLs (payload 2.0 shape): event to scope, response to result."""

from __future__ import annotations

import logging
from base64 import b64decode, b64encode
from typing import Any
from urllib.parse import parse_qsl

import pytest

from lambda_asgi.testing import FakeContext, function_url_event
from tests.apps import BAD_BASE64, TEXT_PLAIN, RecordingApp, plain, serve
from tests.conftest import AdapterFactory

DOMAIN = "abcdefghijklmnopqrstuvwxyz0123.lambda-url.us-east-1.on.aws"
EDGE_HEADERS = [
    (b"accept", b"*/*"),
    (b"host", DOMAIN.encode()),
    (b"user-agent", b"curl/8.5.0"),
    (b"x-amzn-trace-id", b"Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"),
    (b"x-forwarded-for", b"203.0.113.10"),
    (b"x-forwarded-port", b"443"),
    (b"x-forwarded-proto", b"https"),
    (b"x-amzn-tls-cipher-suite", b"TLS_AES_128_GCM_SHA256"),
    (b"x-amzn-tls-version", b"TLSv1.3"),
]


def expected_scope(**changes: Any) -> dict[str, Any]:
    """The scope of ``GET /`` through the Function URL, with changes."""
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
    event = function_url_event(
        method="POST",
        path="/capture/space%20value",
        query="a=1&a=2&q=x%20y+z",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Multi": ["1", "2"]},
        cookies={"a": "1", "b": "2"},
        body="k=v",
    )
    assert event["headers"]["cookie"] == "a=1; b=2"  # sent twice by AWS: header and list
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        method="POST",
        path="/capture/space value",
        raw_path=b"/capture/space%20value",
        query_string=b"a=1&a=2&q=x%20y+z",
        headers=[
            *EDGE_HEADERS,
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"x-multi", b"1,2"),
            (b"cookie", b"a=1; b=2"),
            (b"content-length", b"3"),
        ],
    )
    assert parse_qsl(app.scope["query_string"].decode()) == [("a", "1"), ("a", "2"), ("q", "x y z")]
    assert app.request_body == b"k=v"
    assert result == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "cookies": [],
        "body": "ok",
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    ("client_path", "path"),
    [
        ("/capture/space%20value", "/capture/space value"),
        ("/files/a%2Fb", "/files/a/b"),
        ("/literal%2541", "/literal%41"),
        ("/caf%C3%A9/%E2%82%AC", "/café/€"),
        ("/items/", "/items/"),
    ],
)
def test_raw_path_is_unquoted_once_and_kept(
    make_adapter: AdapterFactory, context: FakeContext, client_path: str, path: str
) -> None:
    app, _ = serve(make_adapter, function_url_event(path=client_path), context)
    assert plain(app.scope) == expected_scope(path=path, raw_path=client_path.encode())


@pytest.mark.parametrize(
    ("client_path", "root_path", "path", "raw_path"),
    [
        ("/api/items%20x", "/api", "/api/items x", b"/api/items%20x"),
        ("/api", "/api", "/api/", b"/api/"),
        ("/apiary", "", "/apiary", b"/apiary"),
        ("/items", "", "/items", b"/items"),
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
    event = function_url_event(path=client_path)
    app, _ = serve(make_adapter, event, context, base_path="/api/")
    assert plain(app.scope) == expected_scope(root_path=root_path, path=path, raw_path=raw_path)


def test_forwarded_port_list_and_missing_host(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = function_url_event(headers={"X-Forwarded-Port": "443,80"})
    del event["headers"]["host"]
    app, _ = serve(make_adapter, event, context)
    headers = [(n, v) for n, v in EDGE_HEADERS if n not in (b"host", b"x-forwarded-port")]
    assert plain(app.scope) == expected_scope(
        headers=[*headers, (b"x-forwarded-port", b"443,80")], server=(DOMAIN, 443)
    )


def test_http_scheme_without_forwarded_port_is_port_80(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = function_url_event(headers={"X-Forwarded-Proto": "http"})
    del event["headers"]["host"], event["headers"]["x-forwarded-port"]
    app, _ = serve(make_adapter, event, context)
    headers = [
        (n, v)
        for n, v in EDGE_HEADERS
        if n not in (b"host", b"x-forwarded-port", b"x-forwarded-proto")
    ]
    assert plain(app.scope) == expected_scope(
        scheme="http",
        headers=[*headers, (b"x-forwarded-proto", b"http")],
        server=(DOMAIN, 80),
    )


def test_base64_body_is_decoded(make_adapter: AdapterFactory, context: FakeContext) -> None:
    event = function_url_event(method="PUT", body=b"\x00\xff\xfe")
    app, _ = serve(make_adapter, event, context)
    assert app.request_body == b"\x00\xff\xfe"
    assert plain(app.scope) == expected_scope(
        method="PUT", headers=[*EDGE_HEADERS, (b"content-length", b"3")]
    )


def test_invalid_base64_body_is_a_400(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    event = function_url_event(method="POST", body="not base64!", base64=True)
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    assert result == {
        "statusCode": 400,
        "headers": {
            "content-type": TEXT_PLAIN,
            "content-length": str(len(f"Bad Request: {BAD_BASE64}")),
        },
        "cookies": [],
        "body": f"Bad Request: {BAD_BASE64}",
        "isBase64Encoded": False,
    }
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            f"bad function_url request, answering 400 without calling the app: {BAD_BASE64} "
            f"(aws_request_id={context.aws_request_id})",
        )
    ]


@pytest.mark.parametrize(("key", "value"), [("headers", ["host", DOMAIN]), ("cookies", 1)])
def test_malformed_event_is_a_400(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    key: str,
    value: Any,
) -> None:
    event = function_url_event(cookies={"a": "1"})
    event[key] = value
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    assert result == {
        "statusCode": 400,
        "headers": {"content-type": TEXT_PLAIN, "content-length": "28"},
        "cookies": [],
        "body": "Bad Request: malformed event",
        "isBase64Encoded": False,
    }
    [record] = caplog.records
    assert (record.levelno, record.getMessage()[:41]) == (
        logging.WARNING,
        "malformed function_url event, answering 4",
    )


def test_state_is_copied_per_request(make_adapter: AdapterFactory, context: FakeContext) -> None:
    app = RecordingApp(state={"client": "shared"})
    adapter = make_adapter(app)
    adapter(function_url_event(), context)
    adapter(function_url_event(), context)
    first, second = (scope["state"] for scope in app.scopes)
    assert first == second == adapter.state == {"client": "shared"}
    assert first is not second
    assert adapter.state is not first


def test_response_cookies_and_joined_headers(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    app = RecordingApp(
        headers=[
            (b"Content-Type", b"application/json"),
            (b"Cache-Control", b"no-cache"),
            (b"set-cookie", b"session=abc; HttpOnly; Secure"),
            (b"cache-control", b"no-store"),
            (b"SET-COOKIE", b"theme=dark"),
            (b"X-Name", "café €".encode()),
        ],
        body=b'{"ok": true}',
    )
    _, result = serve(make_adapter, function_url_event(), context, app)
    assert result == {
        "statusCode": 200,
        "headers": {
            "Content-Type": "application/json",
            "Cache-Control": "no-cache, no-store",
            "X-Name": "café €",
        },
        "cookies": ["session=abc; HttpOnly; Secure", "theme=dark"],
        "body": '{"ok": true}',
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    ("content_type", "encoding", "body", "is_base64"),
    [
        (b"application/json", None, b'{"a": "\xc3\xa9"}', False),
        (b"text/html; charset=utf-8", None, b"<p>", False),
        (b"image/svg+xml", None, b"<svg/>", False),
        (b"application/problem+json", None, b"{}", False),
        (b"application/atom+xml", None, b"<a/>", False),
        (b"text/css", b"identity", b"a{}", False),
        (b"image/png", None, b"\x89PNG\r\n\x1a\n", True),
        (b"text/plain; charset=latin-1", None, b"caf\xe9", True),  # not UTF-8: text loses it
        (b"application/octet-stream", None, b"text-looking bytes", True),
        (None, None, b"no content type", True),
        (b"application/json", b"gzip", b"\x1f\x8b\x08", True),
    ],
)
def test_text_or_base64_body(
    make_adapter: AdapterFactory,
    context: FakeContext,
    content_type: bytes | None,
    encoding: bytes | None,
    body: bytes,
    is_base64: bool,
) -> None:
    headers = [(b"content-type", content_type)] if content_type else []
    if encoding:
        headers.append((b"content-encoding", encoding))
    _, result = serve(
        make_adapter, function_url_event(), context, RecordingApp(headers=headers, body=body)
    )
    assert result == {
        "statusCode": 200,
        "headers": {name.decode(): value.decode() for name, value in headers},
        "cookies": [],
        "body": b64encode(body).decode() if is_base64 else body.decode(),
        "isBase64Encoded": is_base64,
    }
    if is_base64:
        assert b64decode(result["body"]) == body


@pytest.mark.parametrize(
    ("content_type", "body", "is_base64"),
    [
        ("application/vnd.acme", "eyJhIjogMX0=", True),
        ("application/vnd.acme+json", '{"a": 1}', False),
        ("application/vnd.acme.v2", "eyJhIjogMX0=", True),
        ("application/x-acme; charset=utf-8", '{"a": 1}', False),
        ("font/woff2", '{"a": 1}', False),
        ("image/x-acme", "eyJhIjogMX0=", True),
    ],
)
def test_text_mime_types_option(
    make_adapter: AdapterFactory,
    context: FakeContext,
    content_type: str,
    body: str,
    is_base64: bool,
) -> None:
    app = RecordingApp(headers=[(b"content-type", content_type.encode())], body=b'{"a": 1}')
    _, result = serve(
        make_adapter,
        function_url_event(),
        context,
        app,
        text_mime_types=["application/x-ACME", " font/ "],
    )
    assert result == {
        "statusCode": 200,
        "headers": {"content-type": content_type},
        "cookies": [],
        "body": body,
        "isBase64Encoded": is_base64,
    }


def test_head_response_has_no_body(make_adapter: AdapterFactory, context: FakeContext) -> None:
    app = RecordingApp(
        headers=[(b"content-type", b"text/plain"), (b"content-length", b"5")], body=b"hello"
    )
    _, result = serve(make_adapter, function_url_event(method="HEAD"), context, app)
    assert result == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain", "content-length": "5"},
        "cookies": [],
        "body": "",
        "isBase64Encoded": False,
    }
