"""Realistic Lambda events and a fake context, for testing code that runs behind AWS.

Each builder takes a *client request* (method, the percent-encoded path the client put on the
wire, its raw query string or decoded parameters, headers in the client's casing, cookies and
body) and returns the event the AWS front door hands to Lambda for it: API Gateway REST (Lambda
proxy integration), HTTP API payload 1.0 and 2.0, Lambda Function URLs, Application Load
Balancer targets, Lambda@Edge request triggers and VPC Lattice targets (v1 and v2). Each
source's quirks are reproduced: which path is decoded, where the stage appears, how repeated
query parameters and headers are folded, where cookies go, and how an empty body looks. Ids
and times are fixed realistic values, so whole-event assertions stay stable.

For ``Adapter(app, events_path=...)`` there are builders of non-HTTP events too: ``sqs_event``,
``sns_event``, ``s3_event``, ``eventbridge_event``, ``scheduled_event``, ``dynamodb_event``
and ``kinesis_event``.

Standard library only: this module is imported by users' test suites.
"""

from __future__ import annotations

import binascii
import time
from base64 import b64decode, b64encode
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, unquote, unquote_plus

from ._testing_events import (
    dynamodb_event,
    eventbridge_event,
    kinesis_event,
    s3_event,
    scheduled_event,
    sns_event,
    sqs_event,
)

__all__ = [
    "FakeContext",
    "alb_event",
    "dynamodb_event",
    "edge_event",
    "eventbridge_event",
    "function_url_event",
    "http_api_event",
    "kinesis_event",
    "lattice_event",
    "rest_event",
    "s3_event",
    "scheduled_event",
    "sns_event",
    "sqs_event",
]

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


def _payload_v1(
    *,
    method: str,
    path: str,
    resource: str,
    headers: _Pairs,
    query: _Query,
    path_parameters: Mapping[str, str] | None,
    stage_variables: Mapping[str, str] | None,
    body: str | bytes | None,
    base64: bool | None,
    request_context: dict[str, Any],
) -> dict[str, Any]:
    """The shape shared by REST and HTTP API payload 1.0."""
    grouped_headers = _group(headers)
    grouped_query = _group(_split_query(_raw_query(query), decode=True))
    text, encoded = _body(body, base64)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": _last(grouped_headers) or None,
        "multiValueHeaders": grouped_headers or None,
        "queryStringParameters": _last(grouped_query) or None,
        "multiValueQueryStringParameters": grouped_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "requestContext": dict(sorted(request_context.items())),
        "body": text,
        "isBase64Encoded": encoded,
    }


def _payload_v2(
    *,
    method: str,
    raw_path: str,
    decoded_path: str,
    query: _Query,
    headers: _Pairs,
    keep_cookie_header: bool,
    source_ip: str,
    route_key: str,
    path_parameters: Mapping[str, str] | None,
    stage_variables: Mapping[str, str] | None,
    body: str | bytes | None,
    base64: bool | None,
    request_context: dict[str, Any],
) -> dict[str, Any]:
    """The shape shared by HTTP API payload 2.0 and Function URLs; empty keys are left out."""
    raw_query = _raw_query(query)
    cookies = _cookie_list(headers)
    if not keep_cookie_header:
        headers = [(name, value) for name, value in headers if name.lower() != "cookie"]
    request_context["http"] = {
        "method": method,
        "path": decoded_path.rstrip("/") or "/",
        "protocol": "HTTP/1.1",
        "sourceIp": source_ip,
        "userAgent": _header(headers, "user-agent") or "",
    }
    request_context["routeKey"] = route_key
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = _joined(_group(_lower(headers)))
    query_parameters = _joined(_group(_split_query(raw_query, decode=True)))
    if query_parameters:
        event["queryStringParameters"] = query_parameters
    event["requestContext"] = dict(sorted(request_context.items()))
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    text, event["isBase64Encoded"] = _body(body, base64)
    if text is not None:
        event["body"] = text
    return event


