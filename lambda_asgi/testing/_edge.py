"""Lambda@Edge viewer-request and origin-request events."""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Mapping
from typing import Any, Literal

from ._common import (
    _CLOUDFRONT_VIA,
    _DISTRIBUTION_DOMAIN,
    _DISTRIBUTION_ID,
    _EDGE_ORIGIN,
    _EDGE_REQUEST_ID,
    _SOURCE_IP,
    _USER_AGENT,
    _client_headers,
    _content_length,
    _Cookies,
    _fresh,
    _header,
    _Headers,
    _Query,
    _raw_query,
)


def edge_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: _Query = None,
    headers: _Headers = None,
    cookies: _Cookies = None,
    body: str | bytes | None = None,
    base64: bool | None = None,
    source_ip: str = _SOURCE_IP,
    event_type: Literal["origin-request", "viewer-request"] = "origin-request",
    include_body: bool = True,
    max_body_size: int | None = None,
    distribution_domain: str = _DISTRIBUTION_DOMAIN,
    distribution_id: str = _DISTRIBUTION_ID,
    origin: Mapping[str, Any] | None = None,
    request_id: str = _EDGE_REQUEST_ID,
) -> dict[str, Any]:
    """A Lambda@Edge viewer-request or origin-request event (``Records[0].cf``).

    ``uri`` and ``querystring`` are the client's, untouched; headers keep the client's casing
    in ``key``, one entry per value. In origin-request events the viewer's headers are
    forwarded except ``Host``, which names the origin (``origin``, a custom origin by
    default), and CloudFront adds ``Via`` and appends ``source_ip`` to ``X-Forwarded-For``.
    With ``include_body`` (the association's "Include body") the body arrives base64-encoded
    (``base64=False``: as text), truncated like CloudFront's at ``max_body_size`` bytes, by
    default 40 KB for viewer-request and 1 MB for origin-request events, and then flagged
    ``inputTruncated``.

    >>> event = edge_event(path="/a%20b", query="q=x+y", body=b"hello", max_body_size=4)
    >>> request = event["Records"][0]["cf"]["request"]
    >>> request["uri"], request["querystring"], request["headers"]["host"]
    ('/a%20b', 'q=x+y', [{'key': 'Host', 'value': 'example.org'}])
    >>> request["body"]
    {'action': 'read-only', 'data': 'aGVsbA==', 'encoding': 'base64', 'inputTruncated': True}
    """
    origin = _fresh(origin if origin is not None else _EDGE_ORIGIN)
    sent = _client_headers(
        [("Host", distribution_domain), ("User-Agent", _USER_AGENT), ("Accept", "*/*")],
        headers,
        cookies,
    )
    if body and _header(sent, "content-length") is None:
        sent.append(("Content-Length", _content_length(body, base64)))
    raw = body.encode("utf-8") if isinstance(body, str) and not base64 else body
    if event_type == "origin-request":
        spec: Mapping[str, Any] = next(iter(origin.values()), {})
        forwarded = [value for name, value in sent if name.lower() == "x-forwarded-for"]
        sent = [(n, v) for n, v in sent if n.lower() not in ("host", "x-forwarded-for")]
        sent = [
            ("Host", spec.get("domainName", distribution_domain)),
            *sent,
            ("Via", _CLOUDFRONT_VIA),
            ("X-Forwarded-For", ", ".join([*forwarded, source_ip])),
        ]
    grouped: dict[str, list[dict[str, str]]] = {}
    for name, value in sent:
        grouped.setdefault(name.lower(), []).append({"key": name, "value": value})
    request: dict[str, Any] = {}
    if include_body:
        limit = max_body_size
        if limit is None:
            limit = 40 * 1024 if event_type == "viewer-request" else 1024 * 1024
        if isinstance(raw, bytes):
            kept = raw[:limit]
            data = kept.decode("utf-8", "replace") if base64 is False else ""
            data = data or b64encode(kept).decode("ascii")
            request["body"] = {
                "action": "read-only",
                "data": data,
                "encoding": "text" if base64 is False and kept else "base64",
                "inputTruncated": len(raw) > limit,
            }
        else:  # already the base64 wire value, or no body
            request["body"] = {
                "action": "read-only",
                "data": raw or "",
                "encoding": "base64",
                "inputTruncated": False,
            }
    request.update(
        clientIp=source_ip, headers=grouped, method=method, querystring=_raw_query(query), uri=path
    )
    if event_type == "origin-request":
        request["origin"] = origin
    config = {
        "distributionDomainName": distribution_domain,
        "distributionId": distribution_id,
        "eventType": event_type,
        "requestId": request_id,
    }
    return {"Records": [{"cf": {"config": config, "request": dict(sorted(request.items()))}}]}
