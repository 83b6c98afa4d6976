"""Property-based tests of what no app and no event may get through any front door.

- Whatever header bytes the app sends, no Lambda result carries CR, LF or NUL in a header
  name, a header value or a cookie: such a response is a protocol violation, answered 500.
- Whatever nested field of a realistic event holds a value of the wrong type (a list where an
  object belongs, a number where a string belongs, ``null`` ...), the handler answers with a
  result or raises one of lambda_asgi's named exceptions: never a bare ``AttributeError``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_asgi import Adapter, LambdaAsgiError, UnsupportedEventError
from lambda_asgi._types import Receive, Scope, Send
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
)

BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "rest": rest_event,
    "http_api_v2": http_api_event,
    "http_api_v1": lambda **request: http_api_event(payload_version="1.0", **request),
    "function_url": function_url_event,
    "alb": alb_event,
    "alb_multi": lambda **request: alb_event(multi_value=True, **request),
    "edge_origin": edge_event,
    "edge_viewer": lambda **request: edge_event(event_type="viewer-request", **request),
    "lattice": lattice_event,
    "lattice_v1": lambda **request: lattice_event(version=1, **request),
}
SOURCES = list(BUILDERS)
CONTEXT = FakeContext()

_reply: dict[str, Any] = {"headers": []}


_bad_scopes: list[str] = []


def scope_problems(scope: Scope) -> list[str]:
    """What in a scope breaks the ASGI spec's types: an app may rely on every one of them."""

    def address(value: Any) -> bool:
        return value is None or (
            type(value) is tuple
            and len(value) == 2
            and type(value[0]) is str
            and (value[1] is None or type(value[1]) is int)
        )

    checks = {
        "method": type(scope["method"]) is str and scope["method"] != "",
        "scheme": scope["scheme"] in ("http", "https"),
        "path": type(scope["path"]) is str,
        "raw_path": scope["raw_path"] is None or type(scope["raw_path"]) is bytes,
        "root_path": type(scope["root_path"]) is str,
        "query_string": type(scope["query_string"]) is bytes,
        "headers": type(scope["headers"]) is list
        and all(
            type(pair) is tuple and len(pair) == 2 and all(type(part) is bytes for part in pair)
            for pair in scope["headers"]
        ),
        "client": address(scope["client"]),
        "server": address(scope["server"]),
    }
    return [f"{key}: {scope[key]!r:.60}" for key, fine in checks.items() if not fine]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    _bad_scopes.extend(scope_problems(scope))
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": _reply["headers"]})
    await send({"type": "http.response.body", "body": b"ok"})


ADAPTER = Adapter(app, lifespan="off")
EVENTS_ADAPTER = Adapter(app, lifespan="off", events_path="/events")


def request_for(source: str) -> dict[str, Any]:
    """A POST with a query, cookies, repeated headers and a body: every field a front door
    can fill is present, so every one of them gets mutated."""
    return BUILDERS[source](
        method="POST",
        path="/items/a%20b",
        query="q=1&q=2&r=x",
        headers={"X-Forwarded-Proto": "https", "X-Multi": ["1", "2"], "Content-Type": "text/plain"},
        cookies={"a": "1", "b": "2"},
        body="hello",
    )


def result_header_strings(result: Any) -> Iterator[str]:
    """Every header name, header value and cookie of a result, whatever its shape."""

    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            for key, item in value.items():
                yield key
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    for field in ("headers", "multiValueHeaders", "cookies"):
        yield from strings(result.get(field))


@contextlib.contextmanager
def recorded_errors() -> Iterator[list[str]]:
    """The messages lambda_asgi logs at ERROR inside the block (hypothesis runs many examples
    per test, which a function-scoped ``caplog`` would mix up)."""
    messages: list[str] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("lambda_asgi")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


# -- header injection ------------------------------------------------------------------------

LINE_BREAKERS = (b"\r", b"\n", b"\0")
header_bytes = st.one_of(
    st.binary(max_size=12),
    st.lists(
        st.sampled_from([b"a", b"-", b" ", b"\xe9", *LINE_BREAKERS, b"\r\nSet-Cookie: x=1"]),
        max_size=6,
    ).map(b"".join),
)
header_name_bytes = st.one_of(
    st.sampled_from([b"set-cookie", b"location", b"x-a", b"content-type"]), header_bytes
)


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=40, deadline=None)
@given(
    headers=st.lists(st.tuples(header_name_bytes, header_bytes), max_size=5),
)
def test_no_result_carries_a_line_breaker_in_a_header(
    source: str, headers: list[tuple[bytes, bytes]]
) -> None:
    _reply["headers"] = headers
    with recorded_errors() as errors:
        result = ADAPTER(request_for(source), CONTEXT)

    found = [text for text in result_header_strings(result) if set(text) & set("\r\n\0")]
    assert found == []
    injected = any(breaker in name + value for name, value in headers for breaker in LINE_BREAKERS)
    status = result.get("statusCode") or result.get("status")
    assert str(status) == ("500" if injected else "200")
    violations = [message for message in errors if "ASGI protocol violation" in message]
    assert len(violations) == int(injected)
    if injected:
        assert "has CR, LF or NUL in its" in violations[0]


