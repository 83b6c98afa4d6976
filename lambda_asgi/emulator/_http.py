"""The HTTP side of the Runtime API emulator: routing, reading buffered and chunked bodies
(with trailers), and the answers Lambda gives. State lives in :mod:`lambda_asgi.emulator`.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import logging
import socket
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .emulator import Invocation, RuntimeEmulator

logger = logging.getLogger("lambda_asgi.emulator")

STREAM_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
PRELUDE_DELIMITER = b"\0" * 8
PRELUDE_WINDOW = 16 * 1024  # the delimiter must come within the first 16 KB
_RUNTIME = "/2018-06-01/runtime/"
_EXTENSION = "/2020-01-01/extension/"
_ACCEPTED = {"status": "OK"}


class Chunk(NamedTuple):
    """One chunk of a streamed response: its arrival (``time.monotonic()``) and bytes."""

    at: float
    data: bytes


class BodyError(Exception):
    """A request body that breaks HTTP framing (internal to the emulator)."""


class Server(ThreadingHTTPServer):
    """One thread per connection, so any number of ``next`` calls can wait at once."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: RuntimeEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("emulator: connection from %s failed", client_address, exc_info=True)


def _document(message: str, error_type: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type}


def iter_chunked(rfile: Any) -> Iterator[bytes]:
    """The chunks of an HTTP/1.1 chunked body; the trailer section follows in ``rfile``."""
    while True:
        line = rfile.readline(1024)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BodyError(f"bad chunk size line {line[:40]!r}") from None
        if size == 0:
            return
        data = rfile.read(size)
        if len(data) < size or rfile.read(2) != b"\r\n":
            raise BodyError("a chunk ended early or without CRLF")
        yield data


def parse_error_body(encoded: str | None, error_type: str | None) -> dict[str, Any]:
    """The error document in a ``Lambda-Runtime-Function-Error-Body`` trailer (base64 JSON)."""
    try:
        document = json.loads(base64.b64decode(encoded or "", validate=True))
    except (ValueError, binascii.Error):
        document = None
    if isinstance(document, dict):
        return document
    return _document(encoded or "", error_type or "Runtime.Unknown")


