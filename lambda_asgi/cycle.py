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
from typing import TYPE_CHECKING, Any

from ._model import Response
from ._tasks import _earlier, forget, register
from ._types import ASGIApp, Headers, Message
from .exceptions import ProtocolError

if TYPE_CHECKING:
    from ._types import HTTPScope, Sink

logger = logging.getLogger("lambda_asgi")

_BODY_KINDS = (bytes, bytearray, memoryview)

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


def _checked_headers(headers: Any) -> Headers:
    """The response headers as a list of byte pairs, checked in the same pass."""
    if headers is None:
        return []
    if type(headers) is list or type(headers) is tuple:
        # An app sends the same few pairs over and over: when every pair is one found clean
        # before, one C-level pass over the set says so (a list or tuple only, as a generator
        # would be used up; an unhashable pair, such as a list, is checked below).
        try:
            if _clean_pairs.issuperset(headers):
                return list(headers)
        except TypeError:
            pass
    clean = _clean
    checked: Headers = []
    append = checked.append
    try:
        # A loop, not a comprehension: responses have a few headers, and a comprehension's own
        # function call (before Python 3.12) costs more than the appends. A pair already a
        # tuple of two known-clean byte strings is kept as it is.
        for pair in headers:
            if type(pair) is tuple and len(pair) == 2:
                name, value = pair
                if (
                    type(name) is bytes
                    and type(value) is bytes
                    and name in clean
                    and value in clean
                ):
                    append(pair)
                    continue
            name, value = pair
            append(_checked_pair(name, value))
    except (TypeError, ValueError):
        raise ProtocolError(
            f"'headers' must be an iterable of [name, value] pairs, got {headers!r:.80}"
        ) from None
    _remember_pairs(checked)
    return checked


# CR or LF would end the header line on the wire (response splitting) and NUL ends it in C
# parsers: no front door may be handed one. Names and values found free of them are
# remembered, as an app sends the same few on every response: most are checked by a set
# lookup in the pass above, the others by one scan of the pair. Bounded in count, as values
# may differ on every response, and in size: longer values are scanned every time. Whole
# pairs found clean are remembered as well (tuples of exact bytes, short values only), so a
# response of only known pairs is checked by one C call.
_LINE_BREAKERS = b"\r\n\0"
_clean: set[bytes] = set()
_clean_pairs: set[tuple[bytes, bytes]] = set()
_MAX_CLEAN = 1024
_MAX_CLEAN_SIZE = 256


def _remember_pairs(checked: Headers) -> None:
    if len(checked) > _MAX_CLEAN:
        return  # more pairs than the set may hold: a response like no other
    if len(_clean_pairs) > _MAX_CLEAN - len(checked):
        _clean_pairs.clear()
    for pair in checked:  # tuples of plain bytes, each
        if len(pair[1]) <= _MAX_CLEAN_SIZE and len(pair[0]) <= _MAX_CLEAN_SIZE:
            _clean_pairs.add(pair)


SHORT_PAIR = 2 * _MAX_CLEAN_SIZE
"""Bytes a header pair remembered clean has at most, its name and value together."""

all_known_clean = _clean_pairs.issuperset
"""Whether every pair of some response headers (tuples of bytes) is one remembered clean:
the headers then have at most :data:`SHORT_PAIR` bytes each."""


def _checked_pair(name: object, value: object) -> tuple[bytes, bytes]:
    """A header pair the set of clean parts does not vouch for: checked and remembered."""
    if type(name) is not bytes or type(value) is not bytes:
        name, value = _plain_bytes(name, value)
    both = name + value
    if len(both.translate(None, _LINE_BREAKERS)) != len(both):
        where = "name" if len(name.translate(None, _LINE_BREAKERS)) != len(name) else "value"
        # Named, never its value: it may be a secret, a cookie.
        raise ProtocolError(f"response header {name[:60]!r} has CR, LF or NUL in its {where}")
    if len(_clean) > _MAX_CLEAN - 2:  # room for both
        _clean.clear()
    _clean.add(name)
    if len(value) <= _MAX_CLEAN_SIZE:
        _clean.add(value)
    return name, value


def _kind(message: object) -> object:
    """What a message that is not a dict is reported as: itself (``None``, a string ...)."""
    return message.get("type") if isinstance(message, dict) else message


