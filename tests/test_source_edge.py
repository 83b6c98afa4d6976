"""Lambda@Edge viewer-request and origin-request triggers: event to scope and back."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest

from lambda_asgi.sources.edge import EDGE, event_type, response_limit
from lambda_asgi.testing import FakeContext, edge_event
from tests.apps import TEXT_PLAIN, RecordingApp, plain, serve
from tests.conftest import AdapterFactory

DISTRIBUTION = "d111111abcdef8.cloudfront.net"
ORIGIN = "example.org"  # the builder's custom origin, which Host names in origin requests
VIA = "2.0 2afae0d44e2540f472c0635ab62c232b.cloudfront.net (CloudFront)"
IP = "203.0.113.10"
OK = {
    "status": "200",
    "statusDescription": "OK",
    "headers": {"content-type": [{"key": "content-type", "value": "text/plain"}]},
    "body": "ok",
    "bodyEncoding": "text",
}


def viewer_headers(host: str = DISTRIBUTION) -> list[tuple[bytes, bytes]]:
    return [(b"host", host.encode()), (b"user-agent", b"curl/8.5.0"), (b"accept", b"*/*")]


def origin_headers(
    host: str = ORIGIN, forwarded_host: str | None = DISTRIBUTION
) -> list[tuple[bytes, bytes]]:
    """What the app sees of an origin request: CloudFront's headers, Host naming the origin,
    and the public host added as X-Forwarded-Host."""
    headers = [*viewer_headers(host), (b"via", VIA.encode()), (b"x-forwarded-for", IP.encode())]
    if forwarded_host is not None:
        headers.append((b"x-forwarded-host", forwarded_host.encode()))
    return headers


def expected_scope(**changes: Any) -> dict[str, Any]:
    """The scope of ``GET /`` through the origin-request trigger, with changes."""
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
        "headers": origin_headers(),
        "client": (IP, 0),
        "server": (DISTRIBUTION, 443),
        "extensions": {},
        "state": {},
    }
    scope.update(changes)
    return scope


def request_of(event: dict[str, Any]) -> dict[str, Any]:
    return event["Records"][0]["cf"]["request"]  # type: ignore[no-any-return]


def error_result(status: str, description: str, body: str) -> dict[str, Any]:
    return {
        "status": status,
        "statusDescription": description,
        "headers": {"content-type": [{"key": "content-type", "value": TEXT_PLAIN}]},
        "body": body,
        "bodyEncoding": "text",
    }


def test_origin_request_with_raw_query_repeats_and_cookies(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = edge_event(
        path="/capture/space%20value",
        query="a=x%2By&b=1+2&a=caf%C3%A9",
        headers={"X-Multi": ["1", "2"], "X-Forwarded-For": "198.51.100.7"},
        cookies={"a": "1", "b": "2"},
    )
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        path="/capture/space value",
        raw_path=b"/capture/space%20value",
        query_string=b"a=x%2By&b=1+2&a=caf%C3%A9",
        headers=[
            *viewer_headers(ORIGIN),
            (b"x-multi", b"1"),
            (b"x-multi", b"2"),
            (b"cookie", b"a=1; b=2"),
            (b"via", VIA.encode()),
            (b"x-forwarded-for", f"198.51.100.7, {IP}".encode()),
            (b"x-forwarded-host", DISTRIBUTION.encode()),
        ],
    )
    assert parse_qsl(app.scope["query_string"].decode()) == [
        ("a", "x+y"),
        ("b", "1 2"),
        ("a", "café"),
    ]
    assert app.request_body == b""
    assert result == OK


def test_viewer_request_keeps_the_viewers_host(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = edge_event(event_type="viewer-request", headers={"Host": "www.example.com"})
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        headers=[
            (b"user-agent", b"curl/8.5.0"),
            (b"accept", b"*/*"),
            (b"host", b"www.example.com"),
        ],
        server=("www.example.com", 443),
    )
    assert result == OK


def test_origin_request_keeps_a_forwarded_viewer_host(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    """With an origin request policy that forwards Host, it no longer names the origin."""
    event = edge_event()
    request_of(event)["headers"]["host"] = [{"key": "Host", "value": "www.example.com:8443"}]
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        headers=origin_headers("www.example.com:8443", None), server=("www.example.com", 8443)
    )


@pytest.mark.parametrize(
    ("kind", "origin", "headers"),
    [
        ("origin-request", None, origin_headers(forwarded_host=None)[1:]),
        ("viewer-request", None, viewer_headers()[1:]),
        ("origin-request", {}, origin_headers(forwarded_host=None)[1:]),
    ],
)
def test_without_a_host_header_the_distribution_is_the_host(
    make_adapter: AdapterFactory,
    context: FakeContext,
    kind: Any,
    origin: dict[str, Any] | None,
    headers: list[tuple[bytes, bytes]],
) -> None:
    event = edge_event(event_type=kind)
    del request_of(event)["headers"]["host"]
    if origin is not None:
        request_of(event)["origin"] = origin
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(headers=[*headers, (b"host", DISTRIBUTION.encode())])


def test_an_x_forwarded_host_sent_to_the_origin_is_kept_as_it_is(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = edge_event(headers={"X-Forwarded-Host": "www.example.com"})
    app, _ = serve(make_adapter, event, context)
    headers = origin_headers(forwarded_host=None)
    headers.insert(3, (b"x-forwarded-host", b"www.example.com"))
    assert plain(app.scope) == expected_scope(headers=headers)


def test_origin_host_without_a_distribution_domain(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = edge_event()
    del event["Records"][0]["cf"]["config"]
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        headers=origin_headers(forwarded_host=None), server=(ORIGIN, 443)
    )


@pytest.mark.parametrize(("proto", "server"), [("http", 80), ("https", 443), ("ftp", 443)])
def test_scheme_from_cloudfront_forwarded_proto_only(
    make_adapter: AdapterFactory, context: FakeContext, proto: str, server: int
) -> None:
    event = edge_event(
        headers={"CloudFront-Forwarded-Proto": proto, "X-Forwarded-Port": "8080"},
    )
    app, _ = serve(make_adapter, event, context)
    headers = origin_headers()
    headers[3:3] = [(b"cloudfront-forwarded-proto", proto.encode()), (b"x-forwarded-port", b"8080")]
    scheme = "http" if proto == "http" else "https"
    assert plain(app.scope) == expected_scope(
        scheme=scheme, headers=headers, server=(DISTRIBUTION, server)
    )


@pytest.mark.parametrize(
    ("client_path", "path"),
    [
        ("/capture/space%20value", "/capture/space value"),
        ("/files/a%2Fb", "/files/a/b"),
        ("/literal%2541", "/literal%41"),
        ("/caf%C3%A9/", "/café/"),
        ("/bare space", "/bare space"),
    ],
)
def test_paths_are_unquoted_once_and_kept_raw(
    make_adapter: AdapterFactory, context: FakeContext, client_path: str, path: str
) -> None:
    app, _ = serve(make_adapter, edge_event(path=client_path), context)
    assert plain(app.scope) == expected_scope(path=path, raw_path=client_path.encode())


def test_minimal_sample_event(make_adapter: AdapterFactory, context: FakeContext) -> None:
    """No querystring, headers, eventType or clientIp, as in hand-written sample events."""
    event: dict[str, Any] = {"Records": [{"cf": {"request": {"uri": "/a", "method": "GET"}}}]}
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        path="/a", raw_path=b"/a", headers=[], client=None, server=None
    )
    assert result == OK


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
    app, _ = serve(make_adapter, edge_event(path=client_path), context, base_path="api")
    assert plain(app.scope) == expected_scope(root_path=root_path, path=path, raw_path=raw_path)


def test_several_cookie_headers_become_one(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = edge_event(event_type="viewer-request", headers=[("Cookie", "a=1"), ("X-A", "1")])
    request_of(event)["headers"]["cookie"].append({"key": "cookie", "value": "b=2"})
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        headers=[*viewer_headers(), (b"cookie", b"a=1; b=2"), (b"x-a", b"1")]
    )


@pytest.mark.parametrize(
    ("body", "base64", "received"),
    [
        (b"\x00\x01\xff", None, b"\x00\x01\xff"),
        ("grüße", None, "grüße".encode()),
        ("grüße", False, "grüße".encode()),
        ("AAH/", True, b"\x00\x01\xff"),
    ],
)
@pytest.mark.parametrize("kind", ["viewer-request", "origin-request"])
def test_request_bodies(
    make_adapter: AdapterFactory,
    context: FakeContext,
    body: str | bytes,
    base64: bool | None,
    received: bytes,
    kind: Any,
) -> None:
    event = edge_event(method="POST", body=body, base64=base64, event_type=kind)
    assert request_of(event)["body"]["encoding"] == ("text" if base64 is False else "base64")
    app, result = serve(make_adapter, event, context)
    assert (app.scope["method"], app.request_body) == ("POST", received)
    assert result == OK


def test_truncated_body_is_a_413_without_calling_the_app(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    event = edge_event(method="POST", body=b"x" * (40 * 1024 + 1), event_type="viewer-request")
    assert request_of(event)["body"]["inputTruncated"] is True
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    reason = (
        "CloudFront truncated the request body (inputTruncated): Lambda@Edge exposes at most "
        "40 KB (viewer request) or 1 MB (origin request)"
    )
    phrase = "Content Too Large"  # RFC 9110's, on every Python (3.13 renamed HTTPStatus's)
    assert result == error_result("413", phrase, f"{phrase}: {reason}")
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            f"bad edge request, answering 413 without calling the app: {reason} "
            f"(aws_request_id={context.aws_request_id})",
        )
    ]


@pytest.mark.parametrize(
    "headers",
    [{"Content-Length": "5"}, {"Transfer-Encoding": "chunked"}],
    ids=["length", "chunked"],
)
def test_a_body_the_event_leaves_out_is_a_500(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
) -> None:
    event = edge_event(method="POST", headers=headers, include_body=False)
    assert "body" not in request_of(event)
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    reason = (
        'the request has a body but the Lambda@Edge event carries none: enable "Include body" '
        "on the function association"
    )
    body = f"Internal Server Error: {reason}"
    assert result == error_result("500", "Internal Server Error", body)
    [record] = caplog.records
    assert record.getMessage().startswith("bad edge request, answering 500 without calling")


@pytest.mark.parametrize("length", [None, "0", "junk"])
def test_no_body_and_none_announced(
    make_adapter: AdapterFactory, context: FakeContext, length: str | None
) -> None:
    event = edge_event(include_body=False, headers={"Content-Length": length} if length else None)
    app, _ = serve(make_adapter, event, context)
    assert app.request_body == b""


def test_invalid_base64_body_is_a_400(make_adapter: AdapterFactory, context: FakeContext) -> None:
    event = edge_event(method="POST", body="not base64!", base64=True)
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    reason = "the event flags its body as base64 (body.encoding) but it is not valid base64"
    assert result == error_result("400", "Bad Request", f"Bad Request: {reason}")


def _broken(part: str, value: Any) -> dict[str, Any]:
    event = edge_event(method="POST", body=b"x")
    request_of(event)[part] = value
    return event


def _broken_config(value: Any) -> dict[str, Any]:
    event = edge_event(method="POST", body=b"x")
    event["Records"][0]["cf"]["config"] = value
    return event


@pytest.mark.parametrize(
    "event",
    [
        *[_broken_config(value) for value in ([], ["origin-request"], "origin-request", 7, True)],
        _broken("origin", ["custom"]),
        _broken("headers", [["host", "x"]]),
        _broken("headers", {"host": "example.org"}),
        _broken("headers", {"host": [{"key": "Host"}]}),
        _broken("uri", 7),
        _broken("body", "eA=="),
        _broken("querystring", 7),
    ],
)
def test_malformed_event_is_a_400(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    event: dict[str, Any],
) -> None:
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    assert result == error_result("400", "Bad Request", "Bad Request: malformed event")
    [record] = caplog.records
    assert record.getMessage().startswith("malformed edge event, answering 400")


APP_HEADERS = [
    (b"Content-Type", b"image/png"),
    (b"Set-Cookie", b"a=1; Path=/"),
    (b"Vary", b"Accept"),
    (b"set-cookie", b"b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"),
    (b"vary", b"Cookie"),
    (b"Content-Length", b"4"),
    (b"Connection", b"keep-alive"),
    (b"X-Amz-Cf-Pop", b"FRA56"),
    (b"X-Edge-Location", b"x"),
    (b"Via", b"1.1 proxy"),
    (b"Host", b"example.org"),
    (b"Accept-Encoding", b"gzip"),
]


@pytest.mark.parametrize(
    ("kind", "kept", "dropped"),
    [
        (
            "viewer-request",
            {"accept-encoding": [{"key": "Accept-Encoding", "value": "gzip"}]},
            "Connection, X-Amz-Cf-Pop, X-Edge-Location, Via, Host",
        ),
        (
            "origin-request",
            {"host": [{"key": "Host", "value": "example.org"}]},
            "Connection, X-Amz-Cf-Pop, X-Edge-Location, Via, Accept-Encoding",
        ),
    ],
)
def test_response_in_cloudfronts_format_without_refused_headers(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    kind: Any,
    kept: dict[str, Any],
    dropped: str,
) -> None:
    app = RecordingApp(status=201, headers=APP_HEADERS, body=b"\x89PNG")
    _, result = serve(make_adapter, edge_event(event_type=kind), context, app)
    assert result == {
        "status": "201",
        "statusDescription": "Created",
        "headers": {
            "content-type": [{"key": "Content-Type", "value": "image/png"}],
            "vary": [{"key": "Vary", "value": "Accept"}, {"key": "Vary", "value": "Cookie"}],
            **kept,
            "set-cookie": [
                {"key": "Set-Cookie", "value": "a=1; Path=/"},
                {"key": "Set-Cookie", "value": "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"},
            ],
        },
        "body": "iVBORw==",
        "bodyEncoding": "base64",
    }
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            f"dropping response headers CloudFront refuses from a Lambda@Edge {kind} "
            f"function: {dropped}",
        )
    ]


def test_content_length_is_dropped_silently(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    app = RecordingApp(
        headers=[(b"content-type", b"application/json"), (b"content-length", b"2")], body=b"{}"
    )
    _, result = serve(make_adapter, edge_event(), context, app)
    assert result == {
        "status": "200",
        "statusDescription": "OK",
        "headers": {"content-type": [{"key": "content-type", "value": "application/json"}]},
        "body": "{}",
        "bodyEncoding": "text",
    }
    assert caplog.records == []


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    ("status", "description"), [(204, "No Content"), (304, "Not Modified"), (599, "Unknown")]
)
def test_empty_bodies_leave_out_body_and_encoding(
    make_adapter: AdapterFactory,
    context: FakeContext,
    method: str,
    status: int,
    description: str,
) -> None:
    app = RecordingApp(status=status)
    _, result = serve(make_adapter, edge_event(method=method), context, app)
    assert result == {"status": str(status), "statusDescription": description, "headers": {}}


def test_head_response_has_no_body(make_adapter: AdapterFactory, context: FakeContext) -> None:
    app = RecordingApp(headers=[(b"content-type", b"text/plain")], body=b"ok")
    _, result = serve(make_adapter, edge_event(method="HEAD"), context, app)
    assert result == {
        "status": "200",
        "statusDescription": "OK",
        "headers": {"content-type": [{"key": "content-type", "value": "text/plain"}]},
    }


def test_a_204_body_is_dropped_with_a_warning(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    app = RecordingApp(status=204, body=b"oops")
    _, result = serve(make_adapter, edge_event(), context, app)
    assert result == {"status": "204", "statusDescription": "No Content", "headers": {}}
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            "dropping the 4-byte body of a 204 response: CloudFront rejects it",
        )
    ]


@pytest.mark.parametrize(
    ("config", "origin", "kind", "limit"),
    [
        ({"eventType": "viewer-request"}, None, "viewer-request", 40 * 1024),
        ({"eventType": "origin-request"}, None, "origin-request", 1024 * 1024),
        ({}, {"custom": {}}, "origin-request", 1024 * 1024),
        ({}, None, "viewer-request", 40 * 1024),
        (None, {"s3": {}}, "origin-request", 1024 * 1024),
        ({"eventType": "viewer-request"}, {"s3": {}}, "viewer-request", 40 * 1024),
    ],
)
def test_event_type_and_response_limit(
    config: dict[str, Any] | None, origin: dict[str, Any] | None, kind: str, limit: int
) -> None:
    request: dict[str, Any] = {"uri": "/"}
    if origin is not None:
        request["origin"] = origin
    cf: dict[str, Any] = {"request": request}
    if config is not None:
        cf["config"] = config
    event = {"Records": [{"cf": cf}]}
    assert EDGE.matches(event)
    assert (event_type(cf), response_limit(event)) == (kind, limit)
    assert EDGE.response_limit is response_limit


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [{"cf": {"config": {"eventType": "viewer-response"}, "request": {}}}]},
        {"Records": [{"cf": {"request": {}, "response": {"status": "200"}}}]},
        {"Records": [{"cf": {"config": {"eventType": "origin-request"}}}]},
        {"Records": [{"cf": None}]},
        {"Records": ["cf"]},
        {"Records": []},
        {"Records": {"cf": {}}},
    ],
)
def test_only_request_events_match(event: dict[str, Any]) -> None:
    assert not EDGE.matches(event)


@pytest.mark.parametrize(("kind", "fits"), [("viewer-request", False), ("origin-request", True)])
def test_results_over_the_event_types_limit_become_a_clean_500(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    kind: Any,
    fits: bool,
) -> None:
    """A 41 KB page fits an origin-request answer (1 MB) but not a viewer-request one (40 KB),
    where CloudFront would answer an opaque 502."""
    page = b"x" * (41 * 1024)
    app = RecordingApp(headers=[(b"content-type", b"text/html")], body=page)
    _, result = serve(make_adapter, edge_event(event_type=kind), context, app)
    if fits:
        assert (result["status"], result["body"]) == ("200", page.decode())
        assert caplog.records == []
        return
    assert (result["status"], result["statusDescription"]) == ("500", "Internal Server Error")
    assert result["body"].startswith("Internal Server Error: response too large (")
    assert result["body"].endswith(", limit 40960)")
    [record] = caplog.records
    assert record.getMessage().startswith("the edge result is ")
