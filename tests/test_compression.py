"""Opt-in response compression: Accept-Encoding negotiation, what is compressed and what never
is, the headers a compressed response carries, and a 7 MB JSON answer fitting through API
Gateway only once compressed."""

from __future__ import annotations

import functools
import gzip
import json
import logging
import random
import sys
from base64 import b64decode, b64encode
from typing import Any

import brotli
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lambda_asgi import Adapter
from lambda_asgi.compression import BROTLI_QUALITY, GZIP_LEVEL, Compression
from lambda_asgi.testing import FakeContext, http_api_event, rest_event
from tests.apps import RecordingApp
from tests.conftest import AdapterFactory

JSON = "application/json"
# Compressible and over the default 1024-byte minimum.
DOCUMENT = json.dumps([{"id": n, "name": f"item {n}", "tags": ["a", "b"]} for n in range(60)])
BODY = DOCUMENT.encode()
SIX_MB = 6 * 1024 * 1024
REQUEST_ID = FakeContext().aws_request_id


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def brotlied(body: bytes) -> bytes:
    result: bytes = brotli.compress(body, quality=BROTLI_QUALITY)
    return result


def v2_result(status: int, headers: dict[str, str], body: bytes, base64: bool) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": headers,
        "cookies": [],
        "body": b64encode(body).decode() if base64 else body.decode(),
        "isBase64Encoded": base64,
    }


def compressed_result(coding: str, encoded: bytes, **extra: str) -> dict[str, Any]:
    """The HTTP API result of BODY as JSON, compressed to ``encoded`` with ``coding``."""
    headers = {
        "content-type": JSON,
        **extra,
        "vary": "Accept-Encoding",
        "content-encoding": coding,
        "content-length": str(len(encoded)),
    }
    return v2_result(200, headers, encoded, base64=True)


def gzip_result(content_type: str) -> dict[str, Any]:
    """The HTTP API result of BODY gzipped, sent as ``content_type``."""
    encoded = gzipped(BODY)
    headers = {
        "content-type": content_type,
        "vary": "Accept-Encoding",
        "content-encoding": "gzip",
        "content-length": str(len(encoded)),
    }
    return v2_result(200, headers, encoded, base64=True)


def invoke(
    make_adapter: AdapterFactory,
    headers: list[tuple[bytes, bytes]],
    body: bytes = BODY,
    *,
    status: int = 200,
    accept: str | None = "gzip",
    method: str = "GET",
    **options: Any,
) -> dict[str, Any]:
    """Serve ``body`` with ``headers`` over HTTP API to a client sending ``accept``."""
    app = RecordingApp(status=status, headers=headers, body=body)
    adapter = make_adapter(app, compression=True, **options)
    client = {"Accept-Encoding": accept} if accept is not None else {}
    return dict(adapter(http_api_event(method=method, headers=client), FakeContext()))


def as_json() -> list[tuple[bytes, bytes]]:
    return [(b"content-type", JSON.encode())]


