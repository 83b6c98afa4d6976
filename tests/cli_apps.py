"""Apps and handlers for the ``lambda-asgi`` tests, named on the command line as
``tests.cli_apps:<name>``."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from base64 import b64encode
from typing import Any

from lambda_asgi import Adapter
from lambda_asgi._types import Receive, Scope, Send

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"
"""Bytes that are not UTF-8, served at ``/png``."""


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with what it received as JSON (body base64), two ``X-Echo`` headers and two
    cookies; ``/png`` answers :data:`PNG`, ``/missing`` a 404. It supports lifespan."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    print("echo: a print from the app")
    logging.getLogger("tests.cli_apps").warning("echo: %s %s", scope["method"], scope["path"])
    if scope["path"] == "/png":
        await _answer(send, 200, [(b"content-type", b"image/png")], PNG)
        return
    if scope["path"] == "/missing":
        await _answer(send, 404, [(b"content-type", b"text/plain")], b"no such thing")
        return
    seen = {
        "method": scope["method"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode() if scope.get("raw_path") else None,
        "root_path": scope["root_path"],
        "query_string": scope["query_string"].decode(),
        "headers": [[name.decode(), value.decode()] for name, value in scope["headers"]],
        "client": scope["client"][0] if scope.get("client") else None,
        "body": b64encode(body).decode(),
    }
    headers = [
        (b"content-type", b"application/json"),
        (b"x-echo", b"first"),
        (b"x-echo", b"second"),
        (b"set-cookie", b"a=1; Path=/"),
        (b"set-cookie", b"b=2; Path=/"),
    ]
    await _answer(send, 200, headers, json.dumps(seen).encode())


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


adapter = Adapter(echo)
"""An Adapter instance: used as it is."""


class EchoApp:
    """An ASGI app that is an object with an async ``__call__``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await echo(scope, receive, send)


echo_object = EchoApp()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A plain Lambda handler function: it says which request it saw."""
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": method}


def any_handler(*args: Any) -> dict[str, Any]:
    """Takes any number of arguments and is not async: a Lambda handler."""
    return {"statusCode": 204, "body": ""}


class Unreadable:
    """A callable whose signature inspect cannot read, as with some C extensions: it is
    trusted to be a Lambda handler."""

    __signature__ = "unreadable"

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": "trusted"}


unreadable = Unreadable()


def raising(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise ValueError("the handler broke")


def unserializable(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": {1, 2}}


def rest_with_cookies(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A result REST refuses: ``cookies`` is not one of its keys."""
    return {"statusCode": 200, "cookies": ["a=1"], "body": "hi"}


def no_status(event: dict[str, Any], context: Any) -> list[int]:
    """HTTP API 2.0 takes a result without ``statusCode`` as a JSON body."""
    return [1, 2, 3]


def content_length_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sets its own Content-Length, and answers HEAD without a body, as apps do."""
    body = "" if event["requestContext"]["http"]["method"] == "HEAD" else "hi"
    return {"statusCode": 200, "headers": {"Content-Length": "2"}, "body": body}


def hop_by_hop_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sets headers about its connection, which the local server replaces, and a UTF-8 one."""
    headers = {
        "Connection": "close",
        "Transfer-Encoding": "chunked",
        "Keep-Alive": "timeout=5",
        "X-Name": "café",
    }
    return {"statusCode": 200, "headers": headers, "body": "hi"}


_running = 0


def thread_reporter(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reports its thread and how many invocations were running when it started."""
    global _running
    _running += 1
    try:
        report = {"thread": threading.get_ident(), "concurrent": _running}
        time.sleep(0.05)
        return {"statusCode": 200, "body": json.dumps(report)}
    finally:
        _running -= 1


def one_argument(event: dict[str, Any]) -> None:
    """Neither a Lambda handler nor an ASGI app."""


async def failing_startup(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "lifespan.startup.failed", "message": "no database"})


NOT_CALLABLE = 42


async def urls(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers 204 on ``/empty``; anything else gets the URL the app would build for the
    request (scheme, host, path) as text."""
    if scope["path"] == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    host = dict(scope["headers"]).get(b"host", b"").decode()
    url = f"{scope['scheme']}://{host}{scope['path']}"
    await _answer(send, 200, [(b"content-type", b"text/plain")], url.encode())


async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
    """Streams three chunks; each waits until the test lets it go (``RELEASE``), so a test
    sees whether each chunk reaches the client before the next one is made."""
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for number in range(3):
        await asyncio.get_running_loop().run_in_executor(None, RELEASE.acquire)
        chunk = f"chunk {number}\n".encode()
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


RELEASE = threading.Semaphore(0)
streaming_adapter = Adapter(streaming, invoke_mode="response_stream", lifespan="off")
"""A streaming Adapter, as behind a Function URL with InvokeMode RESPONSE_STREAM."""
urls_adapter = Adapter(urls, lifespan="off")


async def failing_stream(scope: Scope, receive: Receive, send: Send) -> None:
    """Starts a streamed response, sends one chunk, then fails."""
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise RuntimeError("the stream broke")


failing_stream_adapter = Adapter(failing_stream, invoke_mode="response_stream", lifespan="off")


def interrupted(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """As if Ctrl-C arrived while the handler ran."""
    raise KeyboardInterrupt
