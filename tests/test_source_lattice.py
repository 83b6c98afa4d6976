"""VPC Lattice targets, event structure versions 2 and 1: event to scope and back."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest

from lambda_asgi.sources.lattice import LATTICE, LATTICE_V1
from lambda_asgi.testing import FakeContext, http_api_event, lattice_event
from tests.apps import BAD_BASE64, TEXT_PLAIN, RecordingApp, plain, serve
from tests.conftest import AdapterFactory

HOST = "my-service-0a40eebed65f8d69c.7d67968.vpc-lattice-svcs.us-east-1.on.aws"
IP = "203.0.113.10"
VERSIONS = [1, 2]
OK = {
    "statusCode": 200,
    "headers": {"content-type": "text/plain"},
    "body": "ok",
    "isBase64Encoded": False,
}


def lattice_headers(forwarded_for: str = IP) -> list[tuple[bytes, bytes]]:
    return [
        (b"host", HOST.encode()),
        (b"user-agent", b"curl/8.5.0"),
        (b"accept", b"*/*"),
        (b"x-forwarded-for", forwarded_for.encode()),
    ]


def expected_scope(**changes: Any) -> dict[str, Any]:
    """The scope of ``GET /`` through the service's HTTPS listener, with changes."""
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
        "headers": lattice_headers(),
        "client": (IP, 0),
        "server": (HOST, 443),
        "extensions": {},
        "state": {},
    }
    scope.update(changes)
    return scope


def test_v2_request_with_query_in_the_path_and_repeats(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = lattice_event(
        method="POST",
        path="/capture/space%20value",
        query="a=x%2By&b=1+2&a=caf%C3%A9",
        headers={"X-Multi": ["1", "2"], "Content-Type": "application/octet-stream"},
        cookies={"a": "1", "b": "2"},
        body=b"\x00\x01",
    )
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        method="POST",
        path="/capture/space value",
        raw_path=b"/capture/space%20value",
        query_string=b"a=x%2By&b=1+2&a=caf%C3%A9",
        headers=[
            *lattice_headers()[:3],
            (b"x-multi", b"1"),
            (b"x-multi", b"2"),
            (b"content-type", b"application/octet-stream"),
            (b"cookie", b"a=1; b=2"),
            (b"content-length", b"2"),
            lattice_headers()[3],
        ],
    )
    assert parse_qsl(app.scope["query_string"].decode()) == [
        ("a", "x+y"),
        ("b", "1 2"),
        ("a", "café"),
    ]
    assert app.request_body == b"\x00\x01"
    assert result == OK


def test_v1_request_keeps_the_last_parameter_and_joined_headers(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = lattice_event(
        path="/capture/space%20value",
        query="a=x%2By&b=1+2&a=2",
        headers={"X-Multi": ["1", "2"]},
        body='{"a": 1}',
        version=1,
    )
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        path="/capture/space value",
        raw_path=b"/capture/space%20value",
        query_string=b"a=2&b=1+2",
        headers=[
            *lattice_headers()[:3],
            (b"x-multi", b"1,2"),
            (b"content-length", b"8"),
            lattice_headers()[3],
        ],
    )
    assert app.request_body == b'{"a": 1}'
    assert result == OK


