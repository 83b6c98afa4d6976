"""Application Load Balancer target events, in single- and multi-value header mode."""

from __future__ import annotations

from typing import Any

from ._common import (
    _ALB_HOST,
    _SOURCE_IP,
    _TARGET_GROUP,
    _TRACE_ID,
    _USER_AGENT,
    _body,
    _client_headers,
    _Cookies,
    _group,
    _Headers,
    _last,
    _lower,
    _Query,
    _raw_query,
    _split_query,
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