def _body_bytes(chunk: object) -> bytes:
    """A body that is not exactly ``bytes``: a copy of a bytes-like one, else a violation."""
    if not isinstance(chunk, _BODY_KINDS):
        raise ProtocolError(f"'body' must be bytes, got {type(chunk).__name__}")
    return bytes(chunk)


def _status(value: object) -> int:
    """A status that is not a plain ``int`` from 100 to 599: an int subclass in range (an
    ``HTTPStatus``) as its number, else a violation."""
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise ProtocolError(f"'status' must be an integer from 100 to 599, got {value!r}")
    return int(value)


def _plain_bytes(name: object, value: object) -> tuple[bytes, bytes]:
    """A pair of ``bytes`` subclasses as plain bytes (equal to a clean pair, the set of clean
    pairs takes them as that pair anyway); anything else is a violation."""
    if not (isinstance(name, bytes) and isinstance(value, bytes)):
        raise ProtocolError(
            f"header names and values must be bytes, got {name!r:.40}: {value!r:.40}"
        )
    return bytes(name), bytes(value)


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
    delivered = False
    phase = _BEFORE_START
    streaming = False
    violation: ProtocolError | None = None
    status = 0
    response_headers: Headers = []
    chunks: list[bytes] = []
    waiting: _Waiting | None = None  # made by the first receive() that has to wait

    async def receive() -> Message:
        nonlocal delivered, waiting
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        if phase != _COMPLETE:
            if waiting is None:
                waiting = _Waiting(tasks)
            await waiting.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal phase, streaming, status, response_headers, violation
        kind = message.get("type") if type(message) is dict else _kind(message)
        try:
            if phase == _STARTED and kind == "http.response.body":
                chunk = message.get("body", b"")
                if type(chunk) is not bytes:
                    chunk = _body_bytes(chunk)
            elif phase == _BEFORE_START and kind == "http.response.start":
                value = message.get("status")
                if type(value) is not int or not 100 <= value <= 599:
                    value = _status(value)
                response_headers = _checked_headers(message.get("headers"))
                status = value
                phase = _STARTED
                return
            else:
                raise ProtocolError(_out_of_order(phase, kind))
        except ProtocolError as exc:
            violation = exc
            logger.error(
                "app error: ASGI protocol violation: %s (%s)",
                exc,
                _where(scope, request_id),
                extra=_APP_FAULT,
            )
            raise
        if chunk:
            if sink is None:
                chunks.append(chunk)
            else:
                if not streaming:
                    streaming = True
                    await sink.start(status, response_headers)
                await sink.write(chunk)
        if not message.get("more_body", False):
            phase = _COMPLETE
            if waiting is not None:
                waiting.complete()

    try:
        await app(scope, receive, send)  # type: ignore[arg-type]
    except Exception as exc:
        if exc is not violation:  # else logged in send
            _log_failure(phase, streaming, scope, request_id)
        if phase != _COMPLETE:
            if streaming:
                raise
            return error_response(500, "Internal Server Error")
    else:
        if phase != _COMPLETE:
            what = _unfinished(phase, streaming, scope, request_id)
            if streaming:
                raise ProtocolError(f"the ASGI app returned {what}")
            return error_response(500, "Internal Server Error")
    finally:
        if app_task is not None:
            forget(app_task, tasks)
        if stop is not None:
            stop.stop()
    return Response(status, response_headers, b"".join(chunks))


# Where a response is: what the app may send next.
_BEFORE_START, _STARTED, _COMPLETE = 0, 1, 2


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


def _out_of_order(phase: int, kind: object) -> str:
    """What is wrong with a message of this ``kind`` at this point of the response."""
    if phase == _COMPLETE:
        return f"{kind!r} sent after the response was complete"
    if phase == _STARTED:
        return f"expected 'http.response.body' after the start, got {kind!r}"
    return f"expected 'http.response.start' first, got {kind!r}"


def _log_failure(phase: int, streaming: bool, scope: HTTPScope, request_id: str) -> None:
    """Log the exception being handled, which the app raised, and what it means."""
    if phase == _COMPLETE:
        what = "after its response was complete; the response is returned as sent"
    elif streaming:
        what = "after part of its body was streamed; reporting the error to Lambda"
    elif phase == _STARTED:
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
        if phase == _STARTED
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
