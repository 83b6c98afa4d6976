"""Opt-in response compression: gzip, and brotli when the ``brotli`` package is installed.

API Gateway's 6 MB and ALB's 1 MB result limits count the body after base64 and JSON
escaping, so a 7 MB JSON document cannot travel as it is; compressed it usually shrinks to a
tenth. A body is compressed only when all of these hold: the client's ``Accept-Encoding``
accepts gzip or br (q-values honoured, ``*`` included), the body is at least ``min_size``
bytes, its content type is worth compressing, the app set no ``Content-Encoding`` of its own
(already-encoded bodies stay untouched), the response is not partial (206, ``Content-Range``),
``Cache-Control: no-transform`` is absent, and the result is actually smaller.
A compressed response gets ``Content-Encoding``, a new ``Content-Length``, ``Vary:
Accept-Encoding``, and a strong ``ETag`` turned weak, since the bytes are no longer the ones
it named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ._model import Response
from .sources._response import is_textual_type

if TYPE_CHECKING:
    from ._types import Headers

GZIP_LEVEL = 6
BROTLI_QUALITY = 5
"""Brotli's default quality (11) takes seconds on megabytes; 5 compresses better than gzip
at a similar speed."""

_SKIP_STATUS = frozenset({204, 206, 304})


def _load_brotli() -> Callable[[bytes], bytes] | None:
    try:
        import brotli  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        return None

    def compress(body: bytes) -> bytes:
        result: bytes = brotli.compress(body, quality=BROTLI_QUALITY)
        return result

    return compress


def _gzip(body: bytes) -> bytes:
    import gzip

    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


class Compression:
    """Validated compression settings: the smallest body worth compressing, the content types
    to compress (``None``: every textual type), and the codings on offer, best first."""

    __slots__ = ("codings", "min_size", "types")

    def __init__(self, min_size: int, types: frozenset[str] | None) -> None:
        self.min_size = min_size
        self.types = types
        codings: dict[str, Callable[[bytes], bytes]] = {}
        brotli = _load_brotli()
        if brotli is not None:
            codings["br"] = brotli
        codings["gzip"] = _gzip
        self.codings = codings

    def __repr__(self) -> str:
        return (
            f"Compression(min_size={self.min_size}, types={self.types!r}, "
            f"codings={list(self.codings)})"
        )

    def wants(self, content_type: str) -> bool:
        mime = content_type.split(";", 1)[0].strip().lower()
        if self.types is None:
            return is_textual_type(mime)
        return mime in self.types or mime.split("/", 1)[0] + "/" in self.types

    def negotiate(self, accept_encoding: str) -> str | None:
        """The best coding on offer that the ``Accept-Encoding`` value accepts, if any."""
        weights: dict[str, float] = {}
        for item in accept_encoding.split(","):
            coding, _, params = item.partition(";")
            coding = coding.strip().lower()
            if coding == "x-gzip":
                coding = "gzip"
            weight = 1.0
            for param in params.split(";"):
                name, _, value = param.partition("=")
                if name.strip().lower() == "q":
                    try:
                        weight = float(value)
                    except ValueError:
                        weight = 0.0
                    if not 0.0 <= weight <= 1.0:  # also NaN: a malformed q refuses
                        weight = 0.0
            if coding:
                weights[coding] = max(weight, weights.get(coding, 0.0))
        best: str | None = None
        best_weight = 0.0
        for coding in self.codings:  # best first, so it wins ties
            weight = weights.get(coding, weights.get("*", 0.0))
            if weight > best_weight:
                best, best_weight = coding, weight
        return best

    def apply(self, response: Response, request_headers: Headers) -> Response:
        """The response compressed for this client, or the response itself."""
        body = response.body
        if len(body) < self.min_size or response.status in _SKIP_STATUS:
            return response
        content_type = ""
        for name, value in response.headers:
            lower = name.lower()
            if lower == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
                return response
            if lower == b"content-range" or (
                lower == b"cache-control" and b"no-transform" in value.lower()
            ):
                return response
            if lower == b"content-type":
                content_type = value.decode("latin-1")
        if not content_type or not self.wants(content_type):
            return response
        accept = b", ".join(value for name, value in request_headers if name == b"accept-encoding")
        coding = self.negotiate(accept.decode("latin-1")) if accept else None
        if coding is None:
            return response
        compressed = self.codings[coding](body)
        if len(compressed) >= len(body):
            return response
        return Response(response.status, _headers(response.headers, coding, compressed), compressed)


def _headers(headers: Headers, coding: str, body: bytes) -> Headers:
    result: Headers = []
    vary: list[bytes] = []
    for name, value in headers:
        lower = name.lower()
        if lower in (b"content-length", b"content-encoding"):
            continue
        if lower == b"vary":
            vary.append(value)
            continue
        if lower == b"etag" and not value.startswith(b"W/"):
            value = b"W/" + value
        result.append((name, value))
    listed = {part.strip().lower() for value in vary for part in value.split(b",")}
    if b"*" not in listed and b"accept-encoding" not in listed:
        vary.append(b"Accept-Encoding")
    result.append((b"vary", b", ".join(part for part in vary if part.strip())))
    result.append((b"content-encoding", coding.encode("ascii")))
    result.append((b"content-length", str(len(body)).encode("ascii")))
    return result
