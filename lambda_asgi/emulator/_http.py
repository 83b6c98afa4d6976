"""The HTTP side of the Runtime API emulator: routing, reading buffered and chunked bodies
(with trailers), and the answers Lambda gives.

It knows the emulator only through :class:`Backend`, the operations a request can ask of the
state, and imports nothing from the rest of the package: the core imports this module, never
the other way round.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import logging
import socket
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Protocol

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


class Delivery(NamedTuple):
    """An invocation as ``invocation/next`` hands it out: the event and the headers."""

    payload: bytes
    headers: dict[str, str]


class Refusal(NamedTuple):
    """A request the emulator answers with an error document (a 4xx, as Lambda would)."""

    status: int
    message: str
    error_type: str


class Backend(Protocol):
    """What the HTTP side asks of the emulator's state; every method is thread-safe."""

    max_response_bytes: int
    max_stream_bytes: int

    def record_call(self, call: str) -> None:
        """Note a request (``"GET /runtime/invocation/next"``) as it arrives."""

    def next_invocation(self) -> Delivery | None:
        """Block until an invocation can be handed out; ``None`` once the emulator closed."""

    def is_delivered(self, request_id: str) -> bool:
        """Whether ``request_id`` was handed out and still waits for its answer."""

    def complete(self, request_id: str, status: str, **fields: Any) -> None:
        """Record an invocation's outcome (``"success"`` or ``"error"``) and its fields."""

    def stream_started(self, request_id: str, content_type: str | None) -> None:
        """A streamed response began."""

    def stream_chunk(self, request_id: str, data: bytes) -> None:
        """One chunk of a streamed response arrived (within ``max_stream_bytes``)."""

    def stream_ended(
        self, request_id: str, size: int, error_type: str | None, error_body: str | None
    ) -> dict[str, Any] | None:
        """A streamed response ended after ``size`` bytes, with these error trailers; the
        error document to answer with (413) when it went over the limit, else ``None``."""

    def init_failed(self, document: dict[str, Any]) -> None:
        """The runtime reported a failed init."""

    def restore_failed(self, document: dict[str, Any]) -> None:
        """The runtime reported a failed SnapStart restore."""

    def register_extension(self, name: str, events: list[str]) -> str | Refusal:
        """Register an extension: its identifier, or why Lambda would refuse it."""

    def extension_metadata(self) -> dict[str, Any]:
        """The body of a successful ``register`` answer (function name, version, handler)."""

    def next_extension_event(self, identifier: str) -> dict[str, Any] | None:
        """Block until the extension's next event; ``None`` for an unknown identifier,
        ``{}`` once the emulator closed."""


class Server(ThreadingHTTPServer):
    """One thread per connection, so any number of ``next`` calls can wait at once."""

    daemon_threads = True
    # Every runtime worker of a Lambda Managed Instances environment (up to
    # AWS_LAMBDA_MAX_CONCURRENCY, 64 and more) connects at once: socketserver's backlog of 5
    # would leave the rest unanswered until the kernel retries their SYN, and clients with a
    # short connect timeout (awslambdaric's) give up first. The kernel caps it at somaxconn.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        self.backend = backend
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("emulator: connection from %s failed", client_address, exc_info=True)


