"""API Gateway HTTP APIs, payload format 2.0 and 1.0: event to scope, response to result."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest

from lambda_asgi.testing import FakeContext, http_api_event
from tests.apps import BAD_BASE64, TEXT_PLAIN, RecordingApp, plain, serve
from tests.conftest import AdapterFactory

DOMAIN = "abc123defg.execute-api.us-east-1.amazonaws.com"
CUSTOM = "api.example.com"
TRACE = b"Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"


def edge_headers(host: str = DOMAIN, length: int = 0) -> list[tuple[bytes, bytes]]:
    return [
        (b"accept", b"*/*"),
        (b"host", host.encode()),
        (b"user-agent", b"curl/8.5.0"),
        (b"x-amzn-trace-id", TRACE),
        (b"x-forwarded-for", b"203.0.113.10"),
        (b"x-forwarded-port", b"443"),
        (b"x-forwarded-proto", b"https"),
        (b"content-length", str(length).encode()),
    ]


def expected_scope(**changes: Any) -> dict[str, Any]:
    """The scope of ``GET /`` on the ``$default`` stage of the execute-api domain, changed."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/",
        "raw_path": None,
        "root_path": "",
        "query_string": b"",
        "headers": edge_headers(),
        "client": ("203.0.113.10", 0),
        "server": (DOMAIN, 443),
        "extensions": {},
        "state": {},
    }
    scope.update(changes)
    return scope


