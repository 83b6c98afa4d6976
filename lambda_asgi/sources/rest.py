"""API Gateway REST APIs (Lambda proxy integration) and HTTP APIs with payload format 1.0.

Both send the "1.0" proxy event: ``httpMethod``, ``path``, single- and multi-value headers and
query parameters, and accept only ``statusCode``, ``headers``, ``multiValueHeaders``, ``body``
and ``isBase64Encoded`` back (REST answers 502 to any other key).

Differences handled here: REST keeps ``path`` percent-encoded and, on the execute-api domain,
serves it under ``/{stage}`` (visible only in ``requestContext.path``); HTTP API 1.0 decodes
the path and puts a named stage in front of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from .._model import Config, Response, Source
from .._types import LambdaContext

if TYPE_CHECKING:
    from .._types import HTTPScope, RestResponse
from ._request import (
    add_content_length,
    collect_headers,
    collect_multi_headers,
    decode_body,
    decoded_query,
    event_path,
    http_version,
    make_scope,
    single_headers,
    split_base_path,
    split_http_api_stage,
    unquote,
    watched_endpoint,
)
from ._response import encode_body, fold_headers


def is_rest(event: Mapping[str, Any]) -> bool:
    return "httpMethod" in event and "requestContext" in event and "version" not in event


def is_http_api_v1(event: Mapping[str, Any]) -> bool:
    return event.get("version") == "1.0" and "httpMethod" in event


def _stage_root(request_context: Mapping[str, Any], path: str) -> str:
    """``/{stage}`` when the public URL carried the stage: ``requestContext.path`` is then the
    stage followed by the event's path (the execute-api domain); behind a custom domain the
    two are equal and the stage is not in the URL."""
    stage = request_context.get("stage")
    public = request_context.get("path")
    if not stage or not isinstance(public, str):
        return ""
    prefix = f"/{stage}"
    # https://{api}/prod reaches the root resource as path "/" with requestContext.path
    # "/prod"; a custom domain's route "/prod" has both "/prod", and no stage in its URL.
    if public == prefix + path or (public == prefix and path == "/"):
        return prefix
    return prefix if unquote(public) == prefix + unquote(path) else ""


def rest_to_scope(
    event: Mapping[str, Any], context: LambdaContext, config: Config, decoded_path: bool = False
) -> tuple[HTTPScope, bytes]:
    """The REST scope; with ``decoded_path``, the HTTP API 1.0 one (REST is served without the
    extra call of a wrapper: it is the front door most 1.0 events come from)."""
    request_context = event.get("requestContext") or {}
    multi = event.get("multiValueHeaders")
    headers, watched = (
        collect_multi_headers(multi)
        if multi
        else collect_headers(single_headers(event.get("headers")))
    )
    body = event.get("body")
    body = decode_body(body, bool(event.get("isBase64Encoded"))) if body else b""
    add_content_length(headers, b"content-length" in watched, body)

    wire_path = event_path(event.get("path"))
    raw_path: bytes | None
    if decoded_path:  # HTTP API 1.0: the original bytes are gone, never unquote again
        root_path, path = split_http_api_stage(wire_path, request_context, config)
        raw_path = None
    else:
        path, raw_path = unquote(wire_path), wire_path.encode()
        root_path = _stage_root(request_context, wire_path)
        if not root_path and config.base_path:
            root_path, path, raw_path = split_base_path(path, raw_path, config)

    scheme, server = watched_endpoint(watched, "https", request_context.get("domainName"))
    identity = request_context.get("identity")
    source_ip = identity.get("sourceIp") if identity else None
    multi_query = event.get("multiValueQueryStringParameters")
    single_query = event.get("queryStringParameters")
    scope = make_scope(
        event.get("httpMethod") or "GET",
        scheme,
        root_path,
        path,
        raw_path,
        decoded_query(multi_query, single_query) if multi_query or single_query else b"",
        headers,
        (source_ip, 0) if source_ip else None,
        server,
        http_version(request_context.get("protocol")),
        event,
        context,
    )
    return scope, body


def http_api_v1_to_scope(
    event: Mapping[str, Any], context: LambdaContext, config: Config
) -> tuple[HTTPScope, bytes]:
    return rest_to_scope(event, context, config, True)


def to_response(response: Response, event: Mapping[str, Any], config: Config) -> RestResponse:
    """Single-valued headers in ``headers``; repeated ones and every Set-Cookie in
    ``multiValueHeaders`` (a header in both would be sent twice)."""
    single, repeated, cookies, content_type, content_encoded = fold_headers(response.headers)
    multi: dict[str, list[str]] = repeated
    if repeated:  # rare: split the names, each keeping the place of its first appearance
        multi = {name: repeated[name] for name in single if name in repeated}
        single = {name: value for name, value in single.items() if name not in repeated}
    if cookies:
        multi["Set-Cookie"] = cookies
    body, is_base64 = encode_body(response.body, content_type, content_encoded, config)
    return {
        "statusCode": response.status,
        "headers": single,
        "multiValueHeaders": multi,
        "body": body,
        "isBase64Encoded": is_base64,
    }


REST: Final = Source("rest", is_rest, rest_to_scope, to_response)
HTTP_API_V1: Final = Source("http_api_v1", is_http_api_v1, http_api_v1_to_scope, to_response)
