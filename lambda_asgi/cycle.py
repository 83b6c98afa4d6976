"""One HTTP request cycle against the ASGI app: the ``receive``/``send`` pair, the logging of an
app that does not speak the protocol (the checks themselves are :mod:`lambda_asgi._exchange`'s),
and the 500 answer when it does not.

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
from typing import TYPE_CHECKING, Any

from ._exchange import COMPLETE, STARTED, Exchange
from ._model import Response
from ._tasks import _earlier, forget, register
from ._types import ASGIApp, Message
from .exceptions import ProtocolError

if TYPE_CHECKING:
    from ._types import HTTPScope, Sink

logger = logging.getLogger("lambda_asgi")

# On every line about something the app did wrong: the JSON log formats make it a key, so a
# query can tell the app's faults from lambda_asgi's ("adapter") and bad requests ("request").
_APP_FAULT = {"fault": "app"}


def error_response(status: int, text: str) -> Response:
    body = text.encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    return Response(status, headers, body)


async def run_http(
    app: ASGIApp,
    scope: HTTPScope,
    body: bytes,
    request_id: str,
    sink: Sink | None = None,
    stop: asyncio.AbstractEventLoop | None = None,
    tasks: list[asyncio.Task[Any]] | None = None,
) -> Response:
    """Run the app for one request and return the complete response it sent, or a 500.

    With a ``sink``, body bytes go to it as the app sends them instead of into the returned
    Response (whose body is then empty); until the first bytes went out, failures still become
    a 500 Response. A failure after that raises: the app's exception, or ProtocolError for an
    app that returned without finishing its body. With ``stop``, that loop is stopped as the
    cycle ends, however it ends: the caller runs the cycle as a task of its own with
    ``run_forever()``, which then returns in the same loop iteration.

    ``tasks`` is the request's list of its tasks when the caller registered it (with
    :func:`lambda_asgi._tasks.register`) and forgets it when the task is done; else this
    coroutine does both.
    """
    if tasks is None:
        app_task = asyncio.current_task()
        assert app_task is not None, "run_http runs inside a task"
        tasks = []
        register(app_task, tasks)
    else:
        app_task = None  # the caller forgets the request's tasks
    # As few variables shared with receive() and send() as the cycle needs, and the rare
    # paths out of line: each one costs every request.
    exchange = Exchange(sink is None)
    delivered = False
    streaming = False
    violation: ProtocolError | None = None
    waiting: _Waiting | None = None  # made by the first receive() that has to wait

    async def receive() -> Message:
        nonlocal delivered, waiting
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        if exchange.phase != COMPLETE:
            if waiting is None:
                waiting = _Waiting(tasks)
            await waiting.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal streaming, violation
        try:
            chunk = exchange.accept(message)
        except ProtocolError as exc:
            violation = exc
            logger.error(
                "app error: ASGI protocol violation: %s (%s)",
                exc,
                _where(scope, request_id),
                extra=_APP_FAULT,
            )
            raise
        if chunk is not None and sink is not None:  # a body message for the sink
            if chunk:
                if not streaming:
                    streaming = True
                    await sink.start(exchange.status, exchange.headers)
                await sink.write(chunk)
            if not message.get("more_body", False):
                exchange.phase = COMPLETE
        if waiting is not None and exchange.phase == COMPLETE:
            waiting.complete()

    try:
        await app(scope, receive, send)  # type: ignore[arg-type]
    except Exception as exc:
        phase = exchange.phase
        if exc is not violation:  # else logged in send
            _log_failure(phase, streaming, scope, request_id)
        if phase != COMPLETE:
            if streaming:
                raise
            return error_response(500, "Internal Server Error")
    else:
        phase = exchange.phase
        if phase != COMPLETE:
            what = _unfinished(phase, streaming, scope, request_id)
            if streaming:
                raise ProtocolError(f"the ASGI app returned {what}")
            return error_response(500, "Internal Server Error")
    finally:
        if app_task is not None:
            forget(app_task, tasks)
        if stop is not None:
            stop.stop()
    return exchange.response()


class _Waiting:
    """The receive() calls that wait for the response to complete: woken when it does, or
    answered at once when no other task of the request is left that could complete it."""

    def __init__(self, tasks: list[asyncio.Task[Any]]) -> None:
        self._tasks = tasks  # the request's own task, then the ones it spawned
        self._loop = tasks[0].get_loop()
        self._earlier = _earlier.get(tasks[0])
        self._waiting: set[asyncio.Task[Any]] = set()  # the tasks waiting in receive()
        self._completed: asyncio.Future[None] = self._loop.create_future()

    def complete(self) -> None:
        """The response is complete (once): every waiting receive() gets its disconnect."""
        self._completed.set_result(None)

    async def wait(self) -> None:
        """Until the response is complete, or no other task of this request is left that
        could complete it: then a disconnect is the only honest answer."""
        loop = self._loop
        current = asyncio.current_task(loop)
        assert current is not None
        self._waiting.add(current)
        try:
            while not self._completed.done():
                if self._earlier is None:
                    candidates = self._tasks
                else:
                    candidates = [
                        task for task in asyncio.all_tasks(loop) if task not in self._earlier
                    ]
                    candidates.append(self._tasks[0])
                others = [
                    task for task in candidates if task not in self._waiting and not task.done()
                ]
                if not others:
                    break
                await asyncio.wait([self._completed, *others], return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._waiting.discard(current)


def _log_failure(phase: int, streaming: bool, scope: HTTPScope, request_id: str) -> None:
    """Log the exception being handled, which the app raised, and what it means."""
    if phase == COMPLETE:
        what = "after its response was complete; the response is returned as sent"
    elif streaming:
        what = "after part of its body was streamed; reporting the error to Lambda"
    elif phase == STARTED:
        what = "after the response started; answering 500"
    else:
        what = "before responding; answering 500"
    logger.exception(
        "app error: the ASGI app raised %s (%s)",
        what,
        _where(scope, request_id),
        extra=_APP_FAULT,
    )


def _unfinished(phase: int, streaming: bool, scope: HTTPScope, request_id: str) -> str:
    """Log an app that returned without completing its response; answer what it left out."""
    what = (
        "before finishing its body (no 'http.response.body' with more_body=False)"
        if phase == STARTED
        else "without sending 'http.response.start'"
    )
    if streaming:
        logger.error(
            "app error: the ASGI app returned %s (%s)",
            what,
            _where(scope, request_id),
            extra=_APP_FAULT,
        )
    else:
        logger.error(
            "app error: the ASGI app returned %s; answering 500 (%s)",
            what,
            _where(scope, request_id),
            extra=_APP_FAULT,
        )
    return what


def _where(scope: HTTPScope, request_id: str) -> str:
    return f"{scope['method']} {scope['path']}, aws_request_id={request_id}"
