"""The Adapter: the Lambda handler that serves an ASGI app.

Per invocation it detects the event source, builds the scope, runs one HTTP cycle and returns
the dictionary the front door expects. It owns the process's event loop: one loop, created
once and kept across invocations, so clients and pools made at startup keep working.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn, get_args

from . import _exit, _options
from . import lifespan as _lifespan
from ._model import Config, Response, Source
from ._types import AnyASGIApp, ASGIApp, LambdaContext, LifespanMode
from .cycle import error_response, run_http, task_factory
from .exceptions import (
    ConfigurationError,
    InvalidRequestError,
    LambdaAsgiError,
    UnsupportedEventError,
)
from .guards import oversize
from .sources import SOURCES, WEBSOCKET, detect
from .sources._response import reason_phrase

if TYPE_CHECKING:
    from ._types import HTTPScope
    from .compression import Compression
    from .ws_cycle import WebSocketOptions

logger = logging.getLogger("lambda_asgi")

_loop: asyncio.AbstractEventLoop | None = None


def event_loop() -> asyncio.AbstractEventLoop:
    """The process's event loop, made on first use (and again only if someone closed it)."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        _loop.set_task_factory(task_factory)
        _exit.close_at_exit(_loop)
    return _loop


class Adapter:
    """Serve an ASGI 3 application as an AWS Lambda handler.

    ``handler = Adapter(app)`` then ``handler(event, context)`` returns the result dictionary
    for API Gateway REST and HTTP APIs (payload 1.0 and 2.0), Lambda Function URLs,
    Application Load Balancers (single- or multi-value headers), Lambda@Edge and VPC Lattice;
    API Gateway WebSocket events run the app's websocket endpoint at ``websocket_path``; with
    ``events_path``, other events (SQS, SNS, S3, EventBridge, ...) reach the app too.
    Every option is described, with its default and an example, in the docs' options page.

    Args:
        app: any ASGI 3 application.
        lifespan: ``"auto"`` runs the app's lifespan startup if it supports the protocol and
            carries on without it otherwise; ``"on"`` requires it (a missing or failing
            startup raises :class:`LifespanError`); ``"off"`` never sends lifespan events.
            Startup runs here, in the constructor, which is Lambda's init phase.
        lifespan_timeout: seconds the lifespan startup may take (5 by default, within the
            10 s Lambda allows its init phase); a startup still running then is cancelled and
            :class:`LifespanError` raised. ``None`` waits for as long as startup takes.
        base_path: the base path of a custom domain's API mapping (``"/api"``), which the
            public URL carries but the app's routes do not; it becomes the scope's
            ``root_path`` (see the docs on paths).
        text_mime_types: extra content types whose bodies are returned as text instead of
            base64, as exact types (``"application/vnd.acme"``) or prefixes (``"font/"``).
        exclude_headers: response header names never passed on to the front door
            (case-insensitive), e.g. headers a framework adds that a gateway rejects.
        events_path: deliver non-HTTP events (and direct invokes) to the app as a POST of the
            event JSON to this path; the app's JSON answer becomes the handler's result.
        sources: custom event sources (:class:`~lambda_asgi.sources.Source`), tried before
            the built-in ones.
        compression: compress responses with gzip, or brotli when the ``brotli`` package is
            installed, for clients whose ``Accept-Encoding`` allows it.
        compression_min_size: smallest body, in bytes, worth compressing.
        compression_types: content types to compress, exact or ``type/`` prefixes; ``None``
            compresses every textual type (text, JSON, XML, JavaScript, SVG ...).
        timeout_margin: seconds before Lambda's deadline at which a request still running is
            cancelled and answered with a 504; ``None`` turns the guard off.
        invoke_mode: ``"buffered"`` or ``"response_stream"`` (Function URLs with InvokeMode
            ``RESPONSE_STREAM``, API Gateway REST streaming), which the custom runtime
            :mod:`lambda_asgi.runtime` follows; ``None`` reads ``$LAMBDA_ASGI_INVOKE_MODE``
            and defaults to buffered. Streaming needs that runtime (see docs/streaming.md).
        graceful_shutdown: on Lambda, register an internal extension during init, so that
            Lambda sends SIGTERM before shutdown and the lifespan shutdown runs (only for an
            app whose lifespan started).
        websocket_path: the path at which API Gateway WebSocket events reach the app (a
            WebSocket API has one URL per stage), e.g. the ``"/ws"`` of ``@app.websocket``.
        websocket_store: a connection store (``save``/``load``/``remove`` ...): ``$connect``
            records the connection's headers, query and subprotocol there, and later events'
            scopes get them back; ``None`` leaves MESSAGE scopes without them.
        websocket_api: what sends messages to connections and closes them (``post`` and
            ``delete``, like :class:`lambda_asgi.testing.CapturedSends`); ``None`` uses the
            Management API through boto3.
        websocket_endpoint: the Management API endpoint (``https://ws.example.com/prod``)
            instead of the one the event names.
        websocket_replies: on two-way routes, return what the app sends as the route response
            instead of posting it: ``True`` for every route, or a list of route keys.
        **unknown: none is accepted: any other keyword, such as Mangum's
            ``api_gateway_base_path``, raises :class:`ConfigurationError` naming the option
            to use instead.
    """

    def __init__(
        self,
        app: AnyASGIApp,
        *,
        lifespan: LifespanMode = "auto",
        lifespan_timeout: float | None = _lifespan.STARTUP_TIMEOUT,
        base_path: str | None = None,
        text_mime_types: Iterable[str] = (),
        exclude_headers: Iterable[str] = (),
        events_path: str | None = None,
        sources: Iterable[Source] = (),
        compression: bool = False,
        compression_min_size: int = 1024,
        compression_types: Iterable[str] | None = None,
        timeout_margin: float | None = 0.5,
        invoke_mode: str | None = None,
        graceful_shutdown: bool = True,
        websocket_path: str = "/",
        websocket_store: Any = None,
        websocket_api: Any = None,
        websocket_endpoint: str | None = None,
        websocket_replies: bool | Iterable[str] = False,
        **unknown: NoReturn,
    ) -> None:
        if unknown:  # Mangum's options, typos: a ConfigurationError rather than a TypeError
            raise _options.unknown_option(unknown, Adapter.__init__)
        _options.app_option(app)
        if lifespan not in get_args(LifespanMode):
            raise ConfigurationError("lifespan", f"must be 'auto', 'on' or 'off', got {lifespan!r}")
        self.app: ASGIApp = app
        self.config = Config(
            base_path=_options.path_option("base_path", base_path),
            text_mime_types=_options.mime_types_option("text_mime_types", text_mime_types),
        )
        custom = _options.sources_option(sources)
        # Just the built-ins is the very tuple detect() knows how to try in one look.
        self.sources: tuple[Source, ...] = (*custom, *SOURCES) if custom else SOURCES
        path = _options.path_option("events_path", events_path)
        if events_path is not None and not path:
            raise ConfigurationError("events_path", f"must be a path below /, got {events_path!r}")
        self._events: Source | None = None
        if path:
            from .sources.events import events_source  # json, only for those who ask

            self._events = events_source(path)
        self._exclude = _options.header_names_option("exclude_headers", exclude_headers)
        min_size = _options.size_option("compression_min_size", compression_min_size)
        types = (
            None
            if compression_types is None
            else _options.mime_types_option("compression_types", compression_types)
        )
        self._compression: Compression | None = None
        if _options.flag_option("compression", compression):
            from .compression import Compression  # gzip and brotli only for those who ask

            self._compression = Compression(min_size, types)
        self._timeout_margin = _options.seconds_option("timeout_margin", timeout_margin)
        # Tasks whose deadline timer fired, with the time their request started.
        self._expired: dict[asyncio.Task[Any], float] = {}
        self._oversize = oversize  # an attribute, so the benchmark can time the Adapter without it
        # -- response streaming and graceful shutdown (lambda_asgi.runtime) --
        self.invoke_mode = _options.invoke_mode_option(invoke_mode)
        graceful = _options.flag_option("graceful_shutdown", graceful_shutdown)
        # --
        # -- API Gateway WebSocket APIs (lambda_asgi.ws_cycle, loaded by the first event) --
        self._websocket = (
            _options.path_option("websocket_path", websocket_path),
            _options.object_option("websocket_store", websocket_store, _STORE_METHODS),
            _options.object_option("websocket_api", websocket_api, ("post", "delete")),
            _options.url_option("websocket_endpoint", websocket_endpoint),
            _options.route_keys_option("websocket_replies", websocket_replies),
        )
        self._websocket_options: WebSocketOptions | None = None
        # --
        startup_timeout = _options.timeout_option("lifespan_timeout", lifespan_timeout)
        self._lifespan = _lifespan.Lifespan(app, lifespan, startup_timeout)
        loop = event_loop()
        loop.run_until_complete(self._lifespan.startup())
        if self._lifespan.running:
            _lifespan.register(self._lifespan, loop)
            if graceful and "AWS_LAMBDA_RUNTIME_API" in os.environ:
                from .runtime.extension import ensure_registered

                ensure_registered()

    @property
    def state(self) -> dict[str, Any]:
        """The lifespan state; each request scope gets a shallow copy of it."""
        return self._lifespan.state

    def __call__(self, event: Any, context: LambdaContext) -> Any:
        """Handle one invocation synchronously, as Lambda's Python runtime calls it."""
        if asyncio._get_running_loop() is not None:
            raise LambdaAsgiError(
                "the Adapter was called from inside a running event loop; "
                "use 'await adapter.handle(event, context)' there instead"
            )
        loop = event_loop()
        started = time.monotonic()
        idle = _idle(loop)
        task = asyncio.Task(self._handle(event, context, loop), loop=loop)
        # One loop iteration first: most requests are answered in it, and need no deadline
        # timer. Those still running get one, then the loop runs until the task stops it.
        if not idle:
            loop.stop()
            _run(loop, task)
        else:
            try:
                _first_step(loop)
            except BaseException:
                _retrieve(task)
                raise
        if task.done():
            return task.result()
        timer = self._arm(task, context, loop, started)
        try:
            # Should anything else stop the loop early (an app calling loop.stop()), it simply
            # runs on until the invocation is answered.
            while not task.done():
                _run(loop, task)
        finally:
            if timer is not None:
                timer.cancel()
                self._expired.pop(task, None)
        return task.result()

    async def handle(self, event: Any, context: LambdaContext) -> Any:
        """Handle one invocation on the running event loop."""
        task = asyncio.current_task()
        assert task is not None, "handle() runs inside a task"
        timer = self._arm(task, context, asyncio.get_running_loop(), time.monotonic())
        try:
            return await self._handle(event, context, None)
        finally:
            if timer is not None:
                timer.cancel()
                # Fired, but the app swallowed the cancellation and answered: undo it here.
                if self._expired.pop(task, None) is not None and sys.version_info >= (3, 11):
                    task.uncancel()

    def _arm(
        self,
        task: asyncio.Task[Any],
        context: LambdaContext,
        loop: asyncio.AbstractEventLoop,
        started: float,
    ) -> asyncio.TimerHandle | None:
        """Set the deadline timer of a request still running, if there is a deadline."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if self._timeout_margin is None or remaining is None:
            return None
        delay = remaining() / 1000 - self._timeout_margin
        return loop.call_later(max(delay, 0.0), self._expire, task, started)

    def _expire(self, task: asyncio.Task[Any], started: float) -> None:
        self._expired[task] = started
        task.cancel()

    async def _handle(
        self, event: Any, context: LambdaContext, stop: asyncio.AbstractEventLoop | None
    ) -> Any:
        try:
            source = self._detect(event)
            if source is WEBSOCKET:
                return await self._serve_websocket(event, context)
            request_id = getattr(context, "aws_request_id", "-")
            scope: HTTPScope | None = None
            try:
                scope, body = source.to_scope(event, context, self.config)
            except InvalidRequestError as exc:
                logger.warning(
                    "bad %s request, answering %d without calling the app: %s (aws_request_id=%s)",
                    source.name,
                    exc.status,
                    exc.reason,
                    request_id,
                )
                response = error_response(
                    exc.status, f"{reason_phrase(exc.status) or 'Error'}: {exc.reason}"
                )
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                logger.warning(
                    "malformed %s event, answering 400 without calling the app: %s: %s "
                    "(aws_request_id=%s)",
                    source.name,
                    type(exc).__name__,
                    exc,
                    request_id,
                )
                response = error_response(400, "Bad Request: malformed event")
            else:
                scope["state"] = self._lifespan.state.copy()
                try:
                    response = await run_http(self.app, scope, body, request_id)
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task not in self._expired:
                        raise  # not the deadline timer's
                    route = f"{scope['method']} {scope['path']}"
                    response = self._timed_out(task, route, request_id)
                if scope["method"] == "HEAD" and response.body:
                    response = Response(response.status, response.headers, b"")
                if self._compression is not None:
                    response = self._compression.apply(response, scope["headers"])
                if self._exclude:  # after compression, which adds headers of its own
                    response = _without(response, self._exclude)
            result = source.to_response(response, event, self.config)
            limit = source.response_limit
            if not isinstance(limit, int):
                limit = limit(event)
            # Only a built-in source's result is known to hold nothing but headers and body.
            if source in _BUILT_IN:
                size = self._oversize(result, response.headers, limit, len(response.body))
            else:
                size = self._oversize(result, None, limit)
            if size is None:
                return result
            return self._too_large(source, event, scope, size, limit, request_id)
        finally:
            # Stopping from inside the task ends run_forever() in this same loop iteration;
            # run_until_complete() would spend one more iteration (and epoll call) on it.
            if stop is not None:
                stop.stop()

    def _detect(self, event: Any) -> Source:
        try:
            return detect(event, self.sources)
        except UnsupportedEventError:
            if self._events is not None and self._events.matches(event):
                return self._events
            raise

    async def _serve_websocket(self, event: Any, context: LambdaContext) -> Any:
        from . import ws_cycle  # only functions behind a WebSocket API pay for it

        options = self._websocket_options
        if options is None:
            options = self._websocket_options = ws_cycle.WebSocketOptions(*self._websocket)
        state = self._lifespan.state.copy()
        try:
            return await ws_cycle.handle(self.app, event, context, state, self.config, options)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task not in self._expired:
                raise  # not the deadline timer's
            what = f"WebSocket {event['requestContext'].get('routeKey')}"
            self._timed_out(task, what, getattr(context, "aws_request_id", "-"))
            return {"statusCode": 504}

    def _timed_out(self, task: asyncio.Task[Any], route: str, request_id: str) -> Response:
        """The 504 for a request the deadline timer cancelled."""
        started = self._expired.pop(task)
        if sys.version_info >= (3, 11):
            task.uncancel()  # the cancellation was ours, and it is handled here
        logger.error(
            "request still running %.0f ms after it started, %.0f ms before the Lambda "
            "deadline: cancelled it and answered 504 (%s, aws_request_id=%s)",
            (time.monotonic() - started) * 1000,
            (self._timeout_margin or 0.0) * 1000,
            route,
            request_id,
        )
        return error_response(504, "Gateway Timeout")

    def _too_large(
        self,
        source: Source,
        event: Any,
        scope: HTTPScope | None,
        size: int,
        limit: int,
        request_id: str,
    ) -> Any:
        route = source.name if scope is None else f"{scope['method']} {scope['path']}"
        if source is self._events:
            hint = "An event's answer must fit whole"
        elif self._compression is not None:
            hint = "Response streaming may fit it"
        else:
            hint = "Compression (Adapter(..., compression=True)) or response streaming may fit it"
        logger.error(
            "the %s result is %d bytes, over the front door's limit of %d bytes; answering 500 "
            "instead (%s, aws_request_id=%s). %s",
            source.name,
            size,
            limit,
            route,
            request_id,
            hint,
        )
        response = error_response(
            500, f"Internal Server Error: response too large ({size} bytes, limit {limit})"
        )
        return source.to_response(response, event, self.config)

    def shutdown(self) -> None:
        """Run the lifespan shutdown now (it otherwise runs at SIGTERM or exit)."""
        loop = event_loop()
        loop.run_until_complete(self._lifespan.shutdown())


_BUILT_IN = frozenset(SOURCES)
_STORE_METHODS = ("save", "load", "remove")


def _run(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    try:
        loop.run_forever()
    except BaseException:
        _retrieve(task)
        raise


def _retrieve(task: asyncio.Task[Any]) -> None:
    """For a KeyboardInterrupt or SystemExit out of the app's task, on its way up: mark the
    task's copy retrieved, as the exception propagating is the one to see."""
    if task.done() and not task.cancelled():
        task.exception()


