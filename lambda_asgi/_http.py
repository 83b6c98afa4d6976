"""One synchronous invocation, as ``Adapter.__call__`` makes it: the HTTP request path.

Detection, the scope (:func:`begin`), the request's task under its deadline guard
(:func:`run_guarded`), the result and its size bound (:func:`end`); the Adapter's coroutine
path shares the three. It lives apart from :mod:`lambda_asgi.adapter` so that it is compiled
in the wheels for Lambda (see ``[tool.hatch.build.targets.wheel.hooks.mypyc]`` in
``pyproject.toml``) while the ``Adapter`` class stays Python: compiled, its constructor's
parameters would be type-checked by the call itself, with a bare ``TypeError`` instead of the
:class:`~lambda_asgi.exceptions.ConfigurationError` that names the option. WebSocket events,
Powertools and ``handle()`` take the Adapter's coroutine path instead.
"""

from __future__ import annotations

import asyncio
import time
from asyncio import _get_running_loop
from typing import TYPE_CHECKING, Any, Final

from . import _loop
from ._exchange import SHORT_PAIR, all_known_clean
from ._model import Response, Source
from ._tasks import forget, register
from .cycle import run_http
from .exceptions import EventLoopError, InvalidRequestError
from .guards import ASCII_WORST, FIXED, HEADER_WORST, PER_HEADER, Oversize, oversize
from .logs import lambda_extension
from .sources import SOURCES, WEBSOCKET, detect_built_in

if TYPE_CHECKING:
    from ._types import HTTPScope
    from .adapter import Adapter

# The most JSON a header pair the cycle remembered clean can take up in a result.
_SHORT_HEADER_WORST: Final = PER_HEADER + HEADER_WORST * SHORT_PAIR
# What a source's to_scope raises for an event it cannot make a request of: a bad request
# (InvalidRequestError), or a malformed event (a wrong type or a missing key deep inside).
MALFORMED: Final = (InvalidRequestError, KeyError, TypeError, AttributeError, ValueError)
_BUILT_IN: Final = frozenset(SOURCES)
# The built-in sources whose result limit is one number (all but Lambda@Edge's), by source.
FIXED_LIMITS: Final[dict[Source, int]] = {
    source: source.response_limit for source in SOURCES if isinstance(source.response_limit, int)
}


def invoke(adapter: Adapter, event: Any, context: Any) -> Any:
    """``adapter(event, context)``: the front door's result for one invocation."""
    # The running-loop check and the process loop read inline, calling out only when
    # something is wrong.
    if _get_running_loop() is not None:
        _loop.outside_any_loop(
            "called from inside", "use 'await adapter.handle(event, context)' there instead"
        )
    loop = _loop.process_loop
    if loop is None or loop.is_closed():
        loop = _loop.event_loop()
    if adapter._lifespan_loop is not None and loop is not adapter._lifespan_loop:
        raise EventLoopError(
            "the event loop this Adapter's lifespan started on was closed, and with it "
            "what the startup made; build a new Adapter"
        )
    started = time.perf_counter() if adapter._timed else 0.0
    source = detect_built_in(event) if adapter._built_ins_only else None
    if source is None:
        source = adapter._detect(event)
    if source is WEBSOCKET or adapter._powertools is not None:
        task = adapter._run(loop, adapter._serve(source, event, context, started, loop), context)
        return task.result()
    # An HTTP request: the scope is built and the result made here, around a task that runs
    # nothing but the request cycle, whose await chain is then as short as the app's own
    # (each layer is resumed every time the app's awaits are).
    request_id = getattr(context, "aws_request_id", "-")
    begun = begin(adapter, source, event, context, request_id)
    if isinstance(begun, Response):
        return end(adapter, source, event, None, begun, request_id)
    scope, body = begun
    method, path = scope["method"], scope["path"]  # as they came: the app may change them
    root_path = scope["root_path"]
    # The request's task is registered here, before it runs, and forgotten here: the cycle's
    # own bookkeeping done as compiled code.
    tasks: list[asyncio.Task[Any]] = []
    task = asyncio.Task(
        run_http(adapter.app, scope, body, request_id, None, loop, tasks), loop=loop
    )
    register(task, tasks)
    try:
        run_guarded(adapter, loop, task, context)
    finally:
        forget(task, tasks)
    try:
        response = task.result()
    except asyncio.CancelledError:
        response = adapter._timed_out(task, f"{method} {path}", request_id)
    if adapter._finishing or method == "HEAD":
        response = adapter._finish(source.name, scope, root_path, method, path, response, started)
    return end(adapter, source, event, scope, response, request_id)