class TestPayloadV2:
    def test_post_with_query_headers_cookies_and_body(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        event = http_api_event(
            method="POST",
            path="/capture/space%20value",
            query="a=1&a=2&q=x%20y+z",
            headers={"Content-Type": "application/json", "X-Multi": ["1", "2"]},
            cookies={"a": "1", "b": "2"},
            body='{"k": 1}',
        )
        app, result = serve(make_adapter, event, context)
        assert plain(app.scope) == expected_scope(
            method="POST",
            path="/capture/space value",
            query_string=b"a=1&a=2&q=x%20y+z",
            headers=[
                *edge_headers(length=8),
                (b"content-type", b"application/json"),
                (b"x-multi", b"1,2"),
                (b"cookie", b"a=1; b=2"),
            ],
        )
        assert parse_qsl(app.scope["query_string"].decode()) == [
            ("a", "1"),
            ("a", "2"),
            ("q", "x y z"),
        ]
        assert app.request_body == b'{"k": 1}'
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
            ("/literal%2541", "/literal%41"),  # rawPath is decoded once already: keep it
            ("/caf%C3%A9", "/café"),
            ("/items/", "/items/"),
        ],
    )
    def test_paths_are_never_unquoted_again(
        self, make_adapter: AdapterFactory, context: FakeContext, client_path: str, path: str
    ) -> None:
        app, _ = serve(make_adapter, http_api_event(path=client_path), context)
        assert plain(app.scope) == expected_scope(path=path)

    @pytest.mark.parametrize(
        ("client_path", "path"), [("/items/", "/Prod/items/"), ("/", "/Prod/")]
    )
    def test_named_stage_is_the_root_path(
        self, make_adapter: AdapterFactory, context: FakeContext, client_path: str, path: str
    ) -> None:
        event = http_api_event(path=client_path, stage="Prod")
        app, _ = serve(make_adapter, event, context, base_path="/ignored")
        assert plain(app.scope) == expected_scope(root_path="/Prod", path=path)

    def test_stage_not_in_raw_path(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        event = http_api_event(path="/Prodigy", stage="Prod")
        event["rawPath"] = "/Prodigy"
        app, _ = serve(make_adapter, event, context)
        assert plain(app.scope) == expected_scope(path="/Prodigy")

    def test_named_stage_without_domain_name(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        event = http_api_event(path="/items", stage="Prod")
        del event["requestContext"]["domainName"]
        app, _ = serve(make_adapter, event, context)
        assert plain(app.scope) == expected_scope(root_path="/Prod", path="/Prod/items")

    @pytest.mark.parametrize(
        ("stage", "base_path", "root_path"),
        [
            ("$default", None, ""),
            ("$default", "/v1", "/v1"),
            ("dev", "v1/", "/v1"),
            ("dev", None, ""),
        ],
    )
    def test_custom_domain_root_is_the_base_path_option(
        self,
        make_adapter: AdapterFactory,
        context: FakeContext,
        stage: str,
        base_path: str | None,
        root_path: str,
    ) -> None:
        event = http_api_event(path="/items/a%20b", stage=stage, domain_name=CUSTOM)
        app, _ = serve(make_adapter, event, context, base_path=base_path)
        assert plain(app.scope) == expected_scope(
            root_path=root_path,
            path=f"{root_path}/items/a b",
            headers=edge_headers(host=CUSTOM),
            server=(CUSTOM, 443),
        )

    def test_cookie_header_is_built_once_from_the_cookie_list(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        event = http_api_event(cookies=["a=1", "b=2"])
        event["headers"]["cookie"] = "stale=1"
        app, _ = serve(make_adapter, event, context)
        assert plain(app.scope) == expected_scope(
            headers=[*edge_headers(), (b"cookie", b"a=1; b=2")]
        )

    def test_hand_written_event_fallbacks(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        event = http_api_event(path="/items", query={"q": "a b"})
        del event["rawPath"], event["rawQueryString"], event["headers"]
        http = event["requestContext"]["http"]
        del http["method"], http["sourceIp"]
        http["protocol"] = "HTTP/2.0"
        app, _ = serve(make_adapter, event, context)
        assert plain(app.scope) == expected_scope(
            http_version="2",
            path="/items",
            query_string=b"q=a%20b",
            headers=[],
            client=None,
            server=(DOMAIN, 443),
        )

    def test_no_path_and_no_query_at_all(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        event = http_api_event()
        del event["rawPath"], event["requestContext"]["http"]["path"], event["rawQueryString"]
        app, _ = serve(make_adapter, event, context)
        assert plain(app.scope) == expected_scope()

    def test_invalid_base64_body_is_a_400(
        self, make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
    ) -> None:
        event = http_api_event(method="POST", body="not base64!", base64=True)
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
                f"bad http_api request, answering 400 without calling the app: {BAD_BASE64} "
                f"(aws_request_id={context.aws_request_id})",
            )
        ]

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("headers", "host: x"),
            ("cookies", 5),
            ("body", 5),
            ("rawPath", 5),
        ],
    )
    def test_malformed_event_is_a_400(
        self,
        make_adapter: AdapterFactory,
        context: FakeContext,
        caplog: pytest.LogCaptureFixture,
        key: str,
        value: Any,
    ) -> None:
        event = http_api_event()
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
        assert record.levelno == logging.WARNING
        assert record.getMessage().startswith("malformed http_api event, answering 400")

    def test_response_headers_joined_and_cookies_listed(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        app = RecordingApp(
            status=302,
            headers=[
                (b"Location", b"/next"),
                (b"Vary", b"Accept"),
                (b"set-cookie", b"a=1; Path=/"),
                (b"VARY", b"Cookie"),
                (b"Set-Cookie", b"b=2; Secure"),
                (b"X-Raw", b"\xff\xfe"),
            ],
        )
        _, result = serve(make_adapter, http_api_event(), context, app)
        assert result == {
            "statusCode": 302,
            "headers": {"Location": "/next", "Vary": "Accept, Cookie", "X-Raw": "\xff\xfe"},
            "cookies": ["a=1; Path=/", "b=2; Secure"],
            "body": "",
            "isBase64Encoded": False,
        }
        assert result["headers"]["X-Raw"].encode("latin-1") == b"\xff\xfe"

    def test_head_response_has_no_body(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        app = RecordingApp(headers=[(b"content-type", b"text/html")], body=b"<html>")
        _, result = serve(make_adapter, http_api_event(method="HEAD"), context, app)
        assert result == {
            "statusCode": 200,
            "headers": {"content-type": "text/html"},
            "cookies": [],
            "body": "",
            "isBase64Encoded": False,
        }


class TestPayloadV1:
    def test_post_on_a_named_stage(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        event = http_api_event(
            payload_version="1.0",
            stage="dev",
            method="POST",
            path="/capture/space%20value",
            query="a=1&a=2&q=x%20y+z",
            headers={"X-Multi": ["1", "2"]},
            cookies={"a": "1"},
            body=b"\x00\x01",
        )
        app, result = serve(make_adapter, event, context)
        assert plain(app.scope) == expected_scope(
            method="POST",
            root_path="/dev",
            path="/dev/capture/space value",
            query_string=b"a=1&a=2&q=x%20y%20z",
            headers=[
                *edge_headers(length=2),
                (b"x-multi", b"1"),
                (b"x-multi", b"2"),
                (b"cookie", b"a=1"),
            ],
        )
        assert app.request_body == b"\x00\x01"
        assert result == {
            "statusCode": 200,
            "headers": {"content-type": "text/plain"},
            "multiValueHeaders": {},
            "body": "ok",
            "isBase64Encoded": False,
        }

    @pytest.mark.parametrize(
        ("client_path", "path"),
        [
            ("/files/a%2Fb/", "/files/a/b/"),
            ("/literal%2541", "/literal%41"),
            ("/caf%C3%A9", "/café"),
        ],
    )
    def test_default_stage_paths(
        self, make_adapter: AdapterFactory, context: FakeContext, client_path: str, path: str
    ) -> None:
        event = http_api_event(payload_version="1.0", path=client_path)
        app, _ = serve(make_adapter, event, context)
        assert plain(app.scope) == expected_scope(path=path)

    @pytest.mark.parametrize(
        ("stage", "base_path"), [("dev", None), ("dev", "/v1"), ("$default", "/v1")]
    )
    def test_custom_domain_root_is_the_base_path_option(
        self, make_adapter: AdapterFactory, context: FakeContext, stage: str, base_path: str | None
    ) -> None:
        event = http_api_event(
            payload_version="1.0", path="/items", stage=stage, domain_name=CUSTOM
        )
        app, _ = serve(make_adapter, event, context, base_path=base_path)
        root_path = base_path or ""
        assert plain(app.scope) == expected_scope(
            root_path=root_path,
            path=f"{root_path}/items",
            headers=[(b"accept", b"*/*"), *edge_headers(host=CUSTOM)[1:]],
            server=(CUSTOM, 443),
        )

    def test_base_path_is_ignored_on_the_execute_api_domain(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        event = http_api_event(payload_version="1.0", path="/v1/items")
        app, _ = serve(make_adapter, event, context, base_path="/v1")
        assert plain(app.scope) == expected_scope(path="/v1/items")

    def test_response_uses_the_rest_shape(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        app = RecordingApp(
            headers=[
                (b"content-type", b"application/octet-stream"),
                (b"Set-Cookie", b"a=1"),
                (b"x-b", b"1"),
                (b"X-B", b"2"),
            ],
            body=b"\x00\xff",
        )
        _, result = serve(make_adapter, http_api_event(payload_version="1.0"), context, app)
        assert result == {
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "multiValueHeaders": {"x-b": ["1", "2"], "Set-Cookie": ["a=1"]},
            "body": "AP8=",
            "isBase64Encoded": True,
        }

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("multiValueHeaders", {"Host": 1}),
            ("path", 7),
        ],
    )
    def test_malformed_event_is_a_400(
        self, make_adapter: AdapterFactory, context: FakeContext, key: str, value: Any
    ) -> None:
        event = http_api_event(payload_version="1.0")
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


def test_hand_written_capitalized_header_names_still_give_host_port_and_length(
    make_adapter: AdapterFactory,
) -> None:
    # API Gateway lowercases 2.0 header names; a hand-written event may not. Such names are
    # collected the general way, and the lookups by name still find them.
    event = http_api_event(method="POST", body="abc")
    event["headers"] = {"Host": "api.example.com", "X-Forwarded-Port": "8443", "X-Custom": "1"}
    app, _ = serve(make_adapter, event, FakeContext())
    [scope] = app.scopes
    assert (scope["server"], scope["headers"]) == (
        ("api.example.com", 8443),
        [
            (b"host", b"api.example.com"),
            (b"x-forwarded-port", b"8443"),
            (b"x-custom", b"1"),
            (b"content-length", b"3"),
        ],
    )
