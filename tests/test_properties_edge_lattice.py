"""Property-based tests for Lambda@Edge and VPC Lattice: any client request reaches the app
intact, and any response the app sends reaches the Lambda result intact (but for what the
front door cannot carry: headers CloudFront refuses, a second Set-Cookie through Lattice).

Same method as tests/test_properties.py, whose strategies and helpers are reused: requests are
generated as a client would send them, turned into events by the builders, and served by one
Adapter around an inline app that records what it received.
"""

from __future__ import annotations

from base64 import b64decode
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_asgi import Adapter
from lambda_asgi._types import Receive, Scope, Send
from lambda_asgi.testing import FakeContext, edge_event, lattice_event
from tests.test_properties import (
    COOKIES,
    expected_groups,
    grouped,
    header_names,
    header_values,
    scope_headers,
    text,
)

SOURCES = ["edge_origin", "edge_viewer", "lattice", "lattice_v1"]

_seen: list[tuple[Scope, bytes]] = []
_reply: dict[str, Any] = {"headers": [], "body": b""}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    message = await receive()
    _seen.append((scope, message["body"]))
    await send({"type": "http.response.start", "status": 200, "headers": _reply["headers"]})
    await send({"type": "http.response.body", "body": _reply["body"]})


ADAPTER = Adapter(app, lifespan="off")
CONTEXT = FakeContext()


def event_for(source: str, **request: Any) -> dict[str, Any]:
    if source == "edge_origin":
        return edge_event(**request)
    if source == "edge_viewer":
        return edge_event(event_type="viewer-request", **request)
    return lattice_event(version=1 if source == "lattice_v1" else 2, **request)


def invoke(
    event: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = (), body: bytes = b""
) -> tuple[Scope, bytes, Mapping[str, Any]]:
    _seen.clear()
    _reply.update(headers=list(headers), body=body)
    result = ADAPTER(event, CONTEXT)
    assert len(_seen) == 1, result
    scope, received = _seen.pop()
    return scope, received, result


def result_body(result: Mapping[str, Any]) -> bytes:
    if "status" in result:  # CloudFront's generated response
        encoded = result.get("bodyEncoding") == "base64"
        body: str = result.get("body", "")
    else:
        encoded, body = result["isBase64Encoded"], result["body"]
    return b64decode(body, validate=True) if encoded else body.encode("utf-8")


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=30, deadline=None)
@given(segments=st.lists(text, max_size=5), trailing_slash=st.booleans())
def test_path_is_decoded_exactly_once(
    source: str, segments: list[str], trailing_slash: bool
) -> None:
    wire = "/" + "/".join(quote(segment, safe="") for segment in segments)
    if segments and trailing_slash:
        wire += "/"

    scope, _, _ = invoke(event_for(source, path=wire))

    expected = ("", unquote(wire), wire.encode("ascii"))
    assert (scope["root_path"], scope["path"], scope["raw_path"]) == expected


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=30, deadline=None)
@given(pairs=st.lists(st.tuples(text, text), max_size=6))
def test_query_decodes_to_the_client_pairs(source: str, pairs: list[tuple[str, str]]) -> None:
    scope, _, _ = invoke(event_for(source, query=pairs))

    received = parse_qsl(scope["query_string"].decode("ascii"), keep_blank_values=True)
    if source == "lattice_v1":  # v1 keeps the last value of each name
        assert received == [(name, values[-1]) for name, values in grouped(pairs).items()]
    else:
        assert received == pairs


