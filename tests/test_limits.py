"""The result-size guard: a result over its front door's limit (6 MB synchronous, 1 MB ALB,
40 KB / 1 MB Lambda@Edge) becomes a clean 500 and a log line instead of an opaque 502.

Sizes are computed here independently, as ``json.dumps`` of the result (ASCII escapes, what
the Python runtimes before 3.12 write) or its UTF-8 form (what the 3.12+ runtimes write).
"""

from __future__ import annotations

import json
import logging
import os
import tracemalloc
from base64 import b64encode
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_asgi import EventHandlingError, guards
from lambda_asgi._model import Config, Response, Source
from lambda_asgi._types import Receive, Scope, Send
from lambda_asgi.sources import SOURCES
from lambda_asgi.sources.rest import REST
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
)
from tests.apps import RecordingApp
from tests.conftest import AdapterFactory

KB = 1024
MB = 1024 * 1024
SIX_MB = 6 * MB
REQUEST_ID = FakeContext().aws_request_id
TEXT_PLAIN = "text/plain; charset=utf-8"
HINT = "Compression (Adapter(..., compression=True)) or response streaming may fit it"


async def sized_app(scope: Scope, receive: Receive, send: Send) -> None:
    """``GET /size/{n}``: ``n`` bytes of ``x`` as text/plain, with no Content-Length (whose
    digits would change the result's size along with ``n``)."""
    if scope["type"] != "http":
        return
    size = int(scope["path"].rsplit("/", 1)[-1])
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"x" * size})


class Door:
    """One front door: its events, the scope path prefix, the limit, its error result."""

    def __init__(
        self,
        source: str,
        build: Callable[..., dict[str, Any]],
        limit: int,
        error: Callable[[str], dict[str, Any]],
        prefix: str = "",
    ) -> None:
        self.source = source
        self.build = build
        self.limit = limit
        self.error = error
        self.prefix = prefix


def _plain_headers(text: str) -> dict[str, str]:
    return {"content-type": TEXT_PLAIN, "content-length": str(len(text.encode()))}


def rest_error(text: str) -> dict[str, Any]:
    return {
        "statusCode": 500,
        "headers": _plain_headers(text),
        "multiValueHeaders": {},
        "body": text,
        "isBase64Encoded": False,
    }


def v2_error(text: str) -> dict[str, Any]:
    return {
        "statusCode": 500,
        "headers": _plain_headers(text),
        "cookies": [],
        "body": text,
        "isBase64Encoded": False,
    }


def alb_error(text: str) -> dict[str, Any]:
    return {
        "statusCode": 500,
        "statusDescription": "500 Internal Server Error",
        "headers": _plain_headers(text),
        "body": text,
        "isBase64Encoded": False,
    }


def alb_multi_error(text: str) -> dict[str, Any]:
    return {
        "statusCode": 500,
        "statusDescription": "500 Internal Server Error",
        "multiValueHeaders": {name: [v] for name, v in _plain_headers(text).items()},
        "body": text,
        "isBase64Encoded": False,
    }


def edge_error(text: str) -> dict[str, Any]:
    return {  # CloudFront computes Content-Length itself: the source leaves it out
        "status": "500",
        "statusDescription": "Internal Server Error",
        "headers": {"content-type": [{"key": "content-type", "value": TEXT_PLAIN}]},
        "body": text,
        "bodyEncoding": "text",
    }


def lattice_error(text: str) -> dict[str, Any]:
    return {
        "statusCode": 500,
        "headers": _plain_headers(text),
        "body": text,
        "isBase64Encoded": False,
    }


DOORS = {
    "rest": Door("rest", rest_event, SIX_MB, rest_error, prefix="/prod"),
    "http_api": Door("http_api", http_api_event, SIX_MB, v2_error),
    "http_api_v1": Door(
        "http_api_v1", partial(http_api_event, payload_version="1.0"), SIX_MB, rest_error
    ),
    "function_url": Door("function_url", function_url_event, SIX_MB, v2_error),
    "alb": Door("alb", alb_event, MB, alb_error),
    "alb_multi_value": Door("alb", partial(alb_event, multi_value=True), MB, alb_multi_error),
    "edge_origin_request": Door("edge", edge_event, MB, edge_error),
    "edge_viewer_request": Door(
        "edge", partial(edge_event, event_type="viewer-request"), 40 * KB, edge_error
    ),
    "lattice": Door("lattice", lattice_event, SIX_MB, lattice_error),
    "lattice_v1": Door("lattice_v1", partial(lattice_event, version=1), SIX_MB, lattice_error),
}


