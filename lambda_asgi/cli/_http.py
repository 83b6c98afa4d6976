"""From a Lambda result back to HTTP: the response each front door would send the client.

Each front door reads its own result shape and answers 502 to a result it cannot use; the
checks here follow what AWS documents and what adapters have tripped over (REST refuses any
key beyond its five; ALB reads ``headers`` or ``multiValueHeaders`` by the request's mode and
refuses a null body; HTTP API 2.0 takes a result without ``statusCode`` as a JSON body).
``serve`` writes these responses to the socket and ``invoke --pretty`` prints them.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import logging
from base64 import b64decode
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, NamedTuple

from ..exceptions import LambdaAsgiError

logger = logging.getLogger("lambda_asgi.cli")


class HttpResponse(NamedTuple):
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class MalformedResultError(LambdaAsgiError):
    """Raised when a handler's result is one the front door would answer with a 502."""


class ServerStoppingError(LambdaAsgiError):
    """Raised for an invocation that ``serve`` refuses because it is stopping."""


ResultReader = Callable[[Any, Mapping[str, Any]], HttpResponse]
"""``(result, event) -> HttpResponse``; raises :class:`MalformedResultError`."""

_PROXY_KEYS = ("statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded")


def answer(read: ResultReader, result: Any, event: Mapping[str, Any]) -> HttpResponse:
    """The client's response for ``result``: a 502 (and the reason logged) when malformed."""
    try:
        return read(result, event)
    except MalformedResultError as exc:
        logger.error("the front door would answer 502: malformed result: %s", exc)
        return bad_gateway()


def bad_gateway() -> HttpResponse:
    """What API Gateway answers when the function fails or returns something unusable."""
    body = b'{"message":"Internal Server Error"}'
    return HttpResponse(502, "Bad Gateway", [("Content-Type", "application/json")], body)


def service_unavailable() -> HttpResponse:
    """``serve``'s answer to a request still waiting for the handler when it stops."""
    body = b'{"message":"Service Unavailable"}'
    return HttpResponse(503, "Service Unavailable", [("Content-Type", "application/json")], body)


def rest_result(result: Any, event: Mapping[str, Any]) -> HttpResponse:
    """REST: exactly the five proxy keys; any other key is a 502."""
    unexpected = sorted(set(_object(result)) - set(_PROXY_KEYS))
    if unexpected:
        raise MalformedResultError(
            f"REST APIs accept only {', '.join(_PROXY_KEYS)}; got {', '.join(unexpected)}"
        )
    return http_api_v1_result(result, event)


def http_api_v1_result(result: Any, event: Mapping[str, Any]) -> HttpResponse:
    """Payload 1.0: ``headers`` then ``multiValueHeaders``; a pair in both is sent once."""
    result = _object(result)
    multi = _multi_headers(result.get("multiValueHeaders"), strict=False)
    repeated = {(name.lower(), value) for name, value in multi}
    headers = [
        (name, value)
        for name, value in _single_headers(result.get("headers"), strict=False)
        if (name.lower(), value) not in repeated
    ]
    headers += multi
    status, reason = _status(result, strict=False)
    return HttpResponse(status, reason, headers, _body(result))


