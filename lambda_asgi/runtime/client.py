"""The HTTP/1.1 client for the Lambda Runtime and Extensions APIs, written by hand on asyncio
streams.

Why by hand: streamed responses must end with HTTP trailers (the error type and body of a
failure after the first byte), which ``http.client`` and ``urllib`` cannot send; ``h11`` or
``httpx`` could, but the core package has no dependencies, and the subset the Runtime API needs
(one local peer, keep-alive, Content-Length or chunked bodies) is about a hundred lines. Running
on the event loop also means a streamed body is written with ``drain()`` backpressure while the
app produces it, and many invocations can wait in ``next`` at once.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Mapping
from typing import Any

from ..exceptions import RuntimeAPIError

Reply = tuple[int, dict[str, str], bytes]
"""Status, headers (lowercased names) and body of an answer."""

_MAX_LINE = 64 * 1024


def error_document(
    exc: BaseException, error_type: str | None = None, message: str | None = None
) -> dict[str, Any]:
    """Lambda's error JSON for an exception (``/error``, ``/init/error``, error trailers)."""
    return {
        "errorMessage": str(exc) if message is None else message,
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


class Connection:
    """One keep-alive connection to the Runtime API at ``address`` (``"host:port"``).

    Requests on one connection go one at a time; a runtime serving several invocations at once
    opens one connection per invocation slot.
    """

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise RuntimeAPIError(f"AWS_LAMBDA_RUNTIME_API must be host:port, got {address!r}")
        self.address = address
        self._host = host
        self._port = int(port)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(
                self._host, self._port, limit=_MAX_LINE
            )
        return self._reader, self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    def _head(self, method: str, path: str, headers: Mapping[str, str]) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.address}"]
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        """Send one request with a Content-Length body and read the whole answer.

        A connection the peer closed while idle (the environment was frozen, or restored from
        a snapshot) is reopened once.
        """
        fields = dict(headers or {})
        if body or method == "POST":
            fields["Content-Length"] = str(len(body))
        head = self._head(method, path, fields)
        for attempt in (1, 2):
            try:
                reader, writer = await self._open()
                writer.writelines((head, body) if body else (head,))
                await writer.drain()
                return await self._read_reply(reader)
            except (OSError, asyncio.IncompleteReadError) as exc:
                self.close()
                if attempt == 2:
                    raise RuntimeAPIError(f"{method} {path} failed: {exc!r}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def stream(self, path: str, headers: Mapping[str, str]) -> ChunkedBody:
        """Start a POST whose body follows in chunks, with room for trailers at the end."""
        reader, writer = await self._open()
        fields = {**headers, "Transfer-Encoding": "chunked"}
        writer.write(self._head("POST", path, fields))
        return ChunkedBody(self, reader, writer)

    async def _read_reply(self, reader: asyncio.StreamReader) -> Reply:
        # The whole head in one read: one await instead of one per header line.
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n"))[:-4].split(b"\r\n")
        try:
            status = int(status_line.split(b" ", 2)[1])
        except (IndexError, ValueError):
            raise RuntimeAPIError(f"bad status line {status_line[:60]!r}") from None
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await reader.readexactly(size + 2))
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers: none we need
                pass
            body = b"".join(part[:-2] for part in parts)
        else:
            body = await reader.readexactly(int(headers.get("content-length", 0)))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body


class ChunkedBody:
    """The body of a streaming POST: ``write`` chunks, then ``finish`` with optional trailers."""

    def __init__(
        self, connection: Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._connection = connection
        self._reader = reader
        self._writer = writer
        self.sent = 0

    async def write(self, data: bytes) -> None:
        """Send one chunk; waits while the peer is not reading (backpressure)."""
        if not data:
            return
        self._writer.writelines((b"%x\r\n" % len(data), data, b"\r\n"))
        self.sent += len(data)
        await self._writer.drain()

    async def finish(self, trailers: Mapping[str, str] | None = None) -> Reply:
        """End the body (with ``trailers``) and read the answer."""
        tail = "".join(f"{name}: {value}\r\n" for name, value in (trailers or {}).items())
        self._writer.write(b"0\r\n" + tail.encode("latin-1") + b"\r\n")
        try:
            await self._writer.drain()
            return await self._connection._read_reply(self._reader)
        except (OSError, asyncio.IncompleteReadError) as exc:
            self._connection.close()
            raise RuntimeAPIError(f"the streamed response broke off: {exc!r}") from exc