def rest_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: _Query = None,
    headers: _Headers = None,
    cookies: _Cookies = None,
    body: str | bytes | None = None,
    base64: bool | None = None,
    source_ip: str = _SOURCE_IP,
    stage: str = "prod",
    resource: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    stage_variables: Mapping[str, str] | None = None,
    domain_name: str | None = None,
    base_path: str = "",
    request_id: str = _REST_REQUEST_ID,
    time_epoch_ms: int = _EPOCH_MS,
) -> dict[str, Any]:
    """An API Gateway REST API event (Lambda proxy integration, no ``version`` key).

    ``path`` stays percent-encoded and carries no stage; ``requestContext.path`` has
    ``/{stage}`` in front on the execute-api domain. Behind a custom ``domain_name`` both carry
    ``base_path`` (the mapping) instead. ``resource`` defaults to ``/{proxy+}``, or ``/`` for
    the root path; ``pathParameters.proxy`` is derived from the path for ``{proxy+}``.

    >>> event = rest_event(path="/a%20b", query="q=x+y&q=z", stage="dev")
    >>> event["path"], event["requestContext"]["path"], event["pathParameters"]
    ('/a%20b', '/dev/a%20b', {'proxy': 'a b'})
    >>> event["queryStringParameters"], event["multiValueQueryStringParameters"]
    ({'q': 'z'}, {'q': ['x y', 'z']})
    """
    domain = domain_name or _API_DOMAIN
    if domain.endswith(".amazonaws.com"):
        event_path, context_path = path, f"/{stage}{path}"
    else:
        mapping = "/" + base_path.strip("/") if base_path.strip("/") else ""
        event_path = context_path = (
            (mapping + path) if (mapping and path != "/") else (mapping or path)
        )
    resource = resource or ("/" if path == "/" else "/{proxy+}")
    pairs = _client_headers(_edge_headers(domain, source_ip), headers, cookies)
    request_context = {
        "accountId": _ACCOUNT_ID,
        "apiId": _API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "extendedRequestId": _APIGW_REQUEST_ID,
        "httpMethod": method,
        "identity": _identity(source_ip, _header(pairs, "user-agent")),
        "path": context_path,
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": _clf_time(time_epoch_ms),
        "requestTimeEpoch": time_epoch_ms,
        "resourceId": "a1b2c3",
        "resourcePath": resource,
        "stage": stage,
    }
    return _payload_v1(
        method=method,
        path=event_path,
        resource=resource,
        headers=pairs,
        query=query,
        path_parameters=path_parameters or _proxy_parameters(resource, path),
        stage_variables=stage_variables,
        body=body,
        base64=base64,
        request_context=request_context,
    )


