"""Starlette and FastAPI apps served through every front door, feature by feature.

Each test runs one app (tests/framework_apps.py) behind one source, built with the
lambda_asgi.testing event builders, and asserts the decoded response: ``decode`` turns any
source's result into (status, headers, cookies, body) after checking the result has exactly the
keys that source accepts. ``test_hello`` and ``test_cookies`` also pin the whole result dicts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from base64 import b64decode
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest

from lambda_asgi import Adapter
from lambda_asgi.sources._response import PHRASES
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
)

from .conftest import AdapterFactory
from .framework_apps import APPS, PNG, SSE_EVENTS, STREAM_CHUNKS

API = "https://abc123defg.execute-api.us-east-1.amazonaws.com"
FUNCTION_URL = "https://abcdefghijklmnopqrstuvwxyz0123.lambda-url.us-east-1.on.aws"
ALB = "https://my-alb-1234567890.us-east-1.elb.amazonaws.com"
CLOUDFRONT = "https://d111111abcdef8.cloudfront.net"
LATTICE = "https://my-service-0a40eebed65f8d69c.7d67968.vpc-lattice-svcs.us-east-1.on.aws"

# The keys each front door accepts in a result: REST answers 502 to any other key, ALB to a
# header mode that differs from the request's. Lambda@Edge leaves body and bodyEncoding out
# of an empty response.
KEYS = {
    "rest": {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"},
    "v2": {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
    "alb": {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"},
    "alb_multi": {
        "statusCode",
        "statusDescription",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
    },
    "edge": {"status", "statusDescription", "headers", "body", "bodyEncoding"},
    "lattice": {"statusCode", "headers", "body", "isBase64Encoded"},
}
# One value per header name, so one Set-Cookie only (the last, with a warning).
ONE_COOKIE = ("alb", "lattice")


@dataclass(frozen=True)
class Front:
    """One front door: its event builder, result shape and the public URL of the app's root."""

    name: str
    build: Callable[..., dict[str, Any]]
    shape: str
    base: str

    @property
    def root(self) -> str:
        return urlsplit(self.base).path


FRONTS = [
    Front("rest", partial(rest_event, stage="prod"), "rest", f"{API}/prod"),
    Front("http_api", http_api_event, "v2", API),
    Front("http_api_stage", partial(http_api_event, stage="v1"), "v2", f"{API}/v1"),
    Front("http_api_v1", partial(http_api_event, payload_version="1.0"), "rest", API),
    Front("function_url", function_url_event, "v2", FUNCTION_URL),
    Front("alb", alb_event, "alb", ALB),
    Front("alb_multi", partial(alb_event, multi_value=True), "alb_multi", ALB),
    # An origin request policy that forwards Host, as apps behind CloudFront use to build URLs.
    Front("edge_origin", partial(edge_event, forward_host=True), "edge", CLOUDFRONT),
    Front("edge_viewer", partial(edge_event, event_type="viewer-request"), "edge", CLOUDFRONT),
    Front("lattice", lattice_event, "lattice", LATTICE),
    Front("lattice_v1", partial(lattice_event, version=1), "lattice", LATTICE),
]


class Served(NamedTuple):
    status: int
    headers: dict[str, list[str]]  # lowercased names, Set-Cookie excluded
    cookies: list[str]
    body: bytes
    base64: bool

    def json(self) -> Any:
        return json.loads(self.body)


def decode(shape: str, result: Mapping[str, Any]) -> Served:
    """Normalise a Lambda result of any source, checking it has exactly that source's keys."""
    if shape == "edge":
        return decode_edge(result)
    assert set(result) == KEYS[shape]
    status = result["statusCode"]
    if shape.startswith("alb"):
        assert result["statusDescription"] == f"{status} {PHRASES[status]}"
    single: Mapping[str, str] = result.get("headers", {})
    multi: Mapping[str, list[str]] = result.get("multiValueHeaders", {})
    assert not {n.lower() for n in single} & {n.lower() for n in multi}  # never sent twice
    headers: dict[str, list[str]] = {}
    cookies: list[str] = list(result.get("cookies", []))
    for name, values in [*((n, [v]) for n, v in single.items()), *multi.items()]:
        assert all(isinstance(value, str) for value in values)
        if name.lower() == "set-cookie":
            cookies.extend(values)
        else:
            headers.setdefault(name.lower(), []).extend(values)
    encoded: bool = result["isBase64Encoded"]
    body = b64decode(result["body"], validate=True) if encoded else result["body"].encode()
    return Served(status, headers, cookies, body, encoded)