# -- malformed events ------------------------------------------------------------------------

WRONG_TYPES: list[Any] = [None, True, False, 0, 7, 1.5, "", "x", [], ["x"], [{}], {}, {"x": 1}]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every nested value of a JSON document, containers included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from paths(item, (*prefix, index))


MISSING = object()  # as a replacement: the field is deleted


def replaced(event: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(event)
    parent: Any = mutated
    for step in path[:-1]:
        parent = parent[step]
    if value is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return mutated


@st.composite
def malformed_events(draw: st.DrawFn, source: str) -> dict[str, Any]:
    """A realistic event of ``source`` with one to three nested values of the wrong type, or
    missing."""
    event = request_for(source)
    for _ in range(draw(st.integers(1, 3))):
        where = list(paths(event))
        if not where:  # everything deleted
            break
        path = draw(st.sampled_from(where))
        event = replaced(event, path, draw(st.sampled_from([*WRONG_TYPES, MISSING])))
    return event


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("adapter", [ADAPTER, EVENTS_ADAPTER], ids=["http", "events_path"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_wrong_type_anywhere_in_an_event_never_escapes_as_a_bare_error(
    source: str, adapter: Adapter, data: st.DataObject
) -> None:
    _reply["headers"] = [(b"content-type", b"text/plain")]
    _bad_scopes.clear()
    event = data.draw(malformed_events(source))
    try:
        result = adapter(event, CONTEXT)
    except LambdaAsgiError:
        return  # a named error: UnsupportedEventError at detection, EventHandlingError ...
    finally:
        assert _bad_scopes == []  # a wrong type never reaches the app: 400 instead
    if adapter is EVENTS_ADAPTER and not isinstance(result, dict):
        assert result == "ok"  # delivered to the app as a non-HTTP event
        return
    assert isinstance(result, dict)
    status = result.get("statusCode") or result.get("status")
    assert status in (200, 400, 413, 500, "200", "400", "413", "500"), result


def _with(event: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    return replaced(event, path, value)


BAD_REQUEST = "Bad Request: malformed event"
PLAIN_400 = {"content-type": "text/plain; charset=utf-8", "content-length": "28"}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            _with(rest_event(), ("httpMethod",), 7),
            {
                "statusCode": 400,
                "headers": PLAIN_400,
                "multiValueHeaders": {},
                "body": BAD_REQUEST,
                "isBase64Encoded": False,
            },
        ),
        (
            _with(http_api_event(), ("requestContext", "http", "sourceIp"), ["203.0.113.10"]),
            {
                "statusCode": 400,
                "headers": PLAIN_400,
                "cookies": [],
                "body": BAD_REQUEST,
                "isBase64Encoded": False,
            },
        ),
        (
            _with(edge_event(), ("Records", 0, "cf", "request", "clientIp"), True),
            {
                "status": "400",
                "statusDescription": "Bad Request",
                "headers": {
                    "content-type": [{"key": "content-type", "value": "text/plain; charset=utf-8"}]
                },
                "body": BAD_REQUEST,
                "bodyEncoding": "text",
            },
        ),
        (
            _with(lattice_event(), ("method",), ["GET"]),
            {
                "statusCode": 400,
                "headers": PLAIN_400,
                "body": BAD_REQUEST,
                "isBase64Encoded": False,
            },
        ),
        (
            _with(alb_event(), ("httpMethod",), {"GET": 1}),
            {
                "statusCode": 400,
                "statusDescription": "400 Bad Request",
                "headers": PLAIN_400,
                "body": BAD_REQUEST,
                "isBase64Encoded": False,
            },
        ),
    ],
    ids=["rest", "http_api", "edge", "lattice", "alb"],
)
def test_a_method_or_source_ip_of_another_type_is_a_400(
    event: dict[str, Any], expected: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    _bad_scopes.clear()
    assert ADAPTER(event, CONTEXT) == expected
    assert _bad_scopes == []
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "answering 400 without calling the app: TypeError: the event's method and " in (
        record.getMessage()
    )


@pytest.mark.parametrize("event", [v for v in WRONG_TYPES if type(v) is not dict], ids=repr)
def test_an_event_that_is_not_an_object_is_unsupported_or_an_event(event: Any) -> None:
    with pytest.raises(UnsupportedEventError, match="not an object"):
        ADAPTER(event, CONTEXT)
    _reply["headers"] = [(b"content-type", b"text/plain")]
    assert EVENTS_ADAPTER(event, CONTEXT) == "ok"