class TestNegotiate:
    @pytest.fixture
    def offer(self) -> Compression:
        return Compression(1024, None)

    @pytest.fixture
    def gzip_only(self) -> Compression:
        """What a Lambda without the brotli package offers."""
        compression = Compression(1024, None)
        del compression.codings["br"]
        return compression

    def test_brotli_is_on_offer_when_installed(self, offer: Compression) -> None:
        assert list(offer.codings) == ["br", "gzip"]
        assert repr(offer) == "Compression(min_size=1024, types=None, codings=['br', 'gzip'])"

    @pytest.mark.parametrize(
        ("accept", "coding"),
        [
            ("gzip", "gzip"),
            ("br", "br"),
            ("gzip, deflate, br", "br"),  # a tie: br is preferred
            ("gzip, deflate, br, zstd", "br"),
            ("br;q=0.5, gzip", "gzip"),
            ("br;q=0.5, gzip;q=0.6", "gzip"),
            ("br;q=0.5, gzip;q=0.5", "br"),
            ("*", "br"),
            ("*;q=0.1, gzip", "gzip"),
            ("*;q=0.1, gzip;q=0.05", "br"),
            ("gzip;q=0, *", "br"),
            ("br;q=0, gzip;q=0, *", None),
            ("*;q=0", None),
            ("gzip;q=0", None),
            ("gzip;q=0.000", None),
            ("identity", None),
            ("identity, deflate, zstd", None),
            ("", None),
            (" , ,", None),
            ("x-gzip", "gzip"),
            ("GZIP", "gzip"),
            ("Br;Q=0.4, GZip;Q=0.3", "br"),
            ("gzip ; q = 0.5", "gzip"),
            ("gzip;level=9;q=0", None),
            ("gzip;q=abc", None),  # a malformed q refuses
            ("gzip;q=", None),
            ("gzip;q=nan", None),
            ("gzip;q=inf", None),
            ("gzip;q=1.5", None),
            ("gzip;q=-1", None),
            ("gzip;q=0, gzip", "gzip"),  # said twice: the better weight counts
        ],
    )
    def test_negotiate(self, offer: Compression, accept: str, coding: str | None) -> None:
        assert offer.negotiate(accept) == coding

    @pytest.mark.parametrize(
        ("accept", "coding"),
        [
            ("br", None),
            ("br, gzip", "gzip"),
            ("br;q=1, gzip;q=0.1", "gzip"),
            ("*", "gzip"),
            ("br, *;q=0", None),
        ],
    )
    def test_without_brotli(self, gzip_only: Compression, accept: str, coding: str | None) -> None:
        assert gzip_only.negotiate(accept) == coding

    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["gzip", "br", "*", "identity", "deflate", "x-gzip", "GZIP", ""]),
                st.one_of(
                    st.none(),
                    st.sampled_from(["0", "0.0", "0.001", "0.5", "1", "1.000", "abc", "", "2"]),
                    st.floats(allow_nan=True).map(str),
                ),
            ),
            max_size=6,
        ),
        st.booleans(),
    )
    def test_answer_is_offered_and_never_refused(
        self, items: list[tuple[str, str | None]], with_brotli: bool
    ) -> None:
        compression = Compression(0, None)
        if not with_brotli:
            del compression.codings["br"]
        header = ", ".join(name if q is None else f"{name};q={q}" for name, q in items)
        answer = compression.negotiate(header)
        assert answer is None or answer in compression.codings

        def weights(name: str) -> list[float]:
            found = []
            for item, q in items:
                canonical = "gzip" if item.lower() == "x-gzip" else item.lower()
                if canonical == name:
                    try:
                        weight = 1.0 if q is None else float(q)
                    except ValueError:
                        weight = 0.0
                    found.append(weight if 0 <= weight <= 1 else 0.0)
            return found

        if answer is not None:
            # Accepted by name with q > 0, or not named and accepted by "*" with q > 0.
            named = weights(answer)
            assert max(named or weights("*")) > 0
        else:
            for coding in compression.codings:
                assert max(weights(coding) or weights("*") or [0.0]) <= 0


def test_gzip_only_without_the_brotli_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "brotli", None)  # makes "import brotli" fail
    compression = Compression(1024, frozenset({"text/"}))
    assert list(compression.codings) == ["gzip"]
    assert compression.negotiate("br, gzip;q=0.5") == "gzip"
    assert repr(compression) == (
        "Compression(min_size=1024, types=frozenset({'text/'}), codings=['gzip'])"
    )