def too_large(size: int | str, limit: int) -> str:
    """The 500's body; ``size`` is bytes, or a text such as ``"at least 10"``."""
    return f"Internal Server Error: response too large ({size} bytes, limit {limit})"


def log_line(source: str, size: int | str, limit: int, route: str, hint: str = HINT) -> str:
    return (
        f"the {source} result is {size} bytes, over the front door's limit of {limit} bytes; "
        f"answering 500 instead ({route}, aws_request_id={REQUEST_ID}). {hint}"
    )


@pytest.mark.parametrize("door", DOORS.values(), ids=DOORS.keys())
def test_just_under_and_just_over_each_front_door(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture, door: Door
) -> None:
    handler = make_adapter(sized_app, lifespan="off")
    context = FakeContext()
    probe = handler(door.build(path="/size/1"), context)
    overhead = len(json.dumps(probe)) - 1
    fits = door.limit - overhead

    result = handler(door.build(path=f"/size/{fits}"), context)
    assert result == {**probe, "body": "x" * fits}
    assert len(json.dumps(result)) == door.limit
    assert caplog.record_tuples == []

    result = handler(door.build(path=f"/size/{fits + 1}"), context)
    text = too_large(door.limit + 1, door.limit)
    assert result == door.error(text)
    route = f"GET {door.prefix}/size/{fits + 1}"
    assert caplog.record_tuples == [
        ("lambda_asgi", logging.ERROR, log_line(door.source, door.limit + 1, door.limit, route))
    ]


def rest_result(headers: dict[str, str], body: str, base64: bool) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": headers,
        "multiValueHeaders": {},
        "body": body,
        "isBase64Encoded": base64,
    }


@pytest.mark.parametrize(("megabytes", "fits"), [(4.4, True), (4.6, False)])
def test_base64_inflation_counts(
    make_adapter: AdapterFactory,
    caplog: pytest.LogCaptureFixture,
    megabytes: float,
    fits: bool,
) -> None:
    payload = bytes(range(256)) * int(megabytes * MB / 256)
    headers = [(b"content-type", b"application/octet-stream")]
    handler = make_adapter(RecordingApp(headers=headers, body=payload))
    result = handler(rest_event(path="/file.bin"), FakeContext())
    sent = rest_result(
        {"content-type": "application/octet-stream"}, b64encode(payload).decode(), base64=True
    )
    size = len(json.dumps(sent))
    assert len(payload) < SIX_MB
    if fits:
        assert result == sent
        assert size <= SIX_MB
        assert caplog.record_tuples == []
    else:
        assert size > SIX_MB
        assert result == rest_error(too_large(size, SIX_MB))
        assert caplog.record_tuples == [
            ("lambda_asgi", logging.ERROR, log_line("rest", size, SIX_MB, "GET /prod/file.bin"))
        ]


