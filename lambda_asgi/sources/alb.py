"""Application Load Balancer targets, in single- and multi-value header mode.

ALB forwards the path and query exactly as the client encoded them (it decodes nothing), sends
no source address except what it appends to ``x-forwarded-for``, and signals multi-value mode
by sending ``multiValueHeaders``/``multiValueQueryStringParameters`` instead of ``headers``/
``queryStringParameters``. The answer must use the same mode, carry ``statusDescription``,
a string body (never null) and string header values, or the client gets a 502.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from .._model import Config, Response, Source
from .._types import LambdaContext

if TYPE_CHECKING:
    from .._types import AlbResponse, HTTPScope
from ._request import (
    add_content_length,
    client_from_forwarded_for,
    collect_headers,
    collect_multi_headers,
    decode_body,
    event_path,
    make_scope,
    raw_query,
    single_headers,
    split_base_path,
    unquote,
    value_list,
    watched_endpoint,
)
from ._response import encode_body, fold_headers, grouped, joined, reason_phrase

logger: Final = logging.getLogger("lambda_asgi")


def is_alb(event: Mapping[str, Any]) -> bool:
    request_context = event.get("requestContext")
    return type(request_context) is dict and "elb" in request_context


def _is_multi_value(event: Mapping[str, Any]) -> bool:
    return "multiValueHeaders" in event or "multiValueQueryStringParameters" in event


def _query_pairs(event: Mapping[str, Any], multi_value: bool) -> Iterable[tuple[str, str]]:
    if multi_value:
        params: Mapping[str, Sequence[Any] | None] = (
            event.get("multiValueQueryStringParameters") or {}
        )
        return (
            (name, str(value)) for name, values in params.items() for value in value_list(values)
        )
    single = event.get("queryStringParameters") or {}
    return ((name, str(value)) for name, value in single.items())


def to_scope(
    event: Mapping[str, Any], context: LambdaContext, config: Config
) -> tuple[HTTPScope, bytes]:
    multi_value = _is_multi_value(event)
    headers, watched = (
        collect_multi_headers(event.get("multiValueHeaders"))
        if multi_value
        else collect_headers(single_headers(event.get("headers")))
    )
    body = decode_body(event.get("body"), bool(event.get("isBase64Encoded")))
    add_content_length(headers, b"content-length" in watched, body)

    wire_path = event_path(event.get("path"))
    path = unquote(wire_path)
    raw_path = wire_path.encode()
    root_path = ""
    if config.base_path:
        root_path, path, raw_path = split_base_path(path, raw_path, config)

    scheme, server = watched_endpoint(watched, "http", None)
    scope = make_scope(
        method=event.get("httpMethod") or "GET",
        scheme=scheme,
        root_path=root_path,
        path=path,
        raw_path=raw_path,
        query_string=raw_query(_query_pairs(event, multi_value)),
        headers=headers,
        client=client_from_forwarded_for(watched.get(b"x-forwarded-for")),
        server=server,
        http_version="1.1",
        event=event,
        context=context,
    )
    return scope, body


_descriptions: Final[dict[int, str]] = {}


def status_description(status: int) -> str:
    """``"200 OK"``: ALB's required status line text, remembered per status."""
    text = _descriptions.get(status)
    if text is None:
        text = _descriptions[status] = f"{status} {reason_phrase(status) or 'Unknown'}"
    return text


def to_response(response: Response, event: Mapping[str, Any], config: Config) -> AlbResponse:
    single, repeated, cookies, content_type, content_encoded = fold_headers(response.headers)
    body, is_base64 = encode_body(response.body, content_type, content_encoded, config)
    result: AlbResponse = {
        "statusCode": response.status,
        "statusDescription": status_description(response.status),
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if _is_multi_value(event):
        groups = grouped(single, repeated)
        if cookies:
            groups["Set-Cookie"] = cookies
        result["multiValueHeaders"] = groups
        return result
    headers = joined(single, repeated)
    if cookies:
        if len(cookies) > 1:
            logger.warning(
                "ALB target group is in single-value header mode, which carries one Set-Cookie "
                "only: sending the last of %d cookies; enable multi-value headers on the target "
                "group to send them all",
                len(cookies),
            )
        headers["Set-Cookie"] = cookies[-1]
    result["headers"] = headers
    return result


RESPONSE_LIMIT: Final = 1024 * 1024
"""ALB takes at most 1 MB of response JSON from a Lambda target (6 MB elsewhere)."""

ALB: Final = Source("alb", is_alb, to_scope, to_response, response_limit=RESPONSE_LIMIT)