def http_api_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: _Query = None,
    headers: _Headers = None,
    cookies: _Cookies = None,
    body: str | bytes | None = None,
    base64: bool | None = None,
    source_ip: str = _SOURCE_IP,
    payload_version: Literal["1.0", "2.0"] = "2.0",
    stage: str = "$default",
    route_key: str | None = None,
    domain_name: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    stage_variables: Mapping[str, str] | None = None,
    request_id: str = _APIGW_REQUEST_ID,
    time_epoch_ms: int = _EPOCH_MS,
) -> dict[str, Any]:
    """An API Gateway HTTP API event, payload format 2.0 (default) or 1.0.

    The path arrives decoded, with ``/{stage}`` in front unless the stage is ``$default``, and
    HTTP API adds a ``Content-Length`` header. In 2.0, header names are lowercased and repeats
    comma-joined, cookies move to ``cookies`` and empty keys are left out. 1.0 is REST-shaped;
    its header names are lowercased except a few that HTTP API writes itself (``Host``, ...).

    >>> event = http_api_event(path="/a%2Fb/", query={"q": ["1", "2"]}, cookies={"s": "1"})
    >>> event["rawPath"], event["requestContext"]["http"]["path"], event["rawQueryString"]
    ('/a/b/', '/a/b', 'q=1&q=2')
    >>> event["queryStringParameters"], event["cookies"], "cookie" in event["headers"]
    ({'q': '1,2'}, ['s=1'], False)
    """
    domain = domain_name or _API_DOMAIN
    route_key = route_key or "$default"
    route_path = route_key.split(" ", 1)[-1]
    decoded_path = ("" if stage == "$default" else f"/{stage}") + unquote(path)
    path_parameters = path_parameters or _proxy_parameters(route_path, path)
    defaults = [
        *_edge_headers(domain, source_ip),
        ("Content-Length", _content_length(body, base64)),
    ]
    pairs = _client_headers(defaults, headers, cookies)
    request_context: dict[str, Any] = {
        "accountId": _ACCOUNT_ID,
        "apiId": _API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "requestId": request_id,
        "stage": stage,
    }
    if payload_version == "2.0":
        request_context.update(time=_clf_time(time_epoch_ms), timeEpoch=time_epoch_ms)
        return _payload_v2(
            method=method,
            raw_path=decoded_path,
            decoded_path=decoded_path,
            query=query,
            headers=pairs,
            keep_cookie_header=False,
            source_ip=source_ip,
            route_key=route_key,
            path_parameters=path_parameters,
            stage_variables=stage_variables,
            body=body,
            base64=base64,
            request_context=request_context,
        )
    pairs = [(_V1_CANONICAL.get(name.lower(), name.lower()), value) for name, value in pairs]
    request_context.update(
        extendedRequestId=request_id,
        httpMethod=method,
        identity=_identity(source_ip, _header(pairs, "user-agent"), "cognitoAmr"),
        path=decoded_path,
        protocol="HTTP/1.1",
        requestTime=_clf_time(time_epoch_ms),
        requestTimeEpoch=time_epoch_ms,
        resourceId=route_key,
        resourcePath=route_path,
    )
    event = _payload_v1(
        method=method,
        path=decoded_path,
        resource=route_path,
        headers=pairs,
        query=query,
        path_parameters=path_parameters,
        stage_variables=stage_variables,
        body=body,
        base64=base64,
        request_context=request_context,
    )
    return {"version": "1.0", **event}


def function_url_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: _Query = None,
    headers: _Headers = None,
    cookies: _Cookies = None,
    body: str | bytes | None = None,
    base64: bool | None = None,
    source_ip: str = _SOURCE_IP,
    url_id: str = "abcdefghijklmnopqrstuvwxyz0123",
    region: str = "us-east-1",
    request_id: str = _URL_REQUEST_ID,
    time_epoch_ms: int = _EPOCH_MS,
) -> dict[str, Any]:
    """A Lambda Function URL event (payload 2.0 shape, auth type ``NONE``).

    Unlike HTTP API, ``rawPath`` stays percent-encoded (``requestContext.http.path`` is
    decoded), and cookies arrive twice: in ``cookies`` and in the ``cookie`` header.

    >>> event = function_url_event(path="/a%20b", cookies=["a=1", "b=2"])
    >>> event["rawPath"], event["requestContext"]["http"]["path"]
    ('/a%20b', '/a b')
    >>> event["cookies"], event["headers"]["cookie"]
    (['a=1', 'b=2'], 'a=1; b=2')
    """
    domain = f"{url_id}.lambda-url.{region}.on.aws"
    tls = [("X-Amzn-Tls-Cipher-Suite", "TLS_AES_128_GCM_SHA256"), ("X-Amzn-Tls-Version", "TLSv1.3")]
    pairs = _client_headers([*_edge_headers(domain, source_ip), *tls], headers, cookies)
    request_context: dict[str, Any] = {
        "accountId": "anonymous",  # what auth type NONE reports, not the owner's account
        "apiId": url_id,
        "domainName": domain,
        "domainPrefix": url_id,
        "requestId": request_id,
        "stage": "$default",
        "time": _clf_time(time_epoch_ms),
        "timeEpoch": time_epoch_ms,
    }
    return _payload_v2(
        method=method,
        raw_path=path,
        decoded_path=unquote(path),
        query=query,
        headers=pairs,
        keep_cookie_header=True,
        source_ip=source_ip,
        route_key="$default",
        path_parameters=None,
        stage_variables=None,
        body=body,
        base64=base64,
        request_context=request_context,
    )