def decode_edge(result: Mapping[str, Any]) -> Served:
    """CloudFront's generated response: string status, list-format headers, bodyEncoding."""
    assert set(result) in (KEYS["edge"], KEYS["edge"] - {"body", "bodyEncoding"})
    status = int(result["status"])
    assert result["statusDescription"] == PHRASES[status]
    headers: dict[str, list[str]] = {}
    cookies: list[str] = []
    for name, entries in result["headers"].items():
        assert name == name.lower()
        assert all(entry["key"].lower() == name for entry in entries)
        values = [entry["value"] for entry in entries]
        assert all(isinstance(value, str) for value in values)
        if name == "set-cookie":
            cookies.extend(values)
        else:
            headers[name] = values
    encoded = result.get("bodyEncoding") == "base64"
    text = result.get("body", "")
    body = b64decode(text, validate=True) if encoded else text.encode()
    return Served(status, headers, cookies, body, encoded)


def sized(front: Front, headers: dict[str, list[str]]) -> dict[str, list[str]]:
    """The app's headers as the client gets them: CloudFront sets content-length itself, so
    Lambda@Edge answers leave it out."""
    if front.shape != "edge":
        return headers
    return {name: values for name, values in headers.items() if name != "content-length"}


def whole(shape: str, headers: dict[str, str], body: str) -> dict[str, Any]:
    """The complete result of a 200 text response without cookies, for this source shape."""
    if shape == "edge":
        result: dict[str, Any] = {
            "status": "200",
            "statusDescription": "OK",
            "headers": {
                name: [{"key": name, "value": value}]
                for name, value in headers.items()
                if name != "content-length"
            },
        }
        return result | ({"body": body, "bodyEncoding": "text"} if body else {})
    ok = {"statusCode": 200, "statusDescription": "200 OK"}
    top = {name: ok[name] for name in KEYS[shape] & set(ok)}
    if shape == "rest":
        top |= {"headers": headers, "multiValueHeaders": {}}
    elif shape == "v2":
        top |= {"headers": headers, "cookies": []}
    elif shape in ONE_COOKIE:
        top |= {"headers": headers}
    else:
        top |= {"multiValueHeaders": {name: [value] for name, value in headers.items()}}
    return top | {"body": body, "isBase64Encoded": False}