# Exactly the stock loop: its internals are known, so that one iteration can be shortened.
_STOCK_LOOP: type[Any] = asyncio.SelectorEventLoop


def _idle(loop: Any) -> bool:
    """Whether the next loop iteration is sure to find nothing to do but the new task's
    first step: no callbacks ready, no timers, no file descriptor watched but the loop's own
    wake-up pipe (so its poll cannot report anything), and no debug mode."""
    return (
        type(loop) is _STOCK_LOOP
        and not loop._ready
        and not loop._scheduled
        and len(loop._selector._fd_to_key) == 1
        and not loop._debug
    )


def _first_step(loop: Any) -> None:
    """One loop iteration for an :func:`_idle` loop: run the only ready callback, the task's
    first step, in the state ``run_forever()`` sets up (running loop, thread, async generator
    hooks), without the poll and timer bookkeeping that would find nothing. Saves about a
    third of what driving the loop costs an invocation."""
    handle = loop._ready.popleft()
    hooks = _hooks.get(loop)
    if hooks is None:
        _hooks.clear()  # one process loop: a replaced one's hooks are not needed again
        hooks = _hooks[loop] = (loop._asyncgen_firstiter_hook, loop._asyncgen_finalizer_hook)
    previous = sys.get_asyncgen_hooks()
    loop._thread_id = _get_ident()
    sys.set_asyncgen_hooks(*hooks)
    _set_running_loop(loop)
    try:
        handle._run()
    finally:
        loop._stopping = False  # as run_forever() leaves it: the task stopped the loop
        loop._thread_id = None
        _set_running_loop(None)
        sys.set_asyncgen_hooks(*previous)


# The loop's async generator hooks, as bound methods made once rather than per invocation.
_hooks: dict[Any, tuple[Any, Any]] = {}
_set_running_loop = asyncio.events._set_running_loop
_get_ident = threading.get_ident


def _without(response: Response, names: frozenset[bytes]) -> Response:
    headers = [(name, value) for name, value in response.headers if name.lower() not in names]
    return Response(response.status, headers, response.body)