def alb_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: _Query = None,
    headers: _Headers = None,
    cookies: _Cookies = None,
    body: str | bytes | None = None,
    base64: bool | None = None,
    source_ip: str = _SOURCE_IP,
    multi_value: bool = False,
    health_check: bool = False,
    target_group_arn: str = _TARGET_GROUP,
) -> dict[str, Any]:
    """An Application Load Balancer event for a Lambda target group.

    ALB decodes nothing: ``path`` and every query name and value stay as the client sent them.
    It lowercases header names and appends ``source_ip`` to ``x-forwarded-for``.
    ``multi_value`` switches to ``multiValueHeaders`` / ``multiValueQueryStringParameters``
    (the target group's ``lambda.multi_value_headers.enabled``). ``health_check`` builds the
    health checker's request instead: ``GET path`` with only a ``user-agent`` header (the
    other request arguments are ignored).

    >>> event = alb_event(query="a=x%2By&a=1+2", headers={"X-Forwarded-For": "198.51.100.7"})
    >>> event["queryStringParameters"], event["headers"]["x-forwarded-for"]
    ({'a': '1+2'}, '198.51.100.7, 203.0.113.10')
    >>> alb_event(health_check=True)["headers"]
    {'user-agent': 'ELB-HealthChecker/2.0'}
    """
    if health_check:
        method, query, body = "GET", None, None
        pairs = [("user-agent", "ELB-HealthChecker/2.0")]
    else:
        client = _lower(_client_headers([], headers, cookies))
        forwarded = [value for name, value in client if name == "x-forwarded-for"]
        defaults = [
            ("host", _ALB_HOST),
            ("user-agent", _USER_AGENT),
            ("x-amzn-trace-id", _TRACE_ID),
            ("x-forwarded-for", ", ".join([*forwarded, source_ip])),
            ("x-forwarded-port", "443"),
            ("x-forwarded-proto", "https"),
        ]
        client = [(name, value) for name, value in client if name != "x-forwarded-for"]
        pairs = _client_headers(defaults, client, None)
    grouped_headers = _group(pairs)
    grouped_query = _group(_split_query(_raw_query(query), decode=False))
    text, encoded = _body(body, base64)
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": method,
        "path": path,
    }
    if multi_value:
        event["multiValueQueryStringParameters"] = grouped_query
        event["multiValueHeaders"] = grouped_headers
    else:
        event["queryStringParameters"] = _last(grouped_query)
        event["headers"] = _last(grouped_headers)
    event["body"] = text or ""
    event["isBase64Encoded"] = encoded
    return event


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
    origin = dict(origin if origin is not None else _EDGE_ORIGIN)
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