@pytest.fixture(params=FRONTS, ids=[front.name for front in FRONTS])
def front(request: pytest.FixtureRequest) -> Front:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=sorted(APPS))
def app_name(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def adapter(make_adapter: AdapterFactory, app_name: str) -> Adapter:
    return make_adapter(APPS[app_name]())


Serve = Callable[..., Served]
JSON = ["application/json"]


@pytest.fixture
def serve(adapter: Adapter, front: Front, context: FakeContext) -> Serve:
    def call(**request: Any) -> Served:
        return decode(front.shape, adapter(front.build(**request), context))

    return call


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_hello(adapter: Adapter, front: Front, context: FakeContext, method: str) -> None:
    """Whole results; HEAD keeps the GET headers (content-length too) and drops the body."""
    result = adapter(front.build(method=method, path="/hello"), context)
    headers = {"x-demo": "yes", "content-length": "12", "content-type": "text/plain; charset=utf-8"}
    body = "hello, world" if method == "GET" else ""
    assert result == whole(front.shape, headers, body)


@pytest.mark.parametrize(
    ("path", "name"),
    [("/paths/plain", "plain"), ("/paths/a%20b", "a b"), ("/paths/caf%C3%A9", "café")],
)
def test_path_params(serve: Serve, front: Front, path: str, name: str) -> None:
    served = serve(path=path)
    assert served.status == 200
    assert served.headers["content-type"] == JSON
    assert served.json() == {"name": name, "path": f"{front.root}/paths/{name}"}


def test_repeated_query_params(serve: Serve, front: Front) -> None:
    served = serve(path="/query", query=[("tag", "a"), ("tag", "b"), ("q", "x y+z")])
    # ALB in single-value mode and Lattice v1 keep only the last value of a repeated parameter.
    tags = ["b"] if front.name in ("alb", "lattice_v1") else ["a", "b"]
    raw = "&".join([*(f"tag={tag}" for tag in tags), "q=x%20y%2Bz"])
    assert (served.status, served.json()) == (200, {"tag": tags, "q": "x y+z", "raw": raw})


def test_json_post(serve: Serve) -> None:
    item = {"name": "lamp", "price": 12.5, "tags": ["home", "desk"]}
    served = serve(
        method="POST",
        path="/items",
        headers={"Content-Type": "application/json"},
        body=json.dumps(item),
    )
    assert (served.status, served.headers["content-type"]) == (201, JSON)
    assert served.json() == {"created": item}
    assert not served.base64


def test_multipart_upload(serve: Serve) -> None:
    data = bytes(range(256)) * 64
    boundary = "----lambda-asgi-boundary-7MA4YWxkTrZu0gW"
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="note"\r\n\r\n',
            "grüße, notes\r\n".encode(),
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="blob"; filename="blob.bin"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n",
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    served = serve(
        method="POST",
        path="/upload",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        body=body,
    )
    assert (served.status, served.headers["content-type"]) == (200, JSON)
    assert served.json() == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "filename": "blob.bin",
        "content_type": "application/octet-stream",
        "note": "grüße, notes",
    }


COOKIE_BODY = '{"cookies":{"session":"abc123","theme":"dark"}}'
COOKIE_HEADERS = {"content-length": "47", "content-type": "application/json"}
SET_COOKIES = ["a=1; Path=/; SameSite=lax", "b=2; HttpOnly; Path=/; SameSite=lax"]
COOKIE_RESULTS = {
    "rest": {
        "statusCode": 200,
        "headers": COOKIE_HEADERS,
        "multiValueHeaders": {"Set-Cookie": SET_COOKIES},
        "body": COOKIE_BODY,
        "isBase64Encoded": False,
    },
    "v2": {
        "statusCode": 200,
        "headers": COOKIE_HEADERS,
        "cookies": SET_COOKIES,
        "body": COOKIE_BODY,
        "isBase64Encoded": False,
    },
    "alb": {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {**COOKIE_HEADERS, "Set-Cookie": SET_COOKIES[1]},
        "body": COOKIE_BODY,
        "isBase64Encoded": False,
    },
    "lattice": {
        "statusCode": 200,
        "headers": {**COOKIE_HEADERS, "Set-Cookie": SET_COOKIES[1]},
        "body": COOKIE_BODY,
        "isBase64Encoded": False,
    },
    "edge": {
        "status": "200",
        "statusDescription": "OK",
        "headers": {
            "content-type": [{"key": "content-type", "value": "application/json"}],
            "set-cookie": [{"key": "Set-Cookie", "value": cookie} for cookie in SET_COOKIES],
        },
        "body": COOKIE_BODY,
        "bodyEncoding": "text",
    },
    "alb_multi": {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "multiValueHeaders": {
            "content-length": ["47"],
            "content-type": ["application/json"],
            "Set-Cookie": SET_COOKIES,
        },
        "body": COOKIE_BODY,
        "isBase64Encoded": False,
    },
}