def error_document(message: str, error_type: str) -> dict[str, Any]:
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
    return error_document(encoded or "", error_type or "Runtime.Unknown")


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
        backend = self.server.backend
        path = self.path.split("?", 1)[0]
        call = f"{method} /{path.split('/', 2)[2]}" if path.count("/") > 1 else f"{method} {path}"
        backend.record_call(call)
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
            backend.init_failed(self._error_document())
            self._reply(202, _ACCEPTED)
        elif route == ("GET", _RUNTIME + "restore/next"):
            self._reply(200, b"")
        elif route == ("POST", _RUNTIME + "restore/error"):
            backend.restore_failed(self._error_document())
            self._reply(202, _ACCEPTED)
        elif route == ("POST", _EXTENSION + "register"):
            self._register()
        elif route == ("GET", _EXTENSION + "event/next"):
            self._extension_next()
        else:
            self._unknown()

    def _unknown(self) -> None:
        self._drain()
        self._reply(404, error_document(f"unknown path {self.command} {self.path}", "InvalidPath"))

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
        return error_document(body.decode("utf-8", "replace"), error_type or "Runtime.Unknown")

    def _next(self) -> None:
        delivery = self.server.backend.next_invocation()
        if delivery is None:  # the emulator closed
            self.close_connection = True
            return
        self._reply(200, delivery.payload, delivery.headers)

    def _delivered(self, request_id: str) -> bool:
        if self.server.backend.is_delivered(request_id):
            return True
        self._drain()
        self._reply(400, error_document(f"invalid request id {request_id}", "InvalidRequestID"))
        return False

    def _error(self, request_id: str) -> None:
        if not self._delivered(request_id):
            return
        document = self._error_document()
        self.server.backend.complete(
            request_id,
            "error",
            error=document,
            error_type=self.headers.get("Lambda-Runtime-Function-Error-Type"),
        )
        self._reply(202, _ACCEPTED)

    def _response(self, request_id: str) -> None:
        if not self._delivered(request_id):
            return
        backend = self.server.backend
        mode = self.headers.get("Lambda-Runtime-Function-Response-Mode", "").lower()
        if mode == "streaming" and self._chunked():
            self._stream(request_id)
            return
        limit = backend.max_response_bytes
        try:
            body, size = self._read(limit)
        except (BodyError, OSError) as exc:
            self._broken(request_id, exc)
            return
        if size > limit:
            backend.complete(
                request_id,
                "error",
                error=error_document(
                    f"Response payload size exceeded maximum allowed payload size ({limit} bytes).",
                    "Function.ResponseSizeTooLarge",
                ),
            )
            answer = error_document(
                f"Exceeded maximum allowed payload size ({limit} bytes).", "RequestEntityTooLarge"
            )
            self._reply(413, answer)
            return
        content_type = self.headers.get("Content-Type")
        backend.complete(request_id, "success", payload=body, content_type=content_type)
        self._reply(202, _ACCEPTED)

    def _broken(self, request_id: str, exc: Exception) -> None:
        document = error_document(f"the runtime's response broke off: {exc}", "Runtime.ExitError")
        self.server.backend.complete(request_id, "error", error=document)
        self.close_connection = True

    def _stream(self, request_id: str) -> None:
        backend = self.server.backend
        backend.stream_started(request_id, self.headers.get("Content-Type"))
        size = 0
        try:
            for data in iter_chunked(self.rfile):
                size += len(data)
                if size <= backend.max_stream_bytes:
                    backend.stream_chunk(request_id, data)
            trailers = http.client.parse_headers(self.rfile)
        except (BodyError, OSError) as exc:
            self._broken(request_id, exc)
            return
        refusal = backend.stream_ended(
            request_id,
            size,
            trailers.get("Lambda-Runtime-Function-Error-Type"),
            trailers.get("Lambda-Runtime-Function-Error-Body"),
        )
        if refusal is None:
            self._reply(202, _ACCEPTED)
        else:
            self._reply(413, refusal)

    def _register(self) -> None:
        name = self.headers.get("Lambda-Extension-Name")
        try:
            body, _ = self._read()
            events = json.loads(body or b"{}").get("events", [])
        except (ValueError, AttributeError):
            events = None
        if not name:
            self._reply(
                400, error_document("missing Lambda-Extension-Name", "InvalidExtensionName")
            )
            return
        if not isinstance(events, list) or not set(events) <= {"INVOKE", "SHUTDOWN"}:
            self._reply(400, error_document(f"bad events {events!r}", "InvalidEventType"))
            return
        backend = self.server.backend
        outcome = backend.register_extension(name, events)
        if isinstance(outcome, Refusal):
            self._reply(outcome.status, error_document(outcome.message, outcome.error_type))
            return
        headers = {"Lambda-Extension-Identifier": outcome}
        self._reply(200, backend.extension_metadata(), headers)

    def _extension_next(self) -> None:
        identifier = self.headers.get("Lambda-Extension-Identifier", "")
        event = self.server.backend.next_extension_event(identifier)
        if event is None:
            message = f"unknown extension identifier {identifier!r}"
            self._reply(403, error_document(message, "UnknownExtensionIdentifier"))
        elif not event:  # the emulator closed
            self.close_connection = True
        else:
            self._reply(200, event, {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())})