def lattice_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: _Query = None,
    headers: _Headers = None,
    cookies: _Cookies = None,
    body: str | bytes | None = None,
    base64: bool | None = None,
    source_ip: str = _SOURCE_IP,
    version: Literal[1, 2] = 2,
    host: str = _LATTICE_HOST,
    service_network_arn: str = f"{_LATTICE_ARN}:servicenetwork/sn-0bf3f2882e9cc805a",
    service_arn: str = f"{_LATTICE_ARN}:service/svc-0a40eebed65f8d69c",
    target_group_arn: str = f"{_LATTICE_ARN}:targetgroup/tg-6d0ecf831eec9f09",
    source_vpc_arn: str = _SOURCE_VPC,
    region: str = "us-east-1",
    time_epoch_ms: int = _EPOCH_MS,
) -> dict[str, Any]:
    """A VPC Lattice event for a Lambda target group, event structure version 2 or 1.

    Lattice decodes nothing: the path and every query name and value stay as the client sent
    them. It lowercases header names and appends ``source_ip`` to ``x-forwarded-for``.
    Version 2 keeps the query in ``path`` too, lists every value of a header or parameter, and
    adds a ``requestContext`` (``timeEpoch`` in microseconds, as a string); version 1 is
    snake_case, comma-joins repeated headers and keeps the last value of a parameter.

    >>> event = lattice_event(path="/a%20b", query="q=1&q=x%2By", headers={"X-Multi": ["1", "2"]})
    >>> event["path"], event["queryStringParameters"], event["headers"]["x-multi"]
    ('/a%20b?q=1&q=x%2By', {'q': ['1', 'x%2By']}, ['1', '2'])
    >>> v1 = lattice_event(path="/a", query="q=1&q=2", headers={"X-M": ["1", "2"]}, version=1)
    >>> v1["raw_path"], v1["query_string_parameters"], v1["headers"]["x-m"]
    ('/a', {'q': '2'}, '1,2')
    """
    client = _lower(_client_headers([], headers, cookies))
    forwarded = [value for name, value in client if name == "x-forwarded-for"]
    defaults = [("host", host), ("user-agent", _USER_AGENT), ("accept", "*/*")]
    client = [(name, value) for name, value in client if name != "x-forwarded-for"]
    if body and _header(client, "content-length") is None:
        client.append(("content-length", _content_length(body, base64)))
    pairs = _client_headers(defaults, client, None)
    pairs.append(("x-forwarded-for", ", ".join([*forwarded, source_ip])))
    grouped_headers = _group(pairs)
    raw_query = _raw_query(query)
    grouped_query = _group(_split_query(raw_query, decode=False))
    text, encoded = _body(body, base64)
    if version == 1:
        return {
            "raw_path": path,
            "method": method,
            "headers": _joined(grouped_headers),
            "query_string_parameters": _last(grouped_query),
            "body": text or "",
            "is_base64_encoded": encoded,
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "path": f"{path}?{raw_query}" if raw_query else path,
        "method": method,
        "headers": grouped_headers,
    }
    if grouped_query:
        event["queryStringParameters"] = grouped_query
    if text is not None:
        event["body"] = text
    event["isBase64Encoded"] = encoded
    event["requestContext"] = {
        "serviceNetworkArn": service_network_arn,
        "serviceArn": service_arn,
        "targetGroupArn": target_group_arn,
        "identity": {"sourceVpcArn": source_vpc_arn},
        "region": region,
        "timeEpoch": str(time_epoch_ms * 1000),
    }
    return event


@dataclass(slots=True)
class FakeContext:
    """A stand-in for the Lambda context object, with a real countdown.

    ``get_remaining_time_in_millis()`` counts down from ``timeout_ms``, starting when the
    context is built, and never goes below zero. ``memory_limit_in_mb`` is a string, as in the
    Python runtime, which reads it from an environment variable.

    >>> context = FakeContext(timeout_ms=3_000)
    >>> 0 < context.get_remaining_time_in_millis() <= 3_000
    True
    """

    aws_request_id: str = "f2b4c6d8-1a3e-4b5c-8d7e-9f0a1b2c3d4e"
    function_name: str = "my-function"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:my-function"
    memory_limit_in_mb: str = "128"
    log_group_name: str = "/aws/lambda/my-function"
    log_stream_name: str = "2023/11/14/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    timeout_ms: int = 30_000
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (fake) function timeout, never negative.

        >>> FakeContext(timeout_ms=0).get_remaining_time_in_millis()
        0
        """
        return max(0, int((self._deadline - time.monotonic()) * 1000))
