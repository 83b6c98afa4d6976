"""What every client-request builder shares: the request's pieces normalised (query and
header pairs, cookies, bodies), fixed realistic ids and times, and small formatting helpers.
"""

from __future__ import annotations

import binascii
import time
from base64 import b64decode, b64encode
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

_Query = str | Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]] | None
_Headers = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]] | None
_Cookies = Mapping[str, str] | Sequence[str] | None
_Pairs = list[tuple[str, str]]

_ACCOUNT_ID = "123456789012"
_API_ID = "abc123defg"
_API_DOMAIN = f"{_API_ID}.execute-api.us-east-1.amazonaws.com"
_SOURCE_IP = "203.0.113.10"
_EPOCH_MS = 1_700_000_000_000  # 14/Nov/2023:22:13:20 +0000
_USER_AGENT = "curl/8.5.0"
_TRACE_ID = "Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"
_REST_REQUEST_ID = "5d8a6f2e-3b1c-4e7f-9a0d-2c4b6e8f1a3c"
_APIGW_REQUEST_ID = "Ob7xKgXnIAMEb1Q="  # the shape of HTTP API requestId, REST extendedRequestId
_URL_REQUEST_ID = "9e3f7a1b-6c2d-4f8e-a5b0-1d7c3e9f2b64"
_ALB_HOST = "my-alb-1234567890.us-east-1.elb.amazonaws.com"
_TARGET_GROUP = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-target/0123456789abcdef"
)
_DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
_DISTRIBUTION_ID = "EDFDVBD6EXAMPLE"
_EDGE_REQUEST_ID = "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="
_CLOUDFRONT_VIA = "2.0 2afae0d44e2540f472c0635ab62c232b.cloudfront.net (CloudFront)"
_EDGE_ORIGIN: dict[str, Any] = {
    "custom": {
        "customHeaders": {},
        "domainName": "example.org",
        "keepaliveTimeout": 5,
        "path": "",
        "port": 443,
        "protocol": "https",
        "readTimeout": 30,
        "sslProtocols": ["TLSv1.2"],
    }
}
_LATTICE_ARN = "arn:aws:vpc-lattice:us-east-1:123456789012"
_LATTICE_HOST = "my-service-0a40eebed65f8d69c.7d67968.vpc-lattice-svcs.us-east-1.on.aws"
_SOURCE_VPC = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0b8276c84697e7339"
_IDENTITY_NULLS = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "user",
    "userArn",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# HTTP API payload 1.0 lowercases header names except these (seen in captured events).
_V1_CANONICAL = {
    name.lower(): name
    for name in (
        "Content-Length",
        "Content-Type",
        "Host",
        "User-Agent",
        "X-Amzn-Trace-Id",
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
    )
}


def _fresh(value: Any) -> Any:
    """A copy in which every dict and list is new and appears once, as if parsed from JSON.

    Builders pass defaults and callers' nested values through this, so a test that edits one
    event changes neither the next event nor the caller's objects.
    """
    if isinstance(value, Mapping):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fresh(item) for item in value]
    return value


def _pairs(items: _Headers | _Query) -> _Pairs:
    """Flatten a mapping (sequence values repeat the name) or a sequence of pairs, in order."""
    if items is None or isinstance(items, str):
        return []
    if isinstance(items, Mapping):
        flat: _Pairs = []
        for name, value in items.items():
            flat.extend([(name, value)] if isinstance(value, str) else [(name, v) for v in value])
        return flat
    return [(name, value) for name, value in items]


def _raw_query(query: _Query) -> str:
    """The query string as the client sent it: given verbatim, or percent-encoded from pairs."""
    if isinstance(query, str):
        return query
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in _pairs(query))


def _split_query(raw: str, *, decode: bool) -> _Pairs:
    """Split on ``&`` and the first ``=``; API Gateway decodes (``+`` is a space), ALB does not."""
    pieces = [piece.partition("=") for piece in raw.split("&") if piece]
    if decode:
        return [(unquote_plus(name), unquote_plus(value)) for name, _, value in pieces]
    return [(name, value) for name, _, value in pieces]