class TestWhatIsCompressed:
    def test_gzip(self, make_adapter: AdapterFactory) -> None:
        result = invoke(make_adapter, as_json(), accept="gzip, deflate")
        assert result == compressed_result("gzip", gzipped(BODY))
        assert gzip.decompress(b64decode(result["body"])) == BODY

    def test_brotli(self, make_adapter: AdapterFactory) -> None:
        result = invoke(make_adapter, as_json(), accept="gzip, deflate, br")
        assert result == compressed_result("br", brotlied(BODY))
        assert brotli.decompress(b64decode(result["body"])) == BODY

    def test_gzip_when_brotli_is_missing(self, make_adapter: AdapterFactory) -> None:
        app = RecordingApp(headers=as_json(), body=BODY)
        adapter = make_adapter(app, compression=True)
        assert adapter._compression is not None
        del adapter._compression.codings["br"]
        result = adapter(http_api_event(headers={"Accept-Encoding": "br, gzip"}), FakeContext())
        assert result == compressed_result("gzip", gzipped(BODY))

    @pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "deflate"])
    def test_client_that_refuses(self, make_adapter: AdapterFactory, accept: str | None) -> None:
        result = invoke(make_adapter, as_json(), accept=accept)
        assert result == v2_result(200, {"content-type": JSON}, BODY, base64=False)

    def test_off_by_default(self, make_adapter: AdapterFactory, context: FakeContext) -> None:
        app = RecordingApp(headers=as_json(), body=BODY)
        result = make_adapter(app)(http_api_event(headers={"Accept-Encoding": "gzip"}), context)
        assert result == v2_result(200, {"content-type": JSON}, BODY, base64=False)

    @pytest.mark.parametrize(("size", "compressed"), [(1023, False), (1024, True)])
    def test_min_size_boundary(
        self, make_adapter: AdapterFactory, size: int, compressed: bool
    ) -> None:
        body = b"a" * size
        result = invoke(make_adapter, [(b"content-type", b"text/plain")], body)
        if compressed:
            headers = {
                "content-type": "text/plain",
                "vary": "Accept-Encoding",
                "content-encoding": "gzip",
                "content-length": str(len(gzipped(body))),
            }
            assert result == v2_result(200, headers, gzipped(body), base64=True)
        else:
            assert result == v2_result(200, {"content-type": "text/plain"}, body, base64=False)

    def test_custom_min_size(self, make_adapter: AdapterFactory) -> None:
        body = b"a" * 100
        headers = [(b"content-type", b"text/plain")]
        result = invoke(make_adapter, headers, body, compression_min_size=100)
        encoded = gzipped(body)
        assert result == v2_result(
            200,
            {
                "content-type": "text/plain",
                "vary": "Accept-Encoding",
                "content-encoding": "gzip",
                "content-length": str(len(encoded)),
            },
            encoded,
            base64=True,
        )
        assert gzip.decompress(b64decode(result["body"])) == body

    @pytest.mark.parametrize(
        "content_type",
        [
            "text/html; charset=utf-8",
            "text/csv",
            "application/json",
            "application/problem+json",
            "application/javascript",
            "application/xml",
            "application/atom+xml",
            "image/svg+xml",
            "TEXT/PLAIN",
        ],
    )
    def test_textual_types_by_default(
        self, make_adapter: AdapterFactory, content_type: str
    ) -> None:
        result = invoke(make_adapter, [(b"content-type", content_type.encode())])
        assert result == gzip_result(content_type)
        assert gzip.decompress(b64decode(result["body"])) == BODY

    @pytest.mark.parametrize(
        "content_type", ["application/octet-stream", "image/png", "font/woff2", "video/mp4"]
    )
    def test_binary_types_are_not_by_default(
        self, make_adapter: AdapterFactory, content_type: str
    ) -> None:
        result = invoke(make_adapter, [(b"content-type", content_type.encode())])
        assert result == v2_result(200, {"content-type": content_type}, BODY, base64=True)

    def test_no_content_type(self, make_adapter: AdapterFactory) -> None:
        result = invoke(make_adapter, [(b"x-kind", b"unknown")])
        assert result == v2_result(200, {"x-kind": "unknown"}, BODY, base64=True)

    @pytest.mark.parametrize(
        "content_type",
        ["application/vnd.acme", "application/vnd.acme; version=2", "font/ttf", "FONT/otf"],
    )
    def test_custom_types_exact_and_prefixes(
        self, make_adapter: AdapterFactory, content_type: str
    ) -> None:
        result = invoke(
            make_adapter,
            [(b"content-type", content_type.encode())],
            compression_types=["application/vnd.acme", "Font/"],
        )
        assert result == gzip_result(content_type)

    @pytest.mark.parametrize(
        ("content_type", "base64"),
        [
            ("application/json", False),  # the custom list replaces the default one
            ("text/html", False),
            ("application/vnd.acme+json", False),
            ("application/vnd.acme2", True),
        ],
    )
    def test_types_not_in_the_custom_list(
        self, make_adapter: AdapterFactory, content_type: str, base64: bool
    ) -> None:
        result = invoke(
            make_adapter,
            [(b"content-type", content_type.encode())],
            compression_types=["application/vnd.acme", "Font/"],
        )
        assert result == v2_result(200, {"content-type": content_type}, BODY, base64=base64)

    @pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "GZIP"])
    def test_app_encoded_body_is_never_recompressed(
        self, make_adapter: AdapterFactory, encoding: str
    ) -> None:
        encoded = gzipped(random.Random(1).randbytes(1500))  # over the minimum size
        assert len(encoded) >= 1024
        headers = [(b"content-type", b"application/json"), (b"content-encoding", encoding.encode())]
        result = invoke(make_adapter, headers, encoded, accept="gzip, br")
        assert result == v2_result(
            200, {"content-type": JSON, "content-encoding": encoding}, encoded, base64=True
        )

    @pytest.mark.parametrize("encoding", ["identity", ""])
    def test_identity_content_encoding_is_replaced(
        self, make_adapter: AdapterFactory, encoding: str
    ) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-encoding", encoding.encode())]
        assert invoke(make_adapter, headers) == compressed_result("gzip", gzipped(BODY))

    @pytest.mark.parametrize("status", [204, 206, 304])
    def test_statuses_skipped(self, make_adapter: AdapterFactory, status: int) -> None:
        result = invoke(make_adapter, as_json(), status=status)
        assert result == v2_result(status, {"content-type": JSON}, BODY, base64=False)

    def test_content_range_skipped(self, make_adapter: AdapterFactory) -> None:
        headers = [*as_json(), (b"content-range", b"bytes 0-2000/5000")]
        result = invoke(make_adapter, headers)
        assert result == v2_result(
            200, {"content-type": JSON, "content-range": "bytes 0-2000/5000"}, BODY, base64=False
        )

    @pytest.mark.parametrize("value", ["no-transform", "public, No-Transform, max-age=60"])
    def test_no_transform_skipped(self, make_adapter: AdapterFactory, value: str) -> None:
        result = invoke(make_adapter, [*as_json(), (b"cache-control", value.encode())])
        assert result == v2_result(
            200, {"content-type": JSON, "cache-control": value}, BODY, base64=False
        )

    def test_cache_control_without_no_transform(self, make_adapter: AdapterFactory) -> None:
        result = invoke(make_adapter, [*as_json(), (b"cache-control", b"max-age=60")])
        assert result == compressed_result("gzip", gzipped(BODY), **{"cache-control": "max-age=60"})

    def test_incompressible_body_is_sent_as_it_is(self, make_adapter: AdapterFactory) -> None:
        noise = random.Random(7).randbytes(2000)
        assert len(gzipped(noise)) >= len(noise)
        result = invoke(make_adapter, [(b"content-type", b"text/plain")], noise, accept="gzip")
        assert result == v2_result(200, {"content-type": "text/plain"}, noise, base64=True)

    def test_head(self, make_adapter: AdapterFactory) -> None:
        headers = [*as_json(), (b"content-length", str(len(BODY)).encode())]
        result = invoke(make_adapter, headers, method="HEAD")
        assert result == v2_result(
            200, {"content-type": JSON, "content-length": str(len(BODY))}, b"", base64=False
        )


