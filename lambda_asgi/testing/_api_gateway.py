"""API Gateway events: REST API (Lambda proxy integration), HTTP API payload 1.0 and 2.0,
and Lambda Function URLs (which send the 2.0 payload).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import unquote

from ._common import (
    _ACCOUNT_ID,
    _API_DOMAIN,
    _API_ID,
    _APIGW_REQUEST_ID,
    _EPOCH_MS,
    _REST_REQUEST_ID,
    _SOURCE_IP,
    _URL_REQUEST_ID,
    _V1_CANONICAL,
    _body,
    _clf_time,
    _client_headers,
    _content_length,
    _cookie_list,
    _Cookies,
    _edge_headers,
    _group,
    _header,
    _Headers,
    _identity,
    _joined,
    _last,
    _lower,
    _Pairs,
    _proxy_parameters,
    _Query,
    _raw_query,
    _split_query,
)


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