def split_prelude(body: bytes) -> tuple[dict[str, Any] | None, bytes]:
    """The http-integration-response prelude and the body after the 8 NUL bytes."""
    index = body.find(PRELUDE_DELIMITER, 0, PRELUDE_WINDOW + len(PRELUDE_DELIMITER))
    if index < 0:
        return None, body
    try:
        prelude = json.loads(body[:index])
    except ValueError:
        return None, body
    if not isinstance(prelude, dict):
        return None, body
    return prelude, body[index + len(PRELUDE_DELIMITER) :]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # peer's delayed ACK add some 40 ms to every answer.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("emulator: " + format, *args)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        emulator = self.server.emulator
        path = self.path.split("?", 1)[0]
        call = f"{method} /{path.split('/', 2)[2]}" if path.count("/") > 1 else f"{method} {path}"
        with emulator._cond:
            emulator.calls.append(call)
            if emulator._call_waiters:
                emulator._cond.notify_all()
        route = (method, path)
        if route == ("GET", _RUNTIME + "invocation/next"):
            self._next()
        elif method == "POST" and path.startswith(_RUNTIME + "invocation/"):
            request_id, _, action = path[len(_RUNTIME + "invocation/") :].partition("/")
            if action == "response":
                self._response(request_id)
            elif action == "error":
                self._error(request_id)
            else:
                self._unknown()
        elif route == ("POST", _RUNTIME + "init/error"):
            document = self._error_document()
            with emulator._cond:
                emulator.init_error = document
                for invocation in list(emulator._active.values()):
                    emulator._finish(invocation, "error", error=document)
                emulator._cond.notify_all()
            self._reply(202, _ACCEPTED)
        elif route == ("GET", _RUNTIME + "restore/next"):
            self._reply(200, b"")
        elif route == ("POST", _RUNTIME + "restore/error"):
            document = self._error_document()
            with emulator._cond:
                emulator.restore_error = document
            self._reply(202, _ACCEPTED)
        elif route == ("POST", _EXTENSION + "register"):
            self._register()
        elif route == ("GET", _EXTENSION + "event/next"):
            self._extension_next()
        else:
            self._unknown()

    def _unknown(self) -> None:
        self._drain()
        self._reply(404, _document(f"unknown path {self.command} {self.path}", "InvalidPath"))

    def _reply(
        self, status: int, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chunked(self) -> bool:
        return self.headers.get("Transfer-Encoding", "").lower() == "chunked"

    def _read(self, limit: int | None = None) -> tuple[bytes, int]:
        """The whole request body (nothing kept beyond ``limit``) and its length."""
        if self._chunked():
            parts, size = [], 0
            for chunk in iter_chunked(self.rfile):
                size += len(chunk)
                if limit is None or size <= limit:
                    parts.append(chunk)
            http.client.parse_headers(self.rfile)
            return b"".join(parts), size
        length = int(self.headers.get("Content-Length") or 0)
        if limit is not None and length > limit:
            remaining = length
            while remaining > 0:
                data = self.rfile.read(min(remaining, 1 << 16))
                if not data:
                    break
                remaining -= len(data)
            return b"", length
        return self.rfile.read(length), length

    def _drain(self) -> None:
        if self.command == "POST":
            self._read(limit=0)

    def _error_document(self) -> dict[str, Any]:
        body, _ = self._read()
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict):
            return document
        return _document(body.decode("utf-8", "replace"), error_type or "Runtime.Unknown")

    def _next(self) -> None:
        invocation = self.server.emulator._next_invocation()
        if invocation is None:  # the emulator closed
            self.close_connection = True
            return
        self._reply(200, invocation.payload, invocation.headers)

    def _delivered(self, request_id: str) -> Invocation | None:
        emulator = self.server.emulator
        with emulator._cond:
            invocation = emulator._active.get(request_id)
        if invocation is None or invocation.outcome.delivered_at is None:
            self._drain()
            self._reply(400, _document(f"invalid request id {request_id}", "InvalidRequestID"))
            return None
        return invocation

    def _error(self, request_id: str) -> None:
        invocation = self._delivered(request_id)
        if invocation is None:
            return
        document = self._error_document()
        emulator = self.server.emulator
        with emulator._cond:
            emulator._finish(
                invocation,
                "error",
                error=document,
                error_type=self.headers.get("Lambda-Runtime-Function-Error-Type"),
            )
        self._reply(202, _ACCEPTED)

    def _response(self, request_id: str) -> None:
        invocation = self._delivered(request_id)
        if invocation is None:
            return
        emulator = self.server.emulator
        mode = self.headers.get("Lambda-Runtime-Function-Response-Mode", "").lower()
        if mode == "streaming" and self._chunked():
            self._stream(invocation)
            return
        try:
            body, size = self._read(emulator.max_response_bytes)
        except (BodyError, OSError) as exc:
            self._broken(invocation, exc)
            return
        with emulator._cond:
            if size > emulator.max_response_bytes:
                limit = emulator.max_response_bytes
                emulator._finish(
                    invocation,
                    "error",
                    error=_document(
                        "Response payload size exceeded maximum allowed payload size "
                        f"({limit} bytes).",
                        "Function.ResponseSizeTooLarge",
                    ),
                )
                answer = _document(
                    f"Exceeded maximum allowed payload size ({limit} bytes).",
                    "RequestEntityTooLarge",
                )
                status = 413
            else:
                emulator._finish(
                    invocation,
                    "success",
                    payload=body,
                    content_type=self.headers.get("Content-Type"),
                )
                answer, status = _ACCEPTED, 202
        self._reply(status, answer)

    def _broken(self, invocation: Invocation, exc: Exception) -> None:
        emulator = self.server.emulator
        with emulator._cond:
            emulator._finish(
                invocation,
                "error",
                error=_document(f"the runtime's response broke off: {exc}", "Runtime.ExitError"),
            )
        self.close_connection = True

    def _stream(self, invocation: Invocation) -> None:
        emulator = self.server.emulator
        outcome = invocation.outcome
        outcome.streamed = True
        outcome.content_type = self.headers.get("Content-Type")
        size = 0
        try:
            for data in iter_chunked(self.rfile):
                size += len(data)
                if size <= emulator.max_stream_bytes:
                    with emulator._cond:
                        outcome.chunks.append(Chunk(time.monotonic(), data))
                        emulator._cond.notify_all()
            trailers = http.client.parse_headers(self.rfile)
        except (BodyError, OSError) as exc:
            self._broken(invocation, exc)
            return
        body = b"".join(chunk.data for chunk in outcome.chunks)
        prelude = None
        if outcome.content_type == STREAM_CONTENT_TYPE:
            prelude, body = split_prelude(body)
        error_type = trailers.get("Lambda-Runtime-Function-Error-Type")
        fields: dict[str, Any] = {"payload": body, "prelude": prelude}
        status, answer = "success", _ACCEPTED
        if size > emulator.max_stream_bytes:
            status = "error"
            fields["error"] = _document(
                f"Response payload size exceeded maximum allowed payload size "
                f"({emulator.max_stream_bytes} bytes).",
                "Function.ResponseSizeTooLarge",
            )
            answer = fields["error"]
        elif error_type:
            status = "error"
            fields["error"] = parse_error_body(
                trailers.get("Lambda-Runtime-Function-Error-Body"), error_type
            )
            fields["error_type"] = error_type
        with emulator._cond:
            emulator._finish(invocation, status, **fields)
        self._reply(413 if answer is not _ACCEPTED else 202, answer)

    def _register(self) -> None:
        emulator = self.server.emulator
        name = self.headers.get("Lambda-Extension-Name")
        try:
            body, _ = self._read()
            events = json.loads(body or b"{}").get("events", [])
        except (ValueError, AttributeError):
            events = None
        if not name:
            self._reply(400, _document("missing Lambda-Extension-Name", "InvalidExtensionName"))
            return
        if not isinstance(events, list) or not set(events) <= {"INVOKE", "SHUTDOWN"}:
            self._reply(400, _document(f"bad events {events!r}", "InvalidEventType"))
            return
        with emulator._cond:
            if "GET /runtime/invocation/next" in emulator.calls:
                answer = _document("extensions register during init only", "InvalidState")
                self._reply(403, answer)
                return
            identifier = str(uuid.uuid4())
            emulator.extensions.append(
                {"name": name, "id": identifier, "events": events, "inbox": []}
            )
            emulator._work.notify_all()
        self._reply(
            200,
            {
                "functionName": emulator.function_name,
                "functionVersion": "$LATEST",
                "handler": emulator.handler,
            },
            {"Lambda-Extension-Identifier": identifier},
        )

    def _extension_next(self) -> None:
        identifier = self.headers.get("Lambda-Extension-Identifier", "")
        event = self.server.emulator._next_extension_event(identifier)
        if event is None:
            message = f"unknown extension identifier {identifier!r}"
            self._reply(403, _document(message, "UnknownExtensionIdentifier"))
        elif not event:  # the emulator closed
            self.close_connection = True
        else:
            self._reply(200, event, {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())})