class TestCompressedHeaders:
    def test_content_length_replaced(self, make_adapter: AdapterFactory) -> None:
        headers = [(b"Content-Length", str(len(BODY)).encode()), *as_json()]
        assert invoke(make_adapter, headers) == compressed_result("gzip", gzipped(BODY))

    @pytest.mark.parametrize(
        ("vary", "merged"),
        [
            (["Origin"], "Origin, Accept-Encoding"),
            (["Origin", "Cookie"], "Origin, Cookie, Accept-Encoding"),
            (["Origin, Cookie"], "Origin, Cookie, Accept-Encoding"),
            (["*"], "*"),
            (["Origin, *"], "Origin, *"),
            (["accept-encoding"], "accept-encoding"),
            (["Origin, Accept-Encoding"], "Origin, Accept-Encoding"),
            ([""], "Accept-Encoding"),
        ],
    )
    def test_vary_merged(self, make_adapter: AdapterFactory, vary: list[str], merged: str) -> None:
        headers = [*as_json(), *((b"Vary", value.encode()) for value in vary)]
        encoded = gzipped(BODY)
        sent = {
            "content-type": JSON,
            "vary": merged,
            "content-encoding": "gzip",
            "content-length": str(len(encoded)),
        }
        assert invoke(make_adapter, headers) == v2_result(200, sent, encoded, base64=True)

    @pytest.mark.parametrize(
        ("etag", "sent"), [('"v1"', 'W/"v1"'), ('W/"v1"', 'W/"v1"'), ('""', 'W/""')]
    )
    def test_etag_made_weak(self, make_adapter: AdapterFactory, etag: str, sent: str) -> None:
        result = invoke(make_adapter, [(b"ETag", etag.encode()), *as_json()])
        assert result == compressed_result("gzip", gzipped(BODY), ETag=sent)

    def test_other_headers_and_cookies_kept_in_order(self, make_adapter: AdapterFactory) -> None:
        headers = [
            (b"X-Request-Id", b"r-1"),
            *as_json(),
            (b"set-cookie", b"a=1; Path=/"),
            (b"Cache-Control", b"private"),
        ]
        result = invoke(make_adapter, headers)
        encoded = gzipped(BODY)
        assert result == {
            "statusCode": 200,
            "headers": {
                "X-Request-Id": "r-1",
                "content-type": JSON,
                "Cache-Control": "private",
                "vary": "Accept-Encoding",
                "content-encoding": "gzip",
                "content-length": str(len(encoded)),
            },
            "cookies": ["a=1; Path=/"],
            "body": b64encode(encoded).decode(),
            "isBase64Encoded": True,
        }

    def test_rest_multi_value_headers(self, make_adapter: AdapterFactory) -> None:
        app = RecordingApp(
            headers=[
                *as_json(),
                (b"x-multi", b"1"),
                (b"x-multi", b"2"),
                (b"set-cookie", b"a=1"),
                (b"set-cookie", b"b=2"),
                (b"vary", b"Origin"),
            ],
            body=BODY,
        )
        adapter = make_adapter(app, compression=True)
        event = rest_event(headers={"Accept-Encoding": "gzip, deflate, br"})
        result = adapter(event, FakeContext())
        encoded = brotlied(BODY)
        assert result == {
            "statusCode": 200,
            "headers": {
                "content-type": JSON,
                "vary": "Origin, Accept-Encoding",
                "content-encoding": "br",
                "content-length": str(len(encoded)),
            },
            "multiValueHeaders": {"x-multi": ["1", "2"], "Set-Cookie": ["a=1", "b=2"]},
            "body": b64encode(encoded).decode(),
            "isBase64Encoded": True,
        }
        assert brotli.decompress(b64decode(result["body"])) == BODY

    def test_excluded_headers_stay_out_of_compressed_responses(
        self, make_adapter: AdapterFactory
    ) -> None:
        result = invoke(
            make_adapter, [*as_json(), (b"X-Powered-By", b"x")], exclude_headers=["Vary"]
        )
        encoded = gzipped(BODY)
        assert result == v2_result(
            200,
            {
                "content-type": JSON,
                "X-Powered-By": "x",
                "content-encoding": "gzip",
                "content-length": str(len(encoded)),
            },
            encoded,
            base64=True,
        )


