"""VPC Lattice target events, versions 1 and 2."""

from __future__ import annotations

from typing import Any, Literal

from ._common import (
    _EPOCH_MS,
    _LATTICE_ARN,
    _LATTICE_HOST,
    _SOURCE_IP,
    _SOURCE_VPC,
    _USER_AGENT,
    _body,
    _client_headers,
    _content_length,
    _Cookies,
    _group,
    _header,
    _Headers,
    _joined,
    _last,
    _lower,
    _Query,
    _raw_query,
    _split_query,
)


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
