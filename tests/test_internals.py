"""Small internals whose behaviour the public tests only reach by chance: bounded caches,
prefix matching and the reprs shown in debugging sessions."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_asgi._model import Config, Response
from lambda_asgi.sources import SOURCES, _request, _response


def test_reprs() -> None:
    assert repr(Config("/api", frozenset({"font/"}))) == (
        "Config(base_path='/api', text_mime_types=frozenset({'font/'}))"
    )
    assert repr(Response(200, [(b"a", b"b")], b"x" * 50)) == (
        f"Response(200, [(b'a', b'b')], {b'x' * 40!r}...)"
    )
    assert [repr(source) for source in SOURCES] == [
        "<Source websocket>",
        "<Source alb>",
        "<Source rest>",
        "<Source function_url>",
        "<Source http_api>",
        "<Source http_api_v1>",
        "<Source edge>",
        "<Source lattice>",
        "<Source lattice_v1>",
    ]


def test_config_equality() -> None:
    assert Config("/api") == Config("/api")
    assert Config("/api") != Config("/v1")
    assert Config() != "Config()"


def test_text_cache_is_bounded() -> None:
    config = Config()
    for index in range(300):
        assert _response.is_text(f"text/x-{index}", config)
    assert len(config.text_cache) <= 256
    assert not _response.is_text("image/png", config)
    assert config.text_cache["image/png"] is False


def test_endpoint_cache_is_bounded() -> None:
    for index in range(300):
        watched = {b"host": f"h{index}.example.com".encode()}
        assert _request.watched_endpoint(watched, "https", None) == (
            "https",
            (f"h{index}.example.com", 443),
        )
    assert len(_request._endpoints) <= 256


def test_strip_prefix() -> None:
    assert _request.strip_prefix("/prod/items", "/prod") == "/items"
    assert _request.strip_prefix("/prod", "/prod") == "/"
    assert _request.strip_prefix("/production", "/prod") is None
    assert _request.strip_prefix("/items", "/prod") is None


def test_multi_value_headers_outside_latin_1_and_empty() -> None:
    headers, watched = _request.collect_multi_headers({"X-Name": ["Zoë", "€"], "Host": ["h"]})
    assert headers == [
        (b"x-name", "Zoë".encode("latin-1")),
        (b"x-name", "€".encode()),
        (b"host", b"h"),
    ]
    assert watched == {b"x-name": "€".encode(), b"host": b"h"}
    assert _request.collect_multi_headers(None) == ([], {})
    assert _request.multi_headers({}) == []


@given(st.text(alphabet=st.characters(max_codepoint=255)))
def test_header_values_of_known_names_keep_their_latin_1_bytes(value: str) -> None:
    _request.collect_headers([("X-Known", "seen")])  # the name is known: the fast path
    expected = [(b"x-known", value.encode("latin-1"))]
    assert _request.collect_headers([("X-Known", value)]) == (expected, dict(expected))
    assert _request.collect_multi_headers({"X-Known": [value]}) == (expected, dict(expected))


def test_raw_root_cache_is_bounded() -> None:
    for index in range(100):
        assert _request._raw_root(f"/stage {index}") == f"/stage%20{index}".encode()
    assert len(_request._raw_roots) <= 64


def test_header_name_cache_is_bounded_and_keeps_first_sightings_right() -> None:
    for index in range(_request._MAX_NAMES + 10):
        headers, _ = _request.collect_headers([(f"X-Name-{index}", "v")])
        assert headers == [(f"x-name-{index}".encode(), b"v")]
    assert len(_request._names) <= _request._MAX_NAMES
    # Names seen before and names not seen yet, in one event.
    headers, watched = _request.collect_headers([("Host", "h"), ("X-New-Once", "Zoë")])
    assert headers == [(b"host", b"h"), (b"x-new-once", "Zoë".encode("latin-1"))]
    assert watched == {b"host": b"h", b"x-new-once": "Zoë".encode("latin-1")}


def test_header_names_that_are_not_strings_are_not_remembered() -> None:
    headers, _ = _request.collect_headers([(7, 8), ("Ünï", "€")])
    assert headers == [(b"7", b"8"), ("ünï".encode("latin-1"), "€".encode())]
    assert "7" not in _request._names
    assert _request._names["Ünï"] == "ünï".encode("latin-1")


_FRESH_PROCESS = """
import sys
from typing import Any

import pytest
import lambda_asgi
from lambda_asgi.sources import EDGE, LATTICE, LATTICE_V1
from lambda_asgi.testing import FakeContext, edge_event, http_api_event, lattice_event
sys.modules.pop("lambda_asgi.testing._websocket")  # the builders' module, not the adapter's

deferred = (
    "lambda_asgi.sources.edge",
    "lambda_asgi.sources.lattice",
    "lambda_asgi.sources.websocket",
    "lambda_asgi.ws_cycle",
    "lambda_asgi.testing._websocket",
)

async def app(scope, receive, send):
    if scope["type"] == "websocket":
        return await send({"type": "websocket.accept"})
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": scope["path"].encode()})