@pytest.mark.parametrize(
    ("client_path", "path"),
    [
        ("/capture/space%20value", "/capture/space value"),
        ("/files/a%2Fb", "/files/a/b"),
        ("/literal%2541", "/literal%41"),
        ("/caf%C3%A9/", "/café/"),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_paths_are_unquoted_once_and_kept_raw(
    make_adapter: AdapterFactory, context: FakeContext, client_path: str, path: str, version: Any
) -> None:
    event = lattice_event(path=client_path, version=version)
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(path=path, raw_path=client_path.encode())


@pytest.mark.parametrize(
    ("path", "params", "raw_path", "query"),
    [
        (
            "/todos",
            {"order-id": ["1", "2"], "q": "a b"},
            b"/todos",
            b"order-id=1&order-id=2&q=a%20b",
        ),
        ("/todos?x=%41", {"order-id": ["1"]}, b"/todos", b"x=%41"),
        ("?x=1", None, b"/", b"x=1"),
        ("/todos?", {"x": ["1"]}, b"/todos", b""),
        ("/todos", {"empty": None, "x": "%2B"}, b"/todos", b"x=%2B"),
    ],
)
def test_v2_query_from_the_path_else_from_the_raw_parameters(
    make_adapter: AdapterFactory,
    context: FakeContext,
    path: str,
    params: dict[str, Any] | None,
    raw_path: bytes,
    query: bytes,
) -> None:
    event = lattice_event()
    event["path"] = path
    event["queryStringParameters"] = params
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        path=raw_path.decode(), raw_path=raw_path, query_string=query
    )


def test_v2_sample_with_snake_case_parameters_and_plain_string_headers(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    """Powertools' and other early v2 samples mix in v1 spellings; they still arrive."""
    event = lattice_event(path="/newpath")
    event["headers"] = {name: values[0] for name, values in event["headers"].items()}
    event["query_string_parameters"] = {"order-id": "1"}
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        path="/newpath", raw_path=b"/newpath", query_string=b"order-id=1"
    )


def test_v1_raw_path_may_carry_the_query(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = lattice_event(version=1, query="ignored=1")
    event["raw_path"] = "/a%20b?x=1&x=2"
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(
        path="/a b", raw_path=b"/a%20b", query_string=b"x=1&x=2"
    )


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("198.51.100.7, 203.0.113.10", ("203.0.113.10", 0)),
        ("198.51.100.7,", None),
        ("", None),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_client_is_the_rightmost_forwarded_for_entry(
    make_adapter: AdapterFactory,
    context: FakeContext,
    forwarded_for: str,
    client: tuple[str, int] | None,
    version: Any,
) -> None:
    event = lattice_event(version=version)
    event["headers"]["x-forwarded-for"] = [forwarded_for] if version == 2 else forwarded_for
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(headers=lattice_headers(forwarded_for), client=client)


def test_repeated_forwarded_for_headers_use_the_last(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = lattice_event(headers={"X-Forwarded-For": "198.51.100.7"})
    assert event["headers"]["x-forwarded-for"] == [f"198.51.100.7, {IP}"]
    event["headers"]["x-forwarded-for"] = ["198.51.100.7", IP]
    app, _ = serve(make_adapter, event, context)
    headers = [*lattice_headers("198.51.100.7"), (b"x-forwarded-for", IP.encode())]
    assert plain(app.scope) == expected_scope(headers=headers)


@pytest.mark.parametrize(
    ("extra", "scheme", "server"),
    [
        # What Lattice adds: the listener's protocol and port.
        ({"x-forwarded-for-proto": "http"}, "http", (HOST, 80)),
        ({"x-forwarded-for-proto": "http", "x-forwarded-for-port": "8080"}, "http", (HOST, 8080)),
        # v1 comma-joins a client's copy with Lattice's, which comes last.
        ({"x-forwarded-for-port": "1234, 443"}, "https", (HOST, 443)),
        ({"x-forwarded-for-proto": "ftp"}, "https", (HOST, 443)),
        # What a client may send: passed on, never believed.
        ({"x-forwarded-proto": "http", "x-forwarded-port": "1234"}, "https", (HOST, 443)),
        ({"host": "svc.example.com:8443"}, "https", ("svc.example.com", 8443)),
    ],
)
def test_scheme_and_server(
    make_adapter: AdapterFactory,
    context: FakeContext,
    extra: dict[str, str],
    scheme: str,
    server: tuple[str, int],
) -> None:
    event = lattice_event(version=1)
    event["headers"].update(extra)
    app, _ = serve(make_adapter, event, context)
    headers = [
        (name, extra.get(name.decode(), value.decode()).encode())
        for name, value in lattice_headers()
    ]
    headers += [(name.encode(), value.encode()) for name, value in extra.items() if name != "host"]
    assert plain(app.scope) == expected_scope(scheme=scheme, headers=headers, server=server)


def test_several_cookie_values_become_one_header(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    event = lattice_event(cookies=["a=1"])
    event["headers"]["cookie"] = ["a=1", "b=2"]
    app, _ = serve(make_adapter, event, context)
    headers = [*lattice_headers()[:3], (b"cookie", b"a=1; b=2"), lattice_headers()[3]]
    assert plain(app.scope) == expected_scope(headers=headers)


@pytest.mark.parametrize(
    ("joined", "cookie"),
    [
        ("a=1,b=2", b"a=1; b=2"),
        ("a=1; b=2,c=3", b"a=1; b=2; c=3"),
        ("a=1, b=2", b"a=1; b=2"),
        # A comma inside a (non-conforming) value is not a join: no cookie name follows it.
        ('a={"x":1,"y":2},b=2', b'a={"x":1,"y":2}; b=2'),
        ("a=1; b=2", b"a=1; b=2"),
    ],
)
def test_v1_comma_joined_cookie_headers_become_one_valid_cookie_header(
    make_adapter: AdapterFactory, context: FakeContext, joined: str, cookie: bytes
) -> None:
    event = lattice_event(version=1)
    event["headers"]["cookie"] = joined
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(headers=[*lattice_headers(), (b"cookie", cookie)])


def test_v2_keeps_commas_in_a_cookie_value(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    """v2 lists repeated headers: a comma in a value is the client's."""
    event = lattice_event()
    event["headers"]["cookie"] = ["a=1,b=2"]
    app, _ = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(headers=[*lattice_headers(), (b"cookie", b"a=1,b=2")])


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
    app, _ = serve(make_adapter, lattice_event(path=client_path), context, base_path="api")
    assert plain(app.scope) == expected_scope(root_path=root_path, path=path, raw_path=raw_path)


@pytest.mark.parametrize(
    ("event", "source"),
    [
        ({"version": "2.0", "requestContext": {"targetGroupArn": "arn"}}, "lattice"),
        ({"raw_path": "", "method": None}, "lattice_v1"),
    ],
)
def test_minimal_events(
    make_adapter: AdapterFactory, context: FakeContext, event: dict[str, Any], source: str
) -> None:
    app, result = serve(make_adapter, event, context)
    assert plain(app.scope) == expected_scope(scheme="https", headers=[], client=None, server=None)
    assert result == OK


@pytest.mark.parametrize("version", VERSIONS)
def test_invalid_base64_body_is_a_400(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    version: Any,
) -> None:
    event = lattice_event(method="POST", body="not base64!", base64=True, version=version)
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    body = f"Bad Request: {BAD_BASE64}"
    assert result == {
        "statusCode": 400,
        "headers": {"content-type": TEXT_PLAIN, "content-length": str(len(body))},
        "body": body,
        "isBase64Encoded": False,
    }
    name = "lattice" if version == 2 else "lattice_v1"
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            f"bad {name} request, answering 400 without calling the app: {BAD_BASE64} "
            f"(aws_request_id={context.aws_request_id})",
        )
    ]


@pytest.mark.parametrize(
    ("version", "key", "value"),
    [
        (2, "headers", [["host", "x"]]),
        (2, "path", 7),
        (2, "queryStringParameters", ["a=1"]),
        (1, "headers", "host: x"),
        (1, "raw_path", ["/"]),
        (1, "query_string_parameters", "a=1"),
    ],
)
def test_malformed_event_is_a_400(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    version: Any,
    key: str,
    value: Any,
) -> None:
    event = lattice_event(version=version)
    event[key] = value
    app, result = serve(make_adapter, event, context)
    assert app.scopes == []
    assert result == {
        "statusCode": 400,
        "headers": {"content-type": TEXT_PLAIN, "content-length": "28"},
        "body": "Bad Request: malformed event",
        "isBase64Encoded": False,
    }
    [record] = caplog.records
    assert record.getMessage().startswith("malformed lattice")


COOKIE_APP_HEADERS = [
    (b"Content-Type", b"image/png"),
    (b"Set-Cookie", b"a=1; Path=/"),
    (b"Vary", b"Accept"),
    (b"set-cookie", b"b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"),
    (b"vary", b"Cookie"),
]


@pytest.mark.parametrize("version", VERSIONS)
def test_response_joins_repeats_and_keeps_the_last_cookie_with_a_warning(
    make_adapter: AdapterFactory,
    context: FakeContext,
    caplog: pytest.LogCaptureFixture,
    version: Any,
) -> None:
    app = RecordingApp(status=201, headers=COOKIE_APP_HEADERS, body=b"\x89PNG")
    _, result = serve(make_adapter, lattice_event(version=version), context, app)
    assert result == {
        "statusCode": 201,
        "headers": {
            "Content-Type": "image/png",
            "Vary": "Accept, Cookie",
            "Set-Cookie": "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
        },
        "body": "iVBORw==",
        "isBase64Encoded": True,
    }
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.WARNING,
            "VPC Lattice takes one value per response header: sending the last of 2 "
            "Set-Cookie headers",
        )
    ]


def test_one_cookie_needs_no_warning(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    app = RecordingApp(headers=[(b"set-cookie", b"a=1")])
    _, result = serve(make_adapter, lattice_event(), context, app)
    assert result == {
        "statusCode": 200,
        "headers": {"Set-Cookie": "a=1"},
        "body": "",
        "isBase64Encoded": False,
    }
    assert caplog.records == []


@pytest.mark.parametrize("version", VERSIONS)
def test_head_response_has_no_body(
    make_adapter: AdapterFactory, context: FakeContext, version: Any
) -> None:
    app = RecordingApp(headers=[(b"content-type", b"application/json")], body=b"{}")
    _, result = serve(make_adapter, lattice_event(method="HEAD", version=version), context, app)
    assert result == {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": "",
        "isBase64Encoded": False,
    }


def test_lattice_v2_is_never_http_api_and_the_reverse() -> None:
    event = lattice_event()
    assert (LATTICE.matches(event), LATTICE_V1.matches(event)) == (True, False)
    api = http_api_event()
    assert not LATTICE.matches(api)
    api["requestContext"]["targetGroupArn"] = "arn"
    assert not LATTICE.matches(api)
    assert LATTICE_V1.matches(lattice_event(version=1))
    assert not LATTICE_V1.matches({"raw_path": "/", "method": "GET", "httpMethod": "GET"})
    assert not LATTICE.matches({"version": "2.0", "requestContext": {"region": "us-east-1"}})
    assert not LATTICE.matches({"version": "1.0", "requestContext": {"targetGroupArn": "a"}})
    assert not LATTICE.matches({"version": "2.0", "requestContext": "targetGroupArn"})