@st.composite
def client_headers(draw: st.DrawFn, source: str) -> dict[str, list[str]]:
    """Names unique case-insensitively, one or more values each; ``cookie``, ``host``,
    ``via``, ``x-forwarded-for`` and the framing headers have example tests of their own."""
    special = ("cookie", "host", "via", "x-forwarded-for", "content-length", "transfer-encoding")
    names = draw(
        st.lists(
            header_names.filter(lambda n: n.lower() not in special), max_size=6, unique_by=str.lower
        )
    )
    values = header_values(forbid="," if source == "lattice_v1" else None)
    return {name: draw(st.lists(values, min_size=1, max_size=3)) for name in names}


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_client_headers_arrive_lowercased_with_every_value(
    source: str, data: st.DataObject
) -> None:
    headers = data.draw(client_headers(source))

    scope, _, _ = invoke(event_for(source, headers=headers))

    if source == "lattice_v1":  # v1 comma-joins repeats
        expected = {name.lower(): [",".join(values)] for name, values in headers.items()}
    else:
        expected = {name.lower(): values for name, values in headers.items()}
    received = scope_headers(scope)
    assert {name: received.get(name) for name in expected} == expected
    assert all(name == name.lower() for name, _ in scope["headers"])


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=30, deadline=None)
@given(body=st.one_of(st.binary(max_size=2048), st.text(max_size=512)))
def test_request_body_arrives_exactly(source: str, body: bytes | str) -> None:
    expected = body.encode("utf-8") if isinstance(body, str) else body

    scope, received, _ = invoke(event_for(source, method="POST", body=body))

    assert received == expected
    if expected:
        assert scope_headers(scope)["content-length"] == [str(len(expected))]


CONTENT_TYPES = [
    [(b"content-type", b"text/plain; charset=utf-8")],
    [(b"content-type", b"application/json")],
    [(b"content-type", b"image/png")],
    [(b"content-type", b"text/html"), (b"content-encoding", b"gzip")],
]


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=30, deadline=None)
@given(
    body=st.one_of(st.binary(max_size=2048), st.text(max_size=512).map(str.encode)),
    headers=st.sampled_from(CONTENT_TYPES),
)
def test_response_body_reaches_the_result_exactly(
    source: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    _, _, result = invoke(event_for(source), headers, body)

    assert result_body(result) == body


# CloudFront refuses these in a generated response; they are left out of the generated names.
REFUSED = {"connection", "expect", "keep-alive", "trailer", "upgrade", "via", "host"}
REFUSED |= {"x-cache", "x-real-ip", "x-forwarded-proto", "content-length", "transfer-encoding"}
REFUSED |= {"accept-encoding", "cdn-loop", "proxy-connection", "proxy-authenticate"}
REFUSED |= {"proxy-authorization", "if-range", "if-none-match", "if-modified-since"}
REFUSED |= {"if-unmodified-since"}


@st.composite
def response_headers(draw: st.DrawFn, source: str) -> list[tuple[str, str]]:
    """Repeated names in varying casing and several Set-Cookie headers, in any order."""
    allowed = header_names.filter(
        lambda n: n.lower() not in REFUSED and not n.lower().startswith(("x-amz", "x-edge-"))
    )
    names = draw(st.lists(allowed, min_size=1, max_size=4))
    values = header_values(forbid=", " if source.startswith("lattice") else None)
    plain = st.tuples(
        st.sampled_from(names).flatmap(lambda n: st.sampled_from([n, n.lower(), n.upper()])),
        values,
    )
    cookie = st.tuples(st.sampled_from(["Set-Cookie", "set-cookie"]), COOKIES)
    return draw(st.lists(st.one_of(plain, cookie), max_size=8))


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_response_headers_carry_every_value_the_front_door_can(
    source: str, data: st.DataObject
) -> None:
    headers = data.draw(response_headers(source))
    groups, cookies = expected_groups(headers)
    sent = [(name.encode(), value.encode()) for name, value in headers]

    _, _, result = invoke(event_for(source), sent)

    if source.startswith("edge"):
        carried = {
            entries[0]["key"]: [entry["value"] for entry in entries]
            for lower, entries in result["headers"].items()
            if lower != "set-cookie"
        }
        sent_cookies = [e["value"] for e in result["headers"].get("set-cookie", [])]
        assert (carried, sent_cookies) == (groups, cookies)
        assert all(lower == lower.lower() for lower in result["headers"])
    else:  # one string per name: repeats joined, the last Set-Cookie
        joined: dict[str, str] = dict(result["headers"])
        cookie = joined.pop("Set-Cookie", None)
        split = {name: value.split(", ") for name, value in joined.items()}
        assert (split, cookie) == (groups, cookies[-1] if cookies else None)