def begin(
    adapter: Adapter, source: Source, event: Any, context: Any, request_id: str
) -> tuple[HTTPScope, bytes] | Response:
    """The request's scope and body; or, for an event that cannot become one, the answer."""
    try:
        scope, body = source.to_scope(event, context, adapter.config)
    except MALFORMED as exc:
        return adapter._refused(source, exc, request_id)
    scope["state"] = adapter._lifespan.state.copy()
    scope["extensions"]["aws.lambda"] = lambda_extension(source.name, context)
    return scope, body


def delay(margin: float | None, context: Any) -> float | None:
    """Seconds until the deadline guard cancels the request (``margin`` before Lambda's
    deadline), if there is a deadline."""
    if margin is None:
        return None
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds: float = remaining() / 1000 - margin
    return seconds if seconds > 0.0 else 0.0


def run_guarded(
    adapter: Adapter, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any], context: Any
) -> None:
    """Run ``loop`` until ``task`` is done (the task stops it as it ends), the watchdog
    guarding it for :func:`delay` seconds."""
    seconds = delay(adapter._timeout_margin, context)
    if seconds is None:
        _loop.run(loop, task)
        return
    # Watchdog.arm(), inline (a call from here costs the request path measurably): one tuple
    # published, the thread woken only for a deadline before the one it sleeps towards.
    watchdog = _loop.watchdog
    now = time.monotonic()
    watchdog.guarded = (task, now, seconds, loop, adapter._expire)
    if now + seconds < watchdog.wake:
        watchdog.wake_up()
    try:
        while not task.done():
            loop.run_forever()
    except BaseException:
        watchdog.guarded = None
        adapter._expired.pop(task, None)
        _loop.retrieve(task)
        raise
    watchdog.guarded = None
    # Fired, but the app swallowed the cancellation and answered: forget it.
    if adapter._expired and not task.cancelled():
        adapter._expired.pop(task, None)


def end(
    adapter: Adapter,
    source: Source,
    event: Any,
    scope: HTTPScope | None,
    response: Response,
    request_id: str,
) -> Any:
    """The front door's result for ``response``, within the front door's size limit."""
    body_size = len(response.body)
    limit = FIXED_LIMITS.get(source)
    if limit is not None and body_size + 2 <= limit:
        # A built-in front door whose limit is one number, and a body that fits it.
        result = source.to_response(response, event, adapter.config)
        if not adapter._size_guard:
            return result
        # A bound from lengths alone, which nearly every result is within: oversize()'s
        # first, with no look at the header bytes when every pair is one the cycle found
        # clean and short before (as a response's usually all are).
        headers = response.headers
        bound = ASCII_WORST * body_size + FIXED + _SHORT_HEADER_WORST * len(headers)
        if bound <= limit and all_known_clean(headers):
            return result
        size = oversize(result, headers, limit, body_size)
    elif limit is None and source not in _BUILT_IN:
        # Only a built-in source's result is known to hold nothing but headers and body.
        limit = _limit_of(source, event)
        result = source.to_response(response, event, adapter.config)
        size = oversize(result, None, limit) if adapter._size_guard else None
    else:
        if limit is None:
            limit = _limit_of(source, event)
        if body_size + 2 > limit and response.status not in (204, 304):
            # No built-in shape carries a body in fewer bytes than it has (plus quotes):
            # refuse it at once, without encoding a result only to measure it. Only a status
            # that has no body may lose it on the way (Lambda@Edge drops it).
            size = Oversize(body_size + 2, exact=False)
        else:
            result = source.to_response(response, event, adapter.config)
            size = (
                oversize(result, response.headers, limit, body_size)
                if adapter._size_guard
                else None
            )
    if size is None:
        return result
    return adapter._too_large(source, event, scope, size, limit, request_id)


def _limit_of(source: Source, event: Any) -> int:
    limit = source.response_limit
    return limit if isinstance(limit, int) else limit(event)
