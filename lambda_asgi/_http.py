"""One synchronous invocation, as ``Adapter.__call__`` makes it: the HTTP request path.

Detection, the scope, the request's task and its deadline guard, the result and its size
bound, in one function. It lives apart from :mod:`lambda_asgi.adapter` so that it is compiled
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
from typing import TYPE_CHECKING, Any

from . import _loop
from ._model import Source
from .cycle import SHORT_PAIR, all_known_clean, run_http
from .exceptions import EventLoopError, InvalidRequestError
from .guards import ASCII_WORST, FIXED, HEADER_WORST, PER_HEADER, oversize
from .logs import LambdaInfo, trace_id
from .sources import SOURCES, WEBSOCKET, detect_built_in

if TYPE_CHECKING:
    from .adapter import Adapter

# The most JSON a header pair the cycle remembered clean can take up in a result.
_SHORT_HEADER_WORST = PER_HEADER + HEADER_WORST * SHORT_PAIR
# What a source's to_scope raises for an event it cannot make a request of: a bad request
# (InvalidRequestError), or a malformed event (a wrong type or a missing key deep inside).
MALFORMED = (InvalidRequestError, KeyError, TypeError, AttributeError, ValueError)
# The built-in sources whose result limit is one number (all but Lambda@Edge's), by source.
FIXED_LIMITS: dict[Source, int] = {
    source: source.response_limit for source in SOURCES if isinstance(source.response_limit, int)
}


def invoke(adapter: Adapter, event: Any, context: Any) -> Any:
    """``adapter(event, context)``: the front door's result for one invocation."""
    # The running-loop check and the process loop read inline, calling out only when
    # something is wrong: on a request path of a few microseconds, every call left out shows.
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
    # An HTTP request, in one function: the scope is built and the result made here, around
    # a task that runs nothing but the request cycle, whose await chain is then as short as
    # the app's own (each layer is resumed every time the app's awaits are).
    request_id = getattr(context, "aws_request_id", "-")
    try:
        scope, body = source.to_scope(event, context, adapter.config)
    except MALFORMED as exc:
        refused = adapter._refused(source, exc, request_id)
        return adapter._end(source, event, None, refused, request_id)
    scope["state"] = adapter._lifespan.state.copy()
    scope["extensions"]["aws.lambda"] = LambdaInfo(source.name, context, trace_id.get())
    method, path = scope["method"], scope["path"]  # as they came: the app may change them
    root_path = scope["root_path"]
    task = asyncio.Task(run_http(adapter.app, scope, body, request_id, None, loop), loop=loop)
    # Adapter._run(), inline.
    margin = adapter._timeout_margin
    remaining = None if margin is None else getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        _loop.run(loop, task)
    else:
        delay = remaining() / 1000 - margin
        if delay < 0.0:
            delay = 0.0
        # Watchdog.arm(), inline.
        watchdog = _loop.watchdog
        now = time.monotonic()
        watchdog.guarded = (task, now, delay, loop, adapter._expire)
        if now + delay < watchdog.wake:
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
    try:
        response = task.result()
    except asyncio.CancelledError:
        response = adapter._timed_out(task, f"{method} {path}", request_id)
    if adapter._finishing or method == "HEAD":
        response = adapter._finish(source.name, scope, root_path, method, path, response, started)
    # Adapter._end(), inline for the front doors whose limit is one number, when the body fits.
    limit = FIXED_LIMITS.get(source)
    body_size = len(response.body)
    if limit is None or body_size + 2 > limit:
        return adapter._end(source, event, scope, response, request_id)
    result = source.to_response(response, event, adapter.config)
    if not adapter._size_guard:
        return result
    # A bound from lengths alone, which nearly every result is within: oversize()'s first,
    # with no look at the header bytes when every pair is one the cycle found clean and
    # short before (as a response's usually all are).
    headers = response.headers
    bound = ASCII_WORST * body_size + FIXED + _SHORT_HEADER_WORST * len(headers)
    if bound <= limit and all_known_clean(headers):
        return result
    size = oversize(result, headers, limit, body_size)
    if size is None:
        return result
    return adapter._too_large(source, event, scope, size, limit, request_id)