def _group(pairs: _Pairs) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _last(grouped: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[-1] for name, values in grouped.items()}


def _joined(grouped: dict[str, list[str]]) -> dict[str, str]:
    return {name: ",".join(values) for name, values in grouped.items()}


def _client_headers(
    defaults: Sequence[tuple[str, str]], headers: _Headers, cookies: _Cookies
) -> _Pairs:
    """What reaches the front door: its defaults, overridden case-insensitively by the client's.

    ``cookies`` becomes one ``Cookie`` header, as a browser sends it.
    """
    sent = _pairs(headers)
    if isinstance(cookies, Mapping):
        cookies = [f"{name}={value}" for name, value in cookies.items()]
    elif isinstance(cookies, str):  # a str is a Sequence[str] too: take it as one cookie
        cookies = [cookies]
    if cookies:
        sent.append(("Cookie", "; ".join(cookies)))
    names = {name.lower() for name, _ in sent}
    return [(n, v) for n, v in defaults if n.lower() not in names] + sent


def _lower(pairs: _Pairs) -> _Pairs:
    return [(name.lower(), value) for name, value in pairs]


def _header(pairs: _Pairs, name: str) -> str | None:
    values = [value for key, value in pairs if key.lower() == name]
    return values[-1] if values else None


def _cookie_list(pairs: _Pairs) -> list[str]:
    """Payload 2.0 splits every ``cookie`` header into single ``name=value`` entries."""
    crumbs = [
        c.strip() for key, value in pairs if key.lower() == "cookie" for c in value.split(";")
    ]
    return [crumb for crumb in crumbs if crumb]


def _body(body: str | bytes | None, base64: bool | None) -> tuple[str | None, bool]:
    """The event's body and flag: ``bytes`` are base64-encoded unless ``base64=False``; a
    ``str`` is text, or with ``base64=True`` the already encoded wire value, kept verbatim."""
    if not body:
        return None, False
    if isinstance(body, bytes):
        if base64 is False:
            return body.decode("utf-8"), False
        return b64encode(body).decode("ascii"), True
    return body, bool(base64)


def _content_length(body: str | bytes | None, base64: bool | None) -> str:
    if isinstance(body, str) and base64:
        try:
            return str(len(b64decode(body, validate=True)))
        except binascii.Error:  # a deliberately invalid value: no true length exists
            return str(len(body))
    return str(len(body.encode() if isinstance(body, str) else body or b""))


def _clf_time(epoch_ms: int) -> str:
    """``14/Nov/2023:22:13:20 +0000``, independent of the process locale."""
    t = time.gmtime(epoch_ms // 1000)
    month = _MONTHS[t.tm_mon - 1]
    return (
        f"{t.tm_mday:02d}/{month}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def _edge_headers(host: str, source_ip: str) -> list[tuple[str, str]]:
    """A curl request as it leaves the API Gateway / Function URL front end."""
    return [
        ("Accept", "*/*"),
        ("Host", host),
        ("User-Agent", _USER_AGENT),
        ("X-Amzn-Trace-Id", _TRACE_ID),
        ("X-Forwarded-For", source_ip),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]


def _proxy_parameters(resource: str, path: str) -> dict[str, str] | None:
    """The greedy ``{proxy+}`` parameter API Gateway extracts (decoded) from the path."""
    if resource.endswith("/{proxy+}") and path != "/":
        return {"proxy": unquote(path).removeprefix(resource.removesuffix("{proxy+}"))}
    return None


def _identity(source_ip: str, user_agent: str | None, *extra: str) -> dict[str, Any]:
    """``requestContext.identity`` of an unauthenticated caller (``extra``: more null keys)."""
    identity: dict[str, Any] = dict.fromkeys((*_IDENTITY_NULLS, *extra))
    identity.update(sourceIp=source_ip, userAgent=user_agent)
    return dict(sorted(identity.items()))