# The headline: a 7 MB JSON document cannot travel through API Gateway as it is (6 MB), and
# fits once compressed.
@functools.cache
def records() -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "sku": f"SKU-{n:07d}",
            "name": f"Product {n}",
            "price": n % 997 / 10,
            "stock": n % 13,
        }
        for n in range(95_000)
    ]


async def catalogue(request: Request) -> JSONResponse:
    return JSONResponse(records())


CATALOGUE_APP = Starlette(routes=[Route("/catalogue", catalogue)])


@pytest.fixture(scope="module")
def catalogue_json() -> bytes:
    body = json.dumps(records(), ensure_ascii=False, separators=(",", ":")).encode()
    assert 7 * 1024 * 1024 <= len(body) < 8 * 1024 * 1024
    return body


@pytest.fixture(scope="module")
def catalogue_adapter() -> Any:
    adapter = Adapter(CATALOGUE_APP, compression=True)
    yield adapter
    adapter.shutdown()


@pytest.mark.parametrize("build", [rest_event, http_api_event], ids=["rest", "http_api"])
def test_seven_mb_of_json_fits_once_compressed(
    catalogue_adapter: Adapter, catalogue_json: bytes, build: Any
) -> None:
    event = build(path="/catalogue", headers={"Accept-Encoding": "gzip"})
    result = catalogue_adapter(event, FakeContext())
    encoded = gzipped(catalogue_json)
    rest = build is rest_event
    assert result == {
        "statusCode": 200,
        "headers": {
            "content-type": JSON,
            "vary": "Accept-Encoding",
            "content-encoding": "gzip",
            "content-length": str(len(encoded)),
        },
        ("multiValueHeaders" if rest else "cookies"): {} if rest else [],
        "body": b64encode(encoded).decode(),
        "isBase64Encoded": True,
    }
    assert len(json.dumps(result)) < SIX_MB
    received = gzip.decompress(b64decode(result["body"]))
    assert received == catalogue_json
    assert json.loads(received) == records()


