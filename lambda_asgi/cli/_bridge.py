"""The ASGI app uvicorn runs for ``serve``'s HTTP front doors: request -> event -> result.

The event is built from the request exactly as it came off the wire: the raw path and query
(still percent-encoded, so UTF-8 arrives as UTF-8 and a leading ``//`` stays), the client's
headers and body. This server is the front door, so it adds the headers that front door adds
about the connection (plain HTTP on this port) and nothing the client did not send. The
result is read as the front door reads it and written with the framing uvicorn would use for
the app itself: no ``Content-Length`` on a 204, 304 or 1xx, and the app's own on a ``HEAD``
answer.

A streaming Adapter (``invoke_mode="response_stream"``) behind ``function-url`` streams: the
body goes out in chunks as the app sends them, through :func:`stream_invocation`, the code the
custom runtime uses to stream to Lambda.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from ..adapter import event_loop
from ..runtime.streaming import DELIMITER, stream_invocation
from ..testing import FakeContext
from ._http import (
    HttpResponse,
    ServerStoppingError,
    answer,
    bad_gateway,
    http_api_result,
    service_unavailable,
)
from ._sources import CliSource, without_headers

if TYPE_CHECKING:
    from .._types import Receive, Scope, Send
    from ._app import Handler
    from .serve import LocalServer

logger = logging.getLogger("lambda_asgi.cli")

# Framing and hop-by-hop headers belong to this server's connection, not to the event; the
# forwarding headers are the front door's own, set from what this server is.
_NOT_FORWARDED = frozenset(
    {
        "cloudfront-forwarded-proto",
        "connection",
        "content-length",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-port",
        "x-forwarded-proto",
    }
)
_FRAMING = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding"})
# The builders' picture of a curl request: these reach the event only if the client sent them.
_IMPERSONATED = ("accept", "user-agent")
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")
_EDGE = ("edge", "edge-viewer")


class HttpBridge:
    """Answers every HTTP request through the server's handler as ``source`` would."""

    def __init__(self, server: LocalServer, source: CliSource) -> None:
        self.server = server
        self.source = source
        invoke_mode = getattr(server.handler, "invoke_mode", None)
        self.streams = source.name == "function-url" and invoke_mode == "response_stream"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a WebSocket upgrade: HTTP front doors refuse it
            await send({"type": "websocket.close", "code": 1000})
            return
        started = time.perf_counter()
        body = await _read_body(receive)
        if body is None:  # a front door does not invoke for a request it never got whole
            logger.info("%s left before sending the whole request body", _client(scope))
            return
        event = self.event_for(scope, body)
        head = scope["method"] == "HEAD"
        if self.streams:
            status, sent = await _Stream(send, head).run(self.server, event)
        else:
            response = await self._respond(event)
            status, sent = response.status, await write(send, response, head=head)
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        logger.info(
            '%s "%s %s" %d %d %.1fms',
            _client(scope),
            scope["method"],
            target,
            status,
            sent,
            (time.perf_counter() - started) * 1000,
        )

    def event_for(self, scope: Scope, body: bytes) -> dict[str, Any]:
        """The front door's event for this request."""
        headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
        forwarded = [(name, value) for name, value in headers if name not in _NOT_FORWARDED]
        if self.source.name in _EDGE:  # what the Adapter reads the scheme from on CloudFront
            forwarded.append(("cloudfront-forwarded-proto", "http"))
        else:
            forwarded += [("x-forwarded-proto", "http"), ("x-forwarded-port", str(self.port))]
        content_type = next((v for n, v in headers if n == "content-type"), "")
        request: dict[str, Any] = {
            "method": scope["method"],
            # The server admits only printable ASCII in the target (h11, as RFC 9112 says).
            "path": scope["raw_path"].decode("ascii"),
            "query": scope["query_string"].decode("ascii") or None,
            "headers": forwarded,
            "body": _event_body(body, content_type),
            "source_ip": _client(scope),
        }
        host = next((v for n, v in headers if n == "host"), None)
        if self.source.host_keyword and host:
            request[self.source.host_keyword] = host
        event = self.source.build(**request)
        sent = {name for name, _ in headers}
        return without_headers(event, {name for name in _IMPERSONATED if name not in sent})

    @property
    def port(self) -> int:
        return self.server.port

    async def _respond(self, event: dict[str, Any]) -> HttpResponse:
        """Invoke the handler and turn its result into the front door's response; a failed
        invocation is a 502, as API Gateway answers."""
        try:
            result = await self.server.invoke(event)
        except ServerStoppingError:
            return service_unavailable()
        except Exception as error:
            logger.error(
                "the handler raised %s: %s; answering 502",
                type(error).__name__,
                error,
                exc_info=error,
            )
            return bad_gateway()
        try:  # the front door receives the result as JSON, as Lambda serializes it
            result = json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            logger.error("Lambda cannot serialize the handler's result (%s); answering 502", exc)
            return bad_gateway()
        return answer(self.source.read_result, result, event)