def test_a_large_buffered_body_is_refused_without_serializing_it(
    make_adapter: AdapterFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payload = bytes(range(256)) * (20 * MB // 256)
    headers = [(b"content-type", b"application/octet-stream")]
    handler = make_adapter(RecordingApp(headers=headers, body=payload))
    size = f"at least {20 * MB + 2}"  # the body alone: its base64 is longer still
    serialized: list[int] = []
    real = json.dumps

    def spy(value: Any, **options: Any) -> str:
        text = real(value, **options)
        serialized.append(len(text))
        return text

    monkeypatch.setattr(json, "dumps", spy)
    result = handler(rest_event(path="/file.bin"), FakeContext())
    assert result == rest_error(too_large(size, SIX_MB))
    assert caplog.record_tuples == [
        ("lambda_asgi", logging.ERROR, log_line("rest", size, SIX_MB, "GET /prod/file.bin"))
    ]
    assert serialized == []


def test_a_body_the_source_drops_does_not_count(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Lambda@Edge drops the body of a 204: the result fits however large the body was.
    handler = make_adapter(RecordingApp(status=204, body=b"x" * (2 * MB)), lifespan="off")
    result = handler(edge_event(), FakeContext())
    assert result == {"status": "204", "statusDescription": "No Content", "headers": {}}
    assert [message for _, _, message in caplog.record_tuples] == [
        "dropping the 2097152-byte body of a 204 response: CloudFront rejects it"
    ]


# Each unit: a quote (2 bytes of JSON), a control character (6: \u0001), an "é" (6 with
# ASCII escapes, 2 in UTF-8) and an emoji (12: a surrogate pair; 4 in UTF-8): 8 bytes of
# UTF-8, 26 bytes of escaped JSON, 14 of UTF-8 JSON.
UNIT = '"\x01é😀'


@pytest.mark.parametrize("utf8_runtime", [False, True], ids=["python3.11", "python3.12"])
def test_json_escaping_counts(
    make_adapter: AdapterFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    utf8_runtime: bool,
) -> None:
    if utf8_runtime:
        monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.12")
    else:
        monkeypatch.delenv("AWS_EXECUTION_ENV", raising=False)
    text = UNIT * 500_000
    payload = text.encode()
    assert len(payload) == 4_000_000 < SIX_MB
    handler = make_adapter(RecordingApp(headers=[(b"content-type", b"text/plain")], body=payload))
    result = handler(http_api_event(path="/text"), FakeContext())
    sent = {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "cookies": [],
        "body": text,
        "isBase64Encoded": False,
    }
    if utf8_runtime:
        size = len(json.dumps(sent, ensure_ascii=False).encode())
        assert size == 7_000_000 + len(json.dumps({**sent, "body": ""}))
    else:
        size = len(json.dumps(sent))
        assert size == 13_000_000 + len(json.dumps({**sent, "body": ""}))
    assert result == v2_error(too_large(size, SIX_MB))
    assert caplog.record_tuples == [
        ("lambda_asgi", logging.ERROR, log_line("http_api", size, SIX_MB, "GET /text"))
    ]


def test_utf8_runtime_sends_what_escaping_would_refuse(
    make_adapter: AdapterFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 2.5 million "é": 5 MB of UTF-8 JSON, but 15 MB with ASCII escapes.
    text = "é" * 2_500_000
    handler = make_adapter(
        RecordingApp(headers=[(b"content-type", b"text/plain")], body=text.encode())
    )
    sent = {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "cookies": [],
        "body": text,
        "isBase64Encoded": False,
    }
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")
    assert handler(http_api_event(), FakeContext()) == sent
    assert len(json.dumps(sent, ensure_ascii=False).encode()) < SIX_MB
    assert caplog.record_tuples == []

    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11")
    size = len(json.dumps(sent))
    assert handler(http_api_event(), FakeContext()) == v2_error(too_large(size, SIX_MB))
    assert caplog.record_tuples == [
        ("lambda_asgi", logging.ERROR, log_line("http_api", size, SIX_MB, "GET /"))
    ]


@pytest.mark.parametrize(
    ("value", "utf8"),
    [
        (None, False),
        ("AWS_Lambda_python3.9", False),
        ("AWS_Lambda_python3.11", False),
        ("AWS_Lambda_python3.12", True),
        ("AWS_Lambda_python3.14", True),
        ("AWS_Lambda_python3.x", False),
        ("AWS_Lambda_nodejs22.x", False),
        ("", False),
    ],
)
def test_runtime_writes_utf8(
    monkeypatch: pytest.MonkeyPatch, value: str | None, utf8: bool
) -> None:
    if value is None:
        monkeypatch.delenv("AWS_EXECUTION_ENV", raising=False)
    else:
        monkeypatch.setenv("AWS_EXECUTION_ENV", value)
    assert guards.runtime_writes_utf8() is utf8


def _header_pairs(kind: str) -> list[tuple[bytes, bytes]]:
    if kind == "huge":
        return [(f"x-huge-{n:02d}".encode(), b"v" * 10_000) for n in range(50)]
    return [(f"x-n-{n:05d}".encode(), b"1") for n in range(30_000)]


@pytest.mark.parametrize("kind", ["huge", "many"])
@pytest.mark.parametrize("body_size", [100, 600_000])
def test_headers_count(
    make_adapter: AdapterFactory,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    body_size: int,
) -> None:
    pairs = [(b"content-type", b"text/plain"), *_header_pairs(kind)]
    body = b"x" * body_size
    handler = make_adapter(RecordingApp(headers=pairs, body=body))
    result = handler(alb_event(path="/headers"), FakeContext())
    sent = {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {name.decode(): value.decode() for name, value in pairs},
        "body": body.decode(),
        "isBase64Encoded": False,
    }
    size = len(json.dumps(sent))
    if body_size == 100:
        assert size <= MB
        assert result == sent
        assert caplog.record_tuples == []
    else:
        assert size > MB > body_size
        assert result == alb_error(too_large(size, MB))
        assert caplog.record_tuples == [
            ("lambda_asgi", logging.ERROR, log_line("alb", size, MB, "GET /headers"))
        ]


def test_hint_when_compression_is_on(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    handler = make_adapter(sized_app, lifespan="off", compression=True)
    result = handler(alb_event(path=f"/size/{MB}"), FakeContext())  # no Accept-Encoding
    # The body alone, a megabyte of text and its quotes, is over the limit.
    size = f"at least {MB + 2}"
    assert result == alb_error(too_large(size, MB))
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.ERROR,
            log_line("alb", size, MB, f"GET /size/{MB}", "Response streaming may fit it"),
        )
    ]


def test_compressed_answer_fits_where_the_plain_one_would_not(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    handler = make_adapter(sized_app, lifespan="off", compression=True)
    event = alb_event(path=f"/size/{2 * MB}", headers={"Accept-Encoding": "gzip"})
    result = handler(event, FakeContext())
    assert result["statusCode"] == 200
    assert result["headers"]["content-encoding"] == "gzip"
    assert len(json.dumps(result)) < 10 * KB
    assert caplog.record_tuples == []


# A front door of one's own, whose limit depends on the event.
def _custom_matches(event: Mapping[str, Any]) -> bool:
    return "x-limit" in event


def _custom_limit(event: Mapping[str, Any]) -> int:
    limit: int = event["x-limit"]
    return limit


def _with_debug(response: Response, event: Mapping[str, Any], config: Config) -> dict[str, Any]:
    """A custom result with more in it than the app's headers and body."""
    return {**REST.to_response(response, event, config), "debug": "d" * 5000}


@pytest.mark.parametrize(("limit", "fits"), [(2200, True), (2100, False)])
def test_custom_response_limit_function(
    make_adapter: AdapterFactory,
    caplog: pytest.LogCaptureFixture,
    limit: int,
    fits: bool,
) -> None:
    source = Source(
        "custom", _custom_matches, REST.to_scope, REST.to_response, response_limit=_custom_limit
    )
    handler = make_adapter(sized_app, lifespan="off", sources=[source])
    result = handler({**rest_event(path="/size/2000"), "x-limit": limit}, FakeContext())
    sent = rest_result({"content-type": "text/plain"}, "x" * 2000, base64=False)
    size = len(json.dumps(sent))
    assert 2100 < size <= 2200
    if fits:
        assert result == sent
        assert caplog.record_tuples == []
    else:
        assert result == rest_error(too_large(size, limit))
        assert caplog.record_tuples == [
            ("lambda_asgi", logging.ERROR, log_line("custom", size, limit, "GET /prod/size/2000"))
        ]


def test_custom_source_result_is_measured_whole(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    source = Source("debugging", _custom_matches, REST.to_scope, _with_debug, response_limit=4000)
    handler = make_adapter(sized_app, lifespan="off", sources=[source])
    result = handler({**rest_event(path="/size/10"), "x-limit": 0}, FakeContext())
    sent = {
        **rest_result({"content-type": "text/plain"}, "x" * 10, base64=False),
        "debug": "d" * 5000,
    }
    size = len(json.dumps(sent))
    assert result == {**rest_error(too_large(size, 4000)), "debug": "d" * 5000}
    assert caplog.record_tuples == [
        ("lambda_asgi", logging.ERROR, log_line("debugging", size, 4000, "GET /prod/size/10"))
    ]


def test_non_http_answer_is_measured_whole(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    answer = {"batchItemFailures": [], "report": "r" * SIX_MB}
    app = RecordingApp(
        headers=[(b"content-type", b"application/json")], body=json.dumps(answer).encode()
    )
    handler = make_adapter(app, events_path="/events")
    event = {"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": "{}"}]}
    size = len(json.dumps(answer))
    text = too_large(size, SIX_MB)
    with pytest.raises(EventHandlingError) as raised:
        handler(event, FakeContext())
    message = f"the app failed the aws:sqs event: status 500 (body: {text!r})"
    assert str(raised.value) == message
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.ERROR,
            log_line("events", size, SIX_MB, "POST /events", "An event's answer must fit whole"),
        )
    ]


class TestOversize:
    """The length bound proves most results fit without serializing them; only results
    that could come near the limit, or whose shape the bound does not know, are measured."""

    @pytest.fixture
    def measured(self, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
        # Measuring is one json.dumps(result, default=str), looked up on the json module when
        # called, so the spy sees it from the compiled guards too (and not the tests' own).
        calls: list[Any] = []
        real = json.dumps

        def spy(result: Any, **options: Any) -> str:
            if options.get("default") is str:
                calls.append(result)
            return real(result, **options)

        monkeypatch.setattr(json, "dumps", spy)
        monkeypatch.delenv("AWS_EXECUTION_ENV", raising=False)
        return calls

    HEADERS: ClassVar[list[tuple[bytes, bytes]]] = [(b"content-type", b"text/plain")]

    def test_small_result_is_not_measured(self, measured: list[Any]) -> None:
        result = {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "ok"}
        assert guards.oversize(result, self.HEADERS, SIX_MB) is None
        assert measured == []

    def test_near_the_limit_is_measured(self, measured: list[Any]) -> None:
        result = {"statusCode": 200, "body": "x" * 1000}
        size = len(json.dumps(result))
        assert guards.oversize(result, [], size) is None
        assert guards.oversize(result, [], size - 1) == (size, True)
        assert measured == [result, result]

    def test_result_without_body(self, measured: list[Any]) -> None:
        result = {"status": "204", "headers": {"x-a": [{"key": "X-A", "value": "1"}]}}
        assert guards.oversize(result, [(b"X-A", b"1")], 1000) is None
        assert measured == []
        size = len(json.dumps(result))
        assert guards.oversize(result, [(b"X-A", b"1")], size - 1) == (size, True)

    @pytest.mark.parametrize("flag", [{"isBase64Encoded": True}, {"bodyEncoding": "base64"}])
    def test_base64_body_counts_its_length(self, measured: list[Any], flag: dict[str, Any]) -> None:
        result = {"statusCode": 200, "body": "QUJD" * 250_000, **flag}
        assert guards.oversize(result, [], MB + 1024) is None
        assert measured == []
        size = len(json.dumps(result))
        assert guards.oversize(result, [], size - 1) == (size, True)

    @pytest.mark.parametrize(
        "result",
        [
            ["x" * 200],
            "x" * 200,
            200,
            None,
            {"statusCode": 200, "body": 12345},
            {"statusCode": 200, "body": ["x" * 200]},
        ],
        ids=["list", "str", "int", "null", "int-body", "list-body"],
    )
    def test_results_of_other_shapes_are_measured(self, measured: list[Any], result: Any) -> None:
        size = len(json.dumps(result))
        assert guards.oversize(result, [], size) is None
        assert guards.oversize(result, [], size - 1) == (size, True)
        assert len(measured) == 2

    def test_result_of_unknown_origin_is_measured(self, measured: list[Any]) -> None:
        result = {"statusCode": 200, "body": "ok", "extra": "e" * 100}
        assert guards.oversize(result, None, SIX_MB) is None
        assert measured == [result]
        assert guards.oversize(result, None, 50) == (len(json.dumps(result)), True)

    @pytest.mark.parametrize(
        ("utf8_runtime", "size"), [(False, 10 + 12_000 + 2), (True, 10 + 4000 + 2)]
    )
    def test_astral_characters(
        self, measured: list[Any], monkeypatch: pytest.MonkeyPatch, utf8_runtime: bool, size: int
    ) -> None:
        if utf8_runtime:
            monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.12")
        result = {"body": "😀" * 1000}  # '{"body": "' is 10 bytes
        assert guards.oversize(result, [], size) is None
        assert guards.oversize(result, [], size - 1) == (size, True)

    @pytest.fixture
    def dumped(self, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
        """What json.dumps is asked to serialize, from here on."""
        calls: list[Any] = []
        real = json.dumps

        def spy(value: Any, **options: Any) -> str:
            calls.append(value)
            return real(value, **options)

        monkeypatch.setattr(json, "dumps", spy)
        monkeypatch.delenv("AWS_EXECUTION_ENV", raising=False)
        return calls

    @pytest.mark.parametrize("headers", [HEADERS, None], ids=["built-in", "custom"])
    def test_a_text_body_over_the_limit_is_refused_unserialized(
        self, dumped: list[Any], headers: list[tuple[bytes, bytes]] | None
    ) -> None:
        body = "x" * (20 * MB)
        result = {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": body}
        tracemalloc.start()
        try:
            answer = guards.oversize(result, headers, SIX_MB, len(body) if headers else None)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert answer == (20 * MB + 2, False)
        assert str(answer) == f"at least {20 * MB + 2} bytes"
        assert dumped == []
        assert peak < MB

    def test_a_utf8_body_counts_at_least_its_bytes(self, dumped: list[Any]) -> None:
        # 3 MiB characters, 6 MiB of UTF-8: JSON has at least the bytes, in either encoding.
        body = "é" * (3 * MB)
        result = {"statusCode": 200, "body": body}
        answer = guards.oversize(result, [], SIX_MB - 1, 6 * MB)
        assert answer == (6 * MB + 2, False)
        assert dumped == []

    def test_a_base64_body_over_the_limit_is_counted_exactly(self, dumped: list[Any]) -> None:
        body = "QUJD" * (5 * MB)  # 20 MiB of base64
        result = {"statusCode": 200, "headers": {}, "body": body, "isBase64Encoded": True}
        size = len(json.dumps(result))
        dumped.clear()
        tracemalloc.start()
        try:
            answer = guards.oversize(result, [], SIX_MB, 15 * MB)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert answer == (size, True)
        assert dumped == [{**result, "body": ""}]
        assert peak < MB

    def test_unencodable_values_count_as_text(self, measured: list[Any]) -> None:
        # The runtime writes a Decimal as its digits; a guard must not crash on one.
        result = {"price": Decimal("12.50"), "items": [Decimal("1")] * 100}
        size = len(json.dumps({"price": "12.50", "items": ["1"] * 100}))
        assert guards.oversize(result, None, size) is None
        assert guards.oversize(result, None, 10) == (size, True)


HEADER_NAME = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1, max_size=12
)
HEADER_VALUE = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=20).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
BODY = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
EVENTS = {
    "rest": rest_event(),
    "http_api": http_api_event(),
    "alb": alb_event(),
    "alb_multi": alb_event(multi_value=True),
    "edge_origin": edge_event(),
    "edge_viewer": edge_event(event_type="viewer-request"),
    "lattice": lattice_event(),
}


@settings(deadline=None)
@given(
    st.sampled_from(sorted(EVENTS)),
    st.lists(st.tuples(HEADER_NAME, HEADER_VALUE), max_size=8),
    st.sampled_from([b"text/plain; charset=utf-8", b"application/octet-stream", None]),
    BODY,
    st.booleans(),
)
def test_bound_never_lets_an_oversized_result_through(
    kind: str,
    pairs: list[tuple[str, bytes]],
    content_type: bytes | None,
    body: bytes,
    utf8_runtime: bool,
) -> None:
    """For every built-in source's result: just over its exact size is always caught."""
    event = EVENTS[kind]
    headers = [(name.encode(), value) for name, value in pairs]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    source = next(source for source in SOURCES if source.matches(event))
    result = source.to_response(Response(200, headers, body), event, Config())
    saved = os.environ.get("AWS_EXECUTION_ENV")
    os.environ["AWS_EXECUTION_ENV"] = "AWS_Lambda_python3.12" if utf8_runtime else "custom"
    try:
        text = json.dumps(result, ensure_ascii=not utf8_runtime)
        size = len(text.encode("utf-8", "surrogatepass"))
        assert guards.oversize(result, headers, size) is None
        assert guards.oversize(result, headers, size - 1) == (size, True)
        # Far below the size, a shortcut may answer "at least": never more than the truth.
        answer = guards.oversize(result, headers, size // 3)
        assert answer is not None
        assert answer.size == size if answer.exact else size // 3 < answer.size <= size
    finally:
        if saved is None:
            del os.environ["AWS_EXECUTION_ENV"]
        else:
            os.environ["AWS_EXECUTION_ENV"] = saved
