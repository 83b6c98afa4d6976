"""API Gateway HTTP APIs (payload format 2.0) and Lambda Function URLs.

Both send the 2.0 event (``rawPath``, ``rawQueryString``, lowercased comma-joined headers,
``cookies``) and accept ``statusCode``, ``headers``, ``cookies``, ``body`` and
``isBase64Encoded``: no multi-value headers, so repeats are comma-joined and every
Set-Cookie goes in ``cookies``.

They differ on the way in: HTTP API decodes ``rawPath`` (the original bytes are lost, so it
must not be unquoted again) and puts a named stage in front of it; a Function URL keeps
``rawPath`` percent-encoded and sends cookies twice, in ``cookies`` and a ``cookie`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from .._model import Config, Response, Source
from .._types import LambdaContext

if TYPE_CHECKING:
    from .._types import HttpApiResponse, HTTPScope
from ._request import (
    add_content_length,
    collect_headers,
    decode_body,
    decoded_query,
    endpoint,
    event_path,
    header_bytes,
    http_version,
    lowercase_headers,
    make_scope,
    single_headers,
    split_base_path,
    split_http_api_stage,
    unquote,
    watched_endpoint,
)
from ._response import encode_body, fold_headers, joined


def _http_context(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``requestContext`` of a 2.0 event that has ``requestContext.http``, else None.

    VPC Lattice v2 events also say ``version: "2.0"`` but have no ``http`` block.
    """
    if event.get("version") != "2.0":
        return None
    request_context = event.get("requestContext")
    if type(request_context) is dict and type(request_context.get("http")) is dict:
        return request_context
    return None


def is_function_url(event: Mapping[str, Any]) -> bool:
    request_context = _http_context(event)
    if request_context is None:
        return False
    domain = request_context.get("domainName")
    return isinstance(domain, str) and ".lambda-url." in domain


def is_http_api(event: Mapping[str, Any]) -> bool:
    return _http_context(event) is not None


def http_api_to_scope(
    event: Mapping[str, Any], context: LambdaContext, config: Config, function_url: bool = False
) -> tuple[HTTPScope, bytes]:
    """The HTTP API scope; with ``function_url``, the Function URL one (HTTP API is served
    without the extra call of a wrapper).

    Headers get exactly one ``cookie`` header, built from the ``cookies`` list when there is
    one (HTTP API has no cookie header; a Function URL has both). 2.0 header names are
    lowercase, so the event's own dict answers the few lookups by name (Host, the forwarding
    headers); an event whose names are not gets them collected."""
    request_context = event["requestContext"]
    http = request_context["http"]
    raw = event.get("headers")
    cookies = event.get("cookies")
    if cookies and raw and "cookie" in raw:
        raw = {name: value for name, value in raw.items() if name != "cookie"}
    domain = request_context.get("domainName")
    headers = lowercase_headers(raw) if raw else []
    if headers is None:
        headers, watched = collect_headers(single_headers(raw))
        scheme, server = watched_endpoint(watched, "https", domain)
        has_length = b"content-length" in watched
    elif raw:
        scheme, server = endpoint(
            raw.get("host"),
            raw.get("x-forwarded-port"),
            raw.get("x-forwarded-proto"),
            "https",
            domain,
        )
        has_length = "content-length" in raw
    else:
        scheme, server = endpoint(None, None, None, "https", domain)
        has_length = False
    if cookies:
        headers.append((b"cookie", header_bytes("; ".join(cookies))))
    body = event.get("body")
    body = decode_body(body, bool(event.get("isBase64Encoded"))) if body else b""
    add_content_length(headers, has_length, body)

    wire_path = event_path(event.get("rawPath") or http.get("path"))
    raw_path: bytes | None
    if function_url:
        path, raw_path = unquote(wire_path), wire_path.encode()
        root_path = ""
        if config.base_path:
            root_path, path, raw_path = split_base_path(path, raw_path, config)
    else:  # already decoded: the original bytes are gone, never unquote again
        root_path, path = split_http_api_stage(wire_path, request_context, config)
        raw_path = None

    query = event.get("rawQueryString")
    if query is None:  # hand-written events: rebuild from the decoded parameters
        query_string = decoded_query(None, event.get("queryStringParameters"))
    else:
        query_string = query.encode()

    source_ip = http.get("sourceIp")
    scope = make_scope(
        http.get("method") or "GET",
        scheme,
        root_path,
        path,
        raw_path,
        query_string,
        headers,
        (source_ip, 0) if source_ip else None,
        server,
        http_version(http.get("protocol")),
        event,
        context,
    )
    return scope, body


def function_url_to_scope(
    event: Mapping[str, Any], context: LambdaContext, config: Config
) -> tuple[HTTPScope, bytes]:
    return http_api_to_scope(event, context, config, True)


def to_response(response: Response, event: Mapping[str, Any], config: Config) -> HttpApiResponse:
    single, repeated, cookies, content_type, content_encoded = fold_headers(response.headers)
    body, is_base64 = encode_body(response.body, content_type, content_encoded, config)
    return {
        "statusCode": response.status,
        "headers": joined(single, repeated) if repeated else single,
        "cookies": cookies,
        "body": body,
        "isBase64Encoded": is_base64,
    }


FUNCTION_URL: Final = Source("function_url", is_function_url, function_url_to_scope, to_response)
HTTP_API: Final = Source("http_api", is_http_api, http_api_to_scope, to_response)