async def _read_body(receive: Receive) -> bytes | None:
    """The request body; None if the client went away before sending all of it."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "127.0.0.1"


def _event_body(body: bytes, content_type: str) -> str | bytes | None:
    """Text bodies travel as text, anything else base64-encoded, as the front doors do."""
    if not body:
        return None
    if content_type.split(";")[0].strip().lower().startswith(_TEXT_TYPES):
        try:
            return body.decode()
        except UnicodeDecodeError:
            pass
    return body


def _bodiless(status: int) -> bool:
    return status < 200 or status in (204, 304)


def _head_fields(headers: list[tuple[str, str]], *, keep_length: bool) -> list[tuple[bytes, bytes]]:
    """Response headers without this connection's framing (UTF-8 values, as front doors
    send them); the app's ``Content-Length`` only if ``keep_length``."""
    return [
        (name.encode("latin-1"), value.encode())
        for name, value in headers
        if name.lower() not in _FRAMING or (keep_length and name.lower() == "content-length")
    ]


async def write(send: Send, response: HttpResponse, *, head: bool) -> int:
    """Send ``response``; return the number of body bytes sent."""
    # A HEAD answer or a bodiless status keeps the length the app gave (it describes the
    # resource), anything else gets the length of the body actually sent.
    bodiless = head or _bodiless(response.status)
    headers = _head_fields(response.headers, keep_length=bodiless)
    if not bodiless:
        headers.append((b"Content-Length", str(len(response.body)).encode()))
    body = b"" if bodiless else response.body
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return len(body)


class _Stream:
    """A streamed invocation: the handler's thread writes the runtime's streaming body (the
    prelude, 8 NUL bytes, then the body chunks); each write is sent to the client here, on
    uvicorn's loop, before the handler's write returns (backpressure, as Lambda's)."""

    def __init__(self, send: Send, head: bool) -> None:
        self.send = send
        self.head = head
        self.status = 0
        self.sent = 0
        self.loop = asyncio.get_running_loop()
        self._prelude = b""

    async def run(self, server: LocalServer, event: dict[str, Any]) -> tuple[int, int]:
        try:
            await server.invoke(event, self._invoke)
        except Exception as error:
            if self.status:  # the head went out: all that is left is to end the body
                logger.error("the streamed response failed: %s: %s", type(error).__name__, error)
                await self.send({"type": "http.response.body", "body": b""})
            elif isinstance(error, ServerStoppingError):
                self.status = 503
                self.sent = await write(self.send, service_unavailable(), head=self.head)
            else:
                logger.error(
                    "the handler raised %s: %s; answering 502",
                    type(error).__name__,
                    error,
                    exc_info=error,
                )
                response = bad_gateway()
                self.sent = await write(self.send, response, head=self.head)
                self.status = response.status
        return self.status, self.sent

    def _invoke(self, handler: Handler, event: Any) -> None:
        """Runs on the handler's thread, on the Adapter's loop."""
        loop = event_loop()
        loop.run_until_complete(stream_invocation(handler, self, event, FakeContext()))  # type: ignore[arg-type]

    async def stream(self, path: str, headers: Any) -> _Stream:
        """``Connection.stream`` of the Runtime API client: this object is the body too."""
        return self

    async def write(self, data: bytes) -> None:
        future = asyncio.run_coroutine_threadsafe(self._deliver(data), self.loop)
        await asyncio.wrap_future(future)

    async def finish(self, trailers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
        future = asyncio.run_coroutine_threadsafe(self._end(trailers), self.loop)
        await asyncio.wrap_future(future)
        return 202, {}, b""

    async def _deliver(self, data: bytes) -> None:
        if not self.status:
            self._prelude += data
            prelude, found, data = self._prelude.partition(DELIMITER)
            if not found:
                return
            response = answer(http_api_result, json.loads(prelude), {})
            self.status = response.status
            headers = _head_fields(response.headers, keep_length=True)
            await self.send(
                {"type": "http.response.start", "status": response.status, "headers": headers}
            )
        if data:
            self.sent += len(data)
            await self.send({"type": "http.response.body", "body": data, "more_body": True})

    async def _end(self, trailers: dict[str, str] | None) -> None:
        if trailers:
            logger.error(
                "the app failed after its response started streaming (%s); the body ends here",
                trailers.get("Lambda-Runtime-Function-Error-Type"),
            )
        await self.send({"type": "http.response.body", "body": b""})