def http_api_result(result: Any, event: Mapping[str, Any]) -> HttpResponse:
    """Payload 2.0 and Function URLs: ``cookies`` become ``Set-Cookie`` headers; a result
    without ``statusCode`` is itself the JSON body of a 200."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        body = json.dumps(result).encode()
        return HttpResponse(200, "OK", [("Content-Type", "application/json")], body)
    headers = _single_headers(result.get("headers"), strict=False)
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResultError(f"cookies must be a list of strings, got {cookies!r:.80}")
    headers += [("Set-Cookie", _checked("Set-Cookie", cookie)) for cookie in cookies]
    status, reason = _status(result, strict=False)
    return HttpResponse(status, reason, headers, _body(result))


def alb_result(result: Any, event: Mapping[str, Any]) -> HttpResponse:
    """ALB: headers from the key matching the request's mode, the reason from
    ``statusDescription``, string header values only, and no null body."""
    result = _object(result)
    multi = "multiValueHeaders" in event
    used, ignored = ("multiValueHeaders", "headers") if multi else ("headers", "multiValueHeaders")
    if ignored in result:
        logger.warning(
            "the target group is in %s-value header mode: ALB ignores the result's %r",
            "multi" if multi else "single",
            ignored,
        )
    if multi:
        headers = _multi_headers(result.get(used), strict=True)
    else:
        headers = _single_headers(result.get(used), strict=True)
    if "body" in result and result["body"] is None:
        raise MalformedResultError('ALB refuses a null body; send "" instead')
    status, reason = _status(result, strict=True)
    description = result.get("statusDescription")
    if isinstance(description, str) and description.partition(" ")[2]:
        reason = description.partition(" ")[2]
    return HttpResponse(status, reason, headers, _body(result))


def edge_result(result: Any, event: Mapping[str, Any]) -> HttpResponse:
    """Lambda@Edge generated response: ``status`` as a string, headers in CloudFront's list
    format, ``bodyEncoding`` instead of ``isBase64Encoded``."""
    result = _object(result)
    if "uri" in result and "status" not in result:
        raise MalformedResultError(
            "the function returned the request, to forward to the origin; there is no origin here"
        )
    status = result.get("status")
    if not isinstance(status, str) or not status.isdigit():
        raise MalformedResultError(f'status must be a string such as "200", got {status!r}')
    code, reason = _status({"statusCode": int(status)}, strict=True)
    description = result.get("statusDescription")
    reason = description if isinstance(description, str) and description else reason
    headers = result.get("headers") or {}
    if not isinstance(headers, Mapping) or not all(
        isinstance(entries, list) and all(isinstance(e, Mapping) for e in entries)
        for entries in headers.values()
    ):
        raise MalformedResultError(
            f'headers must map names to [{{"key", "value"}}] lists, got {headers!r:.80}'
        )
    pairs = [
        (str(entry.get("key") or name), _value(name, entry.get("value"), True))
        for name, entries in headers.items()
        for entry in entries
    ]
    encoding = result.get("bodyEncoding", "text")
    if encoding not in ("text", "base64"):
        raise MalformedResultError(f'bodyEncoding must be "text" or "base64", got {encoding!r}')
    body = {"body": result.get("body"), "isBase64Encoded": encoding == "base64"}
    return HttpResponse(code, reason, pairs, _body(body))


def lattice_result(result: Any, event: Mapping[str, Any]) -> HttpResponse:
    """VPC Lattice: ``statusCode``, one string per header, ``body``, ``isBase64Encoded``."""
    result = _object(result)
    headers = _single_headers(result.get("headers"), strict=False)
    status, reason = _status(result, strict=False)
    return HttpResponse(status, reason, headers, _body(result))


def _object(result: Any) -> Mapping[str, Any]:
    if not isinstance(result, Mapping):
        raise MalformedResultError(f"the result is not a JSON object: {result!r:.80}")
    return result


def _status(result: Mapping[str, Any], *, strict: bool) -> tuple[int, str]:
    value = result.get("statusCode")
    if isinstance(value, str) and value.isdigit() and not strict:
        value = int(value)
    if type(value) is not int or not 100 <= value <= 599:
        raise MalformedResultError(f"statusCode must be an integer status, got {value!r}")
    try:
        return value, HTTPStatus(value).phrase
    except ValueError:
        return value, ""


def _single_headers(headers: Any, *, strict: bool) -> list[tuple[str, str]]:
    if not headers:
        return []
    if not isinstance(headers, Mapping):
        raise MalformedResultError(f"headers must be an object, got {headers!r:.80}")
    return [(name, _value(name, value, strict)) for name, value in headers.items()]


def _multi_headers(headers: Any, *, strict: bool) -> list[tuple[str, str]]:
    if not headers:
        return []
    if not isinstance(headers, Mapping) or not all(isinstance(v, list) for v in headers.values()):
        raise MalformedResultError(
            f"multiValueHeaders must map names to lists, got {headers!r:.80}"
        )
    return [
        (name, _value(name, value, strict)) for name, values in headers.items() for value in values
    ]


def _value(name: str, value: Any, strict: bool) -> str:
    """A header value as text; API Gateway also takes numbers, ALB only strings."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not strict:
        value = str(value)
    if not isinstance(value, str):
        raise MalformedResultError(f"header {name!r} has a non-string value {value!r:.80}")
    return _checked(name, value)


def _checked(name: str, value: str) -> str:
    if "\r" in value or "\n" in value or not name or any(c in name for c in " \t\r\n:"):
        raise MalformedResultError(f"header {name!r}: {value!r:.80} is not a valid HTTP header")
    return value


def _body(result: Mapping[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResultError(f"body must be a string, got {type(body).__name__}")
    if result.get("isBase64Encoded"):
        try:
            return b64decode(body, validate=True)
        except binascii.Error:
            raise MalformedResultError("isBase64Encoded is true but body is not base64") from None
    return body.encode()


def render(response: HttpResponse) -> str:
    """The response as an HTTP message a person reads: status line, headers, body as text
    (or, when it is not UTF-8, its size and SHA-256)."""
    lines = [f"HTTP/1.1 {response.status} {response.reason}".rstrip()]
    lines += [f"{name}: {value}" for name, value in response.headers]
    body = response.body
    try:
        text = body.decode()
    except UnicodeDecodeError:
        digest = hashlib.sha256(body).hexdigest()
        text = f"<binary body: {len(body)} bytes, sha256 {digest}>"
    return "\n".join([*lines, "", text])