def test_cookies(
    adapter: Adapter, front: Front, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    """The app reads the request's cookies and sets two; all reach the client but in ALB's
    single-value mode and through Lattice, which carry one Set-Cookie only (the last, with a
    warning)."""
    event = front.build(path="/cookies", cookies={"session": "abc123", "theme": "dark"})
    result = adapter(event, context)
    assert result == COOKIE_RESULTS[front.shape]
    served = decode(front.shape, result)
    assert served.cookies == (SET_COOKIES[1:] if front.shape in ONE_COOKIE else SET_COOKIES)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    if front.shape in ONE_COOKIE:
        assert [r.name for r in warnings] == ["lambda_asgi"]
        assert "sending the last of 2" in warnings[0].getMessage()
    else:
        assert warnings == []


def test_redirect_location_from_url_for(serve: Serve, front: Front) -> None:
    served = serve(path="/redirect")
    assert (served.status, served.body) == (307, b"")
    assert served.headers == sized(
        front, {"location": [f"{front.base}/items/1"], "content-length": ["0"]}
    )


def test_binary_download(adapter: Adapter, front: Front, context: FakeContext) -> None:
    result = adapter(front.build(path="/logo.png"), context)
    served = decode(front.shape, result)
    assert served.base64
    assert served.status == 200
    assert served.headers == sized(
        front, {"content-length": [str(len(PNG))], "content-type": ["image/png"]}
    )
    assert served.body == PNG


@pytest.mark.parametrize(
    ("path", "chunks", "content_type"),
    [
        ("/stream", STREAM_CHUNKS, "text/plain; charset=utf-8"),
        ("/events", SSE_EVENTS, "text/event-stream; charset=utf-8"),
    ],
    ids=["stream", "sse"],
)
def test_streaming_response_is_delivered_whole(
    serve: Serve, path: str, chunks: list[bytes], content_type: str
) -> None:
    served = serve(path=path)
    assert served == Served(200, {"content-type": [content_type]}, [], b"".join(chunks), False)


def test_background_tasks_finish_before_the_handler_returns(serve: Serve, adapter: Adapter) -> None:
    served = serve(method="POST", path="/jobs", query={"name": "nightly"})
    assert (served.status, served.json()) == (202, {"queued": "nightly"})
    assert adapter.state["jobs"] == ["nightly"]


def test_url_for_and_request_url(serve: Serve, front: Front) -> None:
    served = serve(path="/items/1")
    assert (served.status, served.headers["content-type"]) == (200, JSON)
    url = f"{front.base}/items/1"
    assert served.json() == {"id": 1, "url": url, "request_url": url, "root_path": front.root}


def test_url_for_behind_rest_stage(adapter: Adapter, context: FakeContext) -> None:
    result = adapter(rest_event(path="/items/1", stage="prod"), context)
    assert json.loads(result["body"])["url"] == (
        "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/items/1"
    )


@pytest.mark.parametrize("app_name", ["fastapi"], indirect=True)
def test_fastapi_docs_and_openapi_behind_the_root(serve: Serve, front: Front) -> None:
    docs = serve(path="/docs")
    assert (docs.status, docs.headers["content-type"]) == (200, ["text/html; charset=utf-8"])
    assert f"url: '{front.root}/openapi.json'" in docs.body.decode()
    schema = serve(path="/openapi.json")
    assert (schema.status, schema.headers["content-type"]) == (200, JSON)
    assert schema.json()["info"]["title"] == "framework tests"
    assert "/items/{item_id}" in schema.json()["paths"]
    assert schema.json().get("servers") == ([{"url": front.root}] if front.root else None)


CUSTOM = "api.example.com"


def on_custom_domain(case: str, front: Front, host: str = CUSTOM, **request: Any) -> Any:
    """A request for /items/1 through the custom domain's "/api" mapping."""
    request.setdefault("path", "/items/1")
    build = partial(front.build, **request)
    return pytest.param(front, build, host, id=case)


(
    rest,
    http_api,
    http_api_stage,
    http_api_v1,
    function_url,
    alb,
    alb_multi,
    edge_origin,
    edge_viewer,
    lattice,
    lattice_v1,
) = FRONTS
CUSTOM_DOMAINS = [
    on_custom_domain("rest", rest, domain_name=CUSTOM, base_path="/api"),
    on_custom_domain("http_api", http_api, domain_name=CUSTOM),
    on_custom_domain("http_api_stage", http_api_stage, domain_name=CUSTOM),
    on_custom_domain("http_api_v1", http_api_v1, domain_name=CUSTOM),
    on_custom_domain("http_api_v1_stage", http_api_v1, domain_name=CUSTOM, stage="v1"),
    # Behind CloudFront or an ALB path rule the base path stays in the event's path.
    on_custom_domain(
        "function_url", function_url, urlsplit(FUNCTION_URL).netloc, path="/api/items/1"
    ),
    on_custom_domain("alb", alb, path="/api/items/1", headers={"Host": CUSTOM}),
    on_custom_domain("alb_multi", alb_multi, path="/api/items/1", headers={"Host": CUSTOM}),
    # Behind a CloudFront path pattern, with the viewer's Host forwarded to the origin.
    on_custom_domain("edge_viewer", edge_viewer, path="/api/items/1", headers={"Host": CUSTOM}),
    on_custom_domain("edge_origin", edge_origin, path="/api/items/1", headers={"Host": CUSTOM}),
    on_custom_domain("lattice", lattice, path="/api/items/1", headers={"Host": CUSTOM}),
    on_custom_domain("lattice_v1", lattice_v1, path="/api/items/1", headers={"Host": CUSTOM}),
]


@pytest.mark.parametrize(("front", "build", "host"), CUSTOM_DOMAINS)
def test_custom_domain_base_path(
    make_adapter: AdapterFactory,
    app_name: str,
    context: FakeContext,
    front: Front,
    build: Callable[[], dict[str, Any]],
    host: str,
) -> None:
    """``Adapter(base_path="/api")``: the custom domain's API mapping becomes the root path."""
    adapter = make_adapter(APPS[app_name](), base_path="/api")
    served = decode(front.shape, adapter(build(), context))
    url = f"https://{host}/api/items/1"
    assert served.json() == {"id": 1, "url": url, "request_url": url, "root_path": "/api"}


def test_lifespan_state_is_shared_by_requests(serve: Serve, adapter: Adapter) -> None:
    assert [serve(path="/state").json() for _ in range(3)] == [
        {"hits": n, "events": ["startup"]} for n in (1, 2, 3)
    ]
    assert adapter.state["hits"].count == 3
    adapter.shutdown()
    assert adapter.state["events"] == ["startup", "shutdown"]


NOT_FOUND = {"starlette": b"Not Found", "fastapi": b'{"detail":"Not Found"}'}
NOT_ALLOWED = {"starlette": b"Method Not Allowed", "fastapi": b'{"detail":"Method Not Allowed"}'}
ERROR_TYPES = {"starlette": "text/plain; charset=utf-8", "fastapi": "application/json"}


def test_unknown_route_is_404(serve: Serve, app_name: str) -> None:
    served = serve(path="/nope")
    assert (served.status, served.body) == (404, NOT_FOUND[app_name])
    assert served.headers["content-type"] == [ERROR_TYPES[app_name]]


def test_wrong_method_is_405(serve: Serve, app_name: str) -> None:
    served = serve(method="DELETE", path="/hello")
    assert (served.status, served.body) == (405, NOT_ALLOWED[app_name])
    assert served.headers["content-type"] == [ERROR_TYPES[app_name]]
    assert sorted(served.headers["allow"][0].split(", ")) == ["GET", "HEAD"]


@pytest.mark.parametrize("app_name", ["fastapi"], indirect=True)
def test_fastapi_invalid_body_is_422(serve: Serve) -> None:
    served = serve(
        method="POST",
        path="/items",
        headers={"Content-Type": "application/json"},
        body='{"name": "lamp", "price": "cheap"}',
    )
    assert (served.status, served.headers["content-type"]) == (422, JSON)
    [error] = served.json()["detail"]
    assert (error["type"], error["loc"], error["input"]) == (
        "float_parsing",
        ["body", "price"],
        "cheap",
    )