handler = lambda_asgi.Adapter(app, lifespan="off")
assert handler(http_api_event(path="/api"), FakeContext())["body"] == "/api"
assert not any(name in sys.modules for name in deferred), "loaded without need"
viewer = edge_event(event_type="viewer-request")
assert EDGE.response_limit(viewer) == 40 * 1024  # loads the module on the way
assert "lambda_asgi.sources.edge" in sys.modules
assert LATTICE.response_limit == LATTICE_V1.response_limit == 6 * 1024 * 1024
from lambda_asgi._model import Config, Response
answer = LATTICE_V1.to_response(Response(204, [], b""), lattice_event(version=1), Config())
assert answer == {"statusCode": 204, "headers": {}, "body": "", "isBase64Encoded": False}
assert "lambda_asgi.sources.lattice" in sys.modules
print(handler(lattice_event(path="/l2"), FakeContext())["body"])
print(handler(lattice_event(path="/l1", version=1), FakeContext())["body"])
print(handler(edge_event(path="/e"), FakeContext())["body"])
assert not any(name in sys.modules for name in deferred[2:]), "loaded without need"
assert "boto3" not in sys.modules
from lambda_asgi.sources import WEBSOCKET
assert WEBSOCKET.to_response(Response(200, [], b""), {}, Config()) == {"statusCode": 200}
assert "lambda_asgi.sources.websocket" in sys.modules
event = {"requestContext": {"eventType": "CONNECT", "connectionId": "c="}}
print(handler(event, FakeContext())["statusCode"])
assert "lambda_asgi.ws_cycle" in sys.modules and "boto3" not in sys.modules
"""


def test_edge_lattice_and_websocket_load_with_their_first_event() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS], capture_output=True, text=True, check=False
    )
    assert completed.stderr == ""
    assert completed.stdout.split() == ["/l2", "/l1", "/e", "200"]


def test_response_header_bytes_outside_utf_8_are_read_as_latin_1() -> None:
    assert _response.header_text(b"caf\xe9") == "café"
    folded = _response.fold_headers([(b"X-Caf\xe9", b"cr\xe8me"), (b"x-caf\xe9", b"br\xfbl\xe9e")])
    assert folded == ({"X-Café": "crème"}, {"X-Café": ["crème", "brûlée"]}, [], None, False)


@pytest.mark.parametrize(
    ("headers", "folded"),
    [
        # lowercase names, each once (Set-Cookie aside): each name is its own key
        (
            [(b"content-type", b"text/html"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")],
            ({"content-type": "text/html"}, {}, ["a=1", "b=2"], "text/html", False),
        ),
        # a lowercase name sent again, after others: folded the general way from the start
        (
            [(b"x-a", b"1"), (b"content-encoding", b"gzip"), (b"x-a", b"2")],
            ({"x-a": "1", "content-encoding": "gzip"}, {"x-a": ["1", "2"]}, [], None, True),
        ),
        # a capitalised name after a lowercase one: the first spelling names the header
        (
            [(b"x-b", b"1"), (b"X-B", b"2"), (b"Content-Type", b"text/plain")],
            (
                {"x-b": "1", "Content-Type": "text/plain"},
                {"x-b": ["1", "2"]},
                [],
                "text/plain",
                False,
            ),
        ),
    ],
    ids=["lowercase-once", "lowercase-repeated", "capitalised"],
)  # fmt: skip
def test_response_headers_fold_the_same_whichever_way_they_take(
    headers: list[tuple[bytes, bytes]], folded: Any
) -> None:
    assert _response.fold_headers(headers) == folded
    # and the result holds fresh containers: a source may add to them
    first, second = _response.fold_headers(headers), _response.fold_headers(headers)
    assert all(a is not b for a, b in zip(first[:3], second[:3], strict=True))


# -- the HTTP API header path: the event's own lowercase dict as the lookup -----------------


def test_lowercase_headers_take_only_lowercase_string_names() -> None:
    assert _request.lowercase_headers({"host": "h", "x-a": "Zoë"}) == [
        (b"host", b"h"),
        (b"x-a", "Zoë".encode("latin-1")),
    ]
    # Another spelling, a value beyond latin-1 or of another type, or no dict at all: None,
    # and the source collects the headers the general way.
    assert _request.lowercase_headers({"Host": "h"}) is None
    assert _request.lowercase_headers({"host": "€"}) is None
    assert _request.lowercase_headers({"host": 5}) is None
    assert _request.lowercase_headers([("host", "h")]) is None
    assert _request.lowercase_headers({}) == []


def test_lowercase_name_cache_is_bounded_and_refuses_huge_events() -> None:
    for index in range(_request._MAX_NAMES + 10):
        assert _request.lowercase_headers({f"x-name-{index}": "v"}) == [
            (f"x-name-{index}".encode(), b"v")
        ]
    assert len(_request._lower_names) <= _request._MAX_NAMES
    huge = {f"x-huge-{index}": "v" for index in range(_request._MAX_NAMES // 2 + 1)}
    assert _request.lowercase_headers(huge) is None


def test_no_content_type_is_no_text() -> None:
    assert not _response.is_text(None, Config())
    assert _response.encode_body(b"\x00", None, False, Config()) == ("AA==", True)


def test_endpoint_from_text_or_bytes_is_the_same() -> None:
    text = _request.endpoint("h.example:8080", " 8443 , 80", "HTTP", "https", None)
    raw = _request.endpoint(b"h.example:8080", b" 8443 , 80", b"HTTP", "https", None)
    assert text == raw == ("http", ("h.example", 8443))
    # Header bytes that are not UTF-8 are latin-1 text, as the front door re-encodes them.
    assert _request.endpoint(b"caf\xe9.example", None, None, "https", None) == (
        "https",
        ("café.example", 443),
    )
    assert _request.endpoint(None, None, None, "https", "fallback.example") == (
        "https",
        ("fallback.example", 443),
    )
