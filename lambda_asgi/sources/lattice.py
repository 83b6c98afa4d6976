"""Amazon VPC Lattice targets, event structure version 2 (``version: "2.0"``) and 1.

v2 sends ``path``, ``method``, ``headers`` and ``queryStringParameters`` with a list of values
per name (older samples have plain strings: both are accepted), ``body``, ``isBase64Encoded``
and a ``requestContext`` naming the service network, service and target group; it has no
``requestContext.http``, which is how it is told from an HTTP API 2.0 event. v1 is snake_case:
``raw_path``, ``method``, ``headers`` (repeats comma-joined), ``query_string_parameters`` (the
last value of a repeated name), ``body``, ``is_base64_encoded``.

Lattice, like ALB, forwards the path as the client encoded it: it is decoded exactly once and
kept as ``raw_path``. When the path carries the query (``/todos?order-id=1``), that query is
the client's own bytes and is used verbatim; otherwise the query is rebuilt from the parameter
map, whose values are taken as still encoded, as ALB sends them (decoding them here as well
would decode twice). The only client address is the rightmost ``x-forwarded-for`` entry, the
one Lattice appended. Scheme and port come from the headers AWS documents Lattice adding,
``x-forwarded-for-proto`` and ``x-forwarded-for-port`` (their rightmost entry), else ``https``
and the ``Host`` header's port; the server's name is the ``Host`` header. A client's own
``x-forwarded-proto`` or ``x-forwarded-port`` is passed on to the app but never believed.
v1 comma-joins repeated headers: repeated ``Cookie`` headers are re-joined with ``"; "``, so
the app sees one valid cookie header.

The answer is ``{statusCode, headers, body, isBase64Encoded}`` with one string per header
name: repeats are comma-joined. Lattice documents no multi-value or cookie field for Lambda
responses, and ``Set-Cookie`` cannot be comma-joined (cookie dates contain commas), so one
``Set-Cookie`` is sent, the last, with a warning when the app set more.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from .._model import Config, Response
from .._types import LambdaContext

if TYPE_CHECKING:
    from .._types import HTTPScope
# The predicates and the Source objects live in the package, so detection needs no import of
# this module; it is loaded by the first Lattice request, and fills the Sources in below.
from . import LATTICE, LATTICE_V1, is_lattice, is_lattice_v1
from ._request import (
    Watched,
    add_content_length,
    client_from_forwarded_for,
    collect_headers,
    cookie_joined,
    decode_body,
    endpoint,
    event_path,
    make_scope,
    raw_query,
    split_base_path,
    unquote,
)
from ._response import encode_body, fold_headers, joined

logger: Final = logging.getLogger("lambda_asgi")


def _values(values: Any) -> Iterable[Any]:
    """A v2 entry's values: a list, or one plain string as in older samples."""
    if type(values) is list:
        return values
    return () if values is None else (values,)


def _pairs(mapping: Any) -> list[tuple[Any, Any]]:
    if not mapping:
        return []
    return [(name, value) for name, values in mapping.items() for value in _values(values)]


# A comma that Lattice v1 put between two repeated Cookie headers: one followed by the next
# cookie's name and "=". Commas inside a (non-conforming) cookie value are left alone.
_JOINED_COOKIE: Final = re.compile(r",\s*(?=[^\s=;,]+=)")


def _cookie_split(value: Any) -> Any:
    return "; ".join(_JOINED_COOKIE.split(value)) if type(value) is str and "," in value else value


def _last_item(value: bytes | None) -> bytes | None:
    """The rightmost entry of a forwarding header: the one Lattice added after any a client
    sent (the same rule as ``x-forwarded-for``)."""
    return None if value is None else value.rsplit(b",", 1)[-1].strip()


def _endpoint(watched: Watched) -> tuple[str, tuple[str, int | None] | None]:
    """Scheme and server from what Lattice vouches for: the ``Host`` the client connected to
    and the listener's protocol and port, in Lattice's own ``x-forwarded-for-proto`` and
    ``x-forwarded-for-port``; never a client's ``x-forwarded-proto``/``-port``."""
    return endpoint(
        watched.get(b"host"),
        _last_item(watched.get(b"x-forwarded-for-port")),
        _last_item(watched.get(b"x-forwarded-for-proto")),
        "https",
        None,
    )


def _to_scope(
    event: Mapping[str, Any],
    context: LambdaContext,
    config: Config,
    *,
    wire: Any,
    params: Any,
    is_base64: Any,
    joined_cookies: bool = False,
) -> tuple[HTTPScope, bytes]:
    pairs = [(str(name).lower(), value) for name, value in _pairs(event.get("headers"))]
    if joined_cookies:
        pairs = [(n, _cookie_split(v) if n == "cookie" else v) for n, v in pairs]
    headers, watched = collect_headers(cookie_joined(pairs))
    body = decode_body(event.get("body"), bool(is_base64))
    add_content_length(headers, b"content-length" in watched, body)

    wire_path, mark, query = event_path(wire).partition("?")
    path = unquote(wire_path or "/")
    raw_path = (wire_path or "/").encode()
    root_path = ""
    if config.base_path:
        root_path, path, raw_path = split_base_path(path, raw_path, config)
    query_string = (
        query.encode()
        if mark
        else raw_query((str(name), str(value)) for name, value in _pairs(params))
    )

    scheme, server = _endpoint(watched)
    scope = make_scope(
        method=event.get("method") or "GET",
        scheme=scheme,
        root_path=root_path,
        path=path,
        raw_path=raw_path,
        query_string=query_string,
        headers=headers,
        client=client_from_forwarded_for(watched.get(b"x-forwarded-for")),
        server=server,
        http_version="1.1",
        event=event,
        context=context,
    )
    return scope, body


def v2_to_scope(
    event: Mapping[str, Any], context: LambdaContext, config: Config
) -> tuple[HTTPScope, bytes]:
    return _to_scope(
        event,
        context,
        config,
        wire=event.get("path"),
        params=event.get("queryStringParameters") or event.get("query_string_parameters"),
        is_base64=event.get("isBase64Encoded"),
    )


def v1_to_scope(
    event: Mapping[str, Any], context: LambdaContext, config: Config
) -> tuple[HTTPScope, bytes]:
    return _to_scope(
        event,
        context,
        config,
        wire=event.get("raw_path"),
        params=event.get("query_string_parameters"),
        is_base64=event.get("is_base64_encoded"),
        joined_cookies=True,
    )


def to_response(response: Response, event: Mapping[str, Any], config: Config) -> dict[str, Any]:
    single, repeated, cookies, content_type, content_encoded = fold_headers(response.headers)
    headers = joined(single, repeated)
    if cookies:
        if len(cookies) > 1:
            logger.warning(
                "VPC Lattice takes one value per response header: sending the last of %d "
                "Set-Cookie headers",
                len(cookies),
            )
        headers["Set-Cookie"] = cookies[-1]
    body, is_base64 = encode_body(response.body, content_type, content_encoded, config)
    return {
        "statusCode": response.status,
        "headers": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }


LATTICE.to_scope = v2_to_scope
LATTICE.to_response = LATTICE_V1.to_response = to_response
LATTICE_V1.to_scope = v1_to_scope

__all__ = [
    "LATTICE",
    "LATTICE_V1",
    "is_lattice",
    "is_lattice_v1",
    "to_response",
    "v1_to_scope",
    "v2_to_scope",
]