@pytest.mark.parametrize("build", [rest_event, http_api_event], ids=["rest", "http_api"])
def test_seven_mb_of_json_without_accept_encoding_is_refused(
    catalogue_adapter: Adapter,
    catalogue_json: bytes,
    build: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = build(path="/catalogue")
    result = catalogue_adapter(event, FakeContext())
    rest = build is rest_event
    # The body alone, seven megabytes of JSON text and its quotes, proves the result too large.
    size = f"at least {len(catalogue_json) + 2}"
    text = f"Internal Server Error: response too large ({size} bytes, limit {SIX_MB})"
    error_headers = {"content-type": "text/plain; charset=utf-8", "content-length": str(len(text))}
    assert result == {
        "statusCode": 500,
        "headers": error_headers,
        ("multiValueHeaders" if rest else "cookies"): {} if rest else [],
        "body": text,
        "isBase64Encoded": False,
    }
    # The route is the scope's path, which holds the REST stage (the root_path) too.
    source, path = ("rest", "/prod/catalogue") if rest else ("http_api", "/catalogue")
    assert caplog.record_tuples == [
        (
            "lambda_asgi",
            logging.ERROR,
            f"the {source} result is {size} bytes, over the front door's limit of {SIX_MB} "
            f"bytes; answering 500 instead (GET {path}, aws_request_id={REQUEST_ID}). "
            "Response streaming may fit it",
        )
    ]
