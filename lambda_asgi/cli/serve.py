"""``lambda-asgi serve``: a local HTTP server that plays one AWS front door.

Each HTTP request becomes the event the chosen front door would send (real method, path as
sent on the wire, raw query, headers, cookies and body), the handler runs, and its result
goes back to the client the way that front door would return it. Connections are handled on
threads, but invocations run one at a time on the thread that called :meth:`LocalServer.serve`,
like one Lambda execution environment, and so always on the same thread as the Adapter's loop.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .. import __version__
from ..testing import FakeContext
from ._app import Handler
from ._http import HttpResponse, answer, bad_gateway
from ._sources import CliSource

logger = logging.getLogger("lambda_asgi.cli")

# Framing and hop-by-hop headers belong to this server's connection, not to the event; the
# X-Forwarded-* pair is the front door's own, set from what this server is.
_NOT_FORWARDED = frozenset(
    {
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
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")


class _Invocation:
    """One event waiting for the invoking thread, and then its outcome."""

    __slots__ = ("done", "error", "event", "result")

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.done = threading.Event()
        self.result: Any = None
        self.error: Exception | None = None


class LocalServer:
    """An HTTP/1.1 server on ``host:port`` (or an already listening ``sock``) that answers
    every request through ``handler`` as ``source`` would."""

    def __init__(
        self,
        handler: Handler,
        source: CliSource,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        sock: socket.socket | None = None,
    ) -> None:
        self.handler = handler
        self.source = source
        self._pending: queue.SimpleQueue[_Invocation] = queue.SimpleQueue()
        self._httpd = _HTTPServer((host, port), _RequestHandler, bind_and_activate=sock is None)
        if sock is not None:
            self._httpd.socket.close()
            self._httpd.socket = sock
            self._httpd.server_address = sock.getsockname()
        self._httpd.local = self

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host, port = self._httpd.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def serve(self, stop: threading.Event) -> None:
        """Accept connections on a thread and run invocations here until ``stop`` is set."""
        listener = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        listener.start()
        try:
            while not stop.is_set():
                try:
                    invocation = self._pending.get(timeout=0.05)
                except queue.Empty:
                    continue
                try:
                    invocation.result = self.handler(invocation.event, FakeContext())
                except Exception as exc:
                    invocation.error = exc
                invocation.done.set()
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
            listener.join()

    def respond(self, event: dict[str, Any]) -> HttpResponse:
        """Invoke the handler with ``event`` (on the serving thread) and turn its result into
        the front door's response; a failed invocation is a 502, as API Gateway answers."""
        invocation = _Invocation(event)
        self._pending.put(invocation)
        invocation.done.wait()
        if invocation.error is not None:
            error = invocation.error
            logger.error(
                "the handler raised %s: %s; answering 502",
                type(error).__name__,
                error,
                exc_info=error,
            )
            return bad_gateway()
        try:  # the front door receives the result as JSON, as Lambda serializes it
            result = json.loads(json.dumps(invocation.result))
        except (TypeError, ValueError) as exc:
            logger.error("Lambda cannot serialize the handler's result (%s); answering 502", exc)
            return bad_gateway()
        return answer(self.source.read_result, result, event)

    def event_for(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, client: str
    ) -> dict[str, Any]:
        """The event the front door sends for this request."""
        path, _, query = target.partition("?")
        forwarded = [(name, value) for name, value in headers if name.lower() not in _NOT_FORWARDED]
        forwarded += [("X-Forwarded-Proto", "http"), ("X-Forwarded-Port", str(self.port))]
        if self.source.name.startswith("lattice"):  # Lattice's own names for the two
            forwarded += [
                ("X-Forwarded-For-Proto", "http"),
                ("X-Forwarded-For-Port", str(self.port)),
            ]
        content_type = next((v for n, v in headers if n.lower() == "content-type"), "")
        request: dict[str, Any] = {
            "method": method,
            "path": path,
            "query": query or None,
            "headers": forwarded,
            "body": _event_body(body, content_type),
            "source_ip": client,
        }
        host = next((v for n, v in headers if n.lower() == "host"), None)
        if self.source.host_keyword and host:
            request[self.source.host_keyword] = host
        return self.source.build(**request)


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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # an idle keep-alive connection must not hold up a stop
    local: LocalServer


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def version_string(self) -> str:
        return f"lambda-asgi/{__version__}"

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD>: every method goes to the handler, as on AWS.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _handle(self) -> None:
        started = time.perf_counter()
        try:
            body = self._read_body()
        except ValueError as exc:
            self.send_error(400, f"Bad request body: {exc}")
            return
        local = self.server.local
        event = local.event_for(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        response = local.respond(event)
        sent = self._write(response)
        logger.info(
            '%s "%s %s" %d %d %.1fms',
            self.client_address[0],
            self.command,
            self.path,
            response.status,
            sent,
            (time.perf_counter() - started) * 1000,
        )

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers, which no front door forwards
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length)

    def _write(self, response: HttpResponse) -> int:
        """Send the response; return the number of body bytes sent."""
        self.send_response(response.status, response.reason or None)
        head = self.command == "HEAD"
        length: str | None = None if head else str(len(response.body))
        for name, value in response.headers:
            lower = name.lower()
            if lower == "content-length":
                if head:  # it describes the GET body, which a HEAD answer leaves out
                    length = value
                continue
            if lower in ("connection", "transfer-encoding", "keep-alive"):
                continue
            # http.server encodes header lines as Latin-1; the front doors send UTF-8.
            self.send_header(name, value.encode().decode("latin-1"))
        if length is not None:
            self.send_header("Content-Length", length)
        self.end_headers()
        if head:
            return 0
        self.wfile.write(response.body)
        return len(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _handle writes one access-log line per request itself

    def log_error(self, format: str, *args: Any) -> None:
        logger.warning("%s: %s", self.client_address[0], format % args)
