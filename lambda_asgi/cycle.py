"""One HTTP request cycle against the ASGI app: the ``receive``/``send`` pair, the checks that
the app speaks the protocol, and the 500 answer when it does not.

``receive()`` hands over the whole body at once (Lambda delivers it buffered). Afterwards it
answers ``http.disconnect`` as soon as the response is complete. Before that, a caller that
listens for a disconnect while another task produces the response (Django, Starlette's
streaming responses under ASGI 2.3) waits for the response to finish, but a caller that
nothing else could answer for (no other task of this request is still running) gets
``http.disconnect`` at once instead of hanging until the Lambda timeout.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ._model import Response
from ._types import ASGIApp, Headers, HTTPScope, Message
from .exceptions import ProtocolError

logger = logging.getLogger("lambda_asgi")

_BODY_KINDS = (bytes, bytearray, memoryview)


def error_response(status: int, text: str) -> Response:
    body = text.encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    return Response(status, headers, body)


def _checked_headers(headers: Any) -> Headers:
    if headers is None:
        return []
    try:
        pairs = [(name, value) for name, value in headers]
    except (TypeError, ValueError):
        raise ProtocolError(
            f"'headers' must be an iterable of [name, value] pairs, got {headers!r:.80}"
        ) from None
    for name, value in pairs:
        if not isinstance(name, bytes) or not isinstance(value, bytes):
            raise ProtocolError(
                f"header names and values must be bytes, got {name!r:.40}: {value!r:.40}"
            )
    return pairs


async def run_http(app: ASGIApp, scope: HTTPScope, body: bytes, request_id: str) -> Response:
    """Run the app for one request and return the complete response it sent, or a 500."""
    loop = asyncio.get_running_loop()
    app_task = asyncio.current_task(loop)
    # Tasks that existed before this request (lifespan, app background loops) can never
    # answer it; everything the app spawns from here on might.
    earlier = asyncio.all_tasks(loop)
    earlier.discard(app_task)
    waiting: set[asyncio.Task[Any]] = set()
    completed: asyncio.Future[None] | None = None

    request_delivered = False
    started = False
    complete = False
    violation: str | None = None
    status = 0
    response_headers: Headers = []
    chunks: list[bytes] = []

    async def wait_for_response() -> None:
        nonlocal completed
        current = asyncio.current_task(loop)
        assert current is not None
        waiting.add(current)
        try:
            while not complete:
                others = [
                    task
                    for task in asyncio.all_tasks(loop)
                    if task not in earlier and task not in waiting and not task.done()
                ]
                if not others:
                    return
                if completed is None:
                    completed = loop.create_future()
                await asyncio.wait([completed, *others], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.discard(current)

    async def receive() -> Message:
        nonlocal request_delivered
        if not request_delivered:
            request_delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        if not complete:
            await wait_for_response()
        return {"type": "http.disconnect"}

    def fail(message: str) -> ProtocolError:
        nonlocal violation
        violation = message
        logger.error(
            "ASGI protocol violation: %s (%s %s, aws_request_id=%s)",
            message,
            scope["method"],
            scope["path"],
            request_id,
        )
        return ProtocolError(message)

    async def send(message: Message) -> None:
        nonlocal started, complete, status, response_headers
        kind = message.get("type") if isinstance(message, dict) else message
        if complete:
            raise fail(f"{kind!r} sent after the response was complete")
        if not started:
            if kind != "http.response.start":
                raise fail(f"expected 'http.response.start' first, got {kind!r}")
            value = message.get("status")
            if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
                raise fail(f"'status' must be an integer from 100 to 599, got {value!r}")
            response_headers = _checked_headers(message.get("headers"))
            status = int(value)
            started = True
            return
        if kind != "http.response.body":
            raise fail(f"expected 'http.response.body' after the start, got {kind!r}")
        chunk = message.get("body", b"")
        if not isinstance(chunk, _BODY_KINDS):
            raise fail(f"'body' must be bytes, got {type(chunk).__name__}")
        if chunk:
            chunks.append(bytes(chunk))
        if not message.get("more_body", False):
            complete = True
            if completed is not None and not completed.done():
                completed.set_result(None)

    where = f"{scope['method']} {scope['path']}, aws_request_id={request_id}"
    try:
        await app(scope, receive, send)  # type: ignore[arg-type]
    except Exception as exc:
        logged = isinstance(exc, ProtocolError) and str(exc) == violation
        if complete:
            if not logged:
                logger.exception(
                    "ASGI app raised after its response was complete; the response is "
                    "returned as sent (%s)",
                    where,
                )
        else:
            if not logged:
                moment = "after the response started" if started else "before responding"
                logger.exception("ASGI app raised %s; answering 500 (%s)", moment, where)
            return error_response(500, "Internal Server Error")
    else:
        if not started:
            logger.error(
                "ASGI app returned without sending 'http.response.start'; answering 500 (%s)",
                where,
            )
            return error_response(500, "Internal Server Error")
        if not complete:
            logger.error(
                "ASGI app returned before finishing its body (no 'http.response.body' with "
                "more_body=False); answering 500 (%s)",
                where,
            )
            return error_response(500, "Internal Server Error")
    return Response(status, response_headers, b"".join(chunks))
