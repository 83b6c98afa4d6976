"""The Adapter: the Lambda handler that serves an ASGI app.

Per invocation it detects the event source, builds the scope, runs one HTTP cycle and returns
the dictionary the front door expects. Synchronous invocations run on the process's event loop
(:mod:`lambda_asgi._loop`), created once and kept, so clients made at startup keep working;
their HTTP path is :func:`lambda_asgi._http.invoke`, a module of its own so that it is compiled
in the wheels for Lambda while this class, whose constructor checks every option, stays Python.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any, NoReturn, get_args

from . import _loop, _options
from . import lifespan as _lifespan
from ._http import begin, delay, end, invoke, run_guarded
from ._loop import event_loop
from ._model import Config, Response, Source
from ._types import AnyASGIApp, ASGIApp, LambdaContext, LifespanMode
from .cycle import error_response, run_http
from .exceptions import (
    ConfigurationError,
    EventLoopError,
    InvalidRequestError,
    UnsupportedEventError,
)
from .guards import Oversize
from .logs import enable_access_log, log_access
from .sources import SOURCES, WEBSOCKET, detect
from .sources._response import reason_phrase

if TYPE_CHECKING:
    from ._types import HTTPScope
    from .compression import Compression
    from .powertools import Powertools
    from .ws_cycle import WebSocketOptions

logger = logging.getLogger("lambda_asgi")


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
        access_log: log one line per request on the ``lambda_asgi.access`` logger (INFO):
            front door, method, path, route template, status, duration and response bytes.
        powertools: a :class:`lambda_asgi.powertools.Powertools` holding your Powertools
            Logger, Tracer and Metrics: lambda_asgi's logs go through your Logger with each
            request's correlation id, and every request gets a subsegment and metrics.
        **unknown: none is accepted: any other keyword, such as Mangum's
            ``api_gateway_base_path``, raises :class:`ConfigurationError` naming the option
            to use instead.
    """

    __name__ = "handler"
    """What decorators that wrap a handler (Powertools' among them) read as its name."""

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
        access_log: bool = True,
        powertools: Powertools | None = None,
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
        self._built_ins_only = not custom
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
        # Tasks whose deadline guard fired, with the time their request started.
        self._expired: dict[asyncio.Task[Any], float] = {}
        self._size_guard = True  # False only in the benchmark that prices the guards
        # -- response streaming and graceful shutdown (lambda_asgi.runtime) --
        self.invoke_mode = _options.invoke_mode_option(invoke_mode)
        graceful = _options.flag_option("graceful_shutdown", graceful_shutdown)
        # -- observability (lambda_asgi.logs, lambda_asgi.powertools) --
        self._access_log = _options.flag_option("access_log", access_log)
        if self._access_log:
            enable_access_log()
        if powertools is not None:
            from .powertools import Powertools

            if not isinstance(powertools, Powertools):
                raise ConfigurationError(
                    "powertools",
                    "expected lambda_asgi.powertools.Powertools(logger=..., tracer=..., "
                    f"metrics=...), got {powertools!r:.80}",
                )
            powertools.install()
        self._powertools = powertools
        # Whether a response needs _finish() whatever the request (HEAD ones always do).
        self._finishing = self._compression is not None or bool(self._exclude) or self._access_log
        # Whether a request's start time is needed (for the access log or Powertools).
        self._timed = self._access_log or powertools is not None
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
        # The loop the lifespan runs on, whose startup made what requests use: theirs too.
        self._lifespan_loop: asyncio.AbstractEventLoop | None = None
        if lifespan == "off":
            return  # no loop needed yet: an Adapter built inside a running loop can handle()
        _loop.outside_any_loop(
            "built inside",
            "its lifespan startup has to run to completion before it returns. Build it outside "
            "(at module level, Lambda's init phase), or pass lifespan='off' to await "
            "adapter.handle(event, context) on that loop",
        )
        loop = event_loop()
        loop.run_until_complete(self._lifespan.startup())
        if self._lifespan.running:
            self._lifespan_loop = loop
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
        return invoke(self, event, context)

    def _run(
        self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], context: Any
    ) -> asyncio.Task[Any]:
        """Run ``coro`` as a task on ``loop``, which it stops as it ends, under the deadline
        guard; answer the task, done."""
        task = asyncio.Task(coro, loop=loop)
        run_guarded(self, loop, task, context)
        return task

    async def handle(self, event: Any, context: LambdaContext) -> Any:
        """Handle one invocation on the running event loop."""
        task = asyncio.current_task()
        assert task is not None, "handle() runs inside a task"
        loop = task.get_loop()
        if self._lifespan_loop is not None and loop is not self._lifespan_loop:
            raise EventLoopError(
                "handle() was awaited on another event loop than the one this Adapter's "
                "lifespan started on, where what the startup made (clients, pools) belongs. "
                "Await it on the loop the Adapter was built for (lambda_asgi.runtime does), "
                "or build the Adapter with lifespan='off' inside the loop that serves it"
            )
        timer = None
        seconds = delay(self._timeout_margin, context)
        if seconds is not None:
            timer = loop.call_later(seconds, self._expire, task, time.monotonic())
        try:
            started = time.perf_counter() if self._timed else 0.0
            return await self._serve(self._detect(event), event, context, started, None)
        finally:
            if timer is not None:
                timer.cancel()
                # Fired, but the app swallowed the cancellation and answered: undo it here.
                if self._expired.pop(task, None) is not None and sys.version_info >= (3, 11):
                    task.uncancel()

    def _expire(self, task: asyncio.Task[Any], started: float) -> None:
        self._expired[task] = started
        task.cancel()

    async def _serve(
        self,
        source: Source,
        event: Any,
        context: LambdaContext,
        started: float,
        stop: asyncio.AbstractEventLoop | None,
    ) -> Any:
        """One invocation inside a task: a WebSocket event, or an HTTP request whose cycle
        runs in this same task (Powertools' spans, ``handle()``)."""
        try:
            if source is WEBSOCKET:
                return await self._serve_websocket(event, context)
            request_id = getattr(context, "aws_request_id", "-")
            begun = begin(self, source, event, context, request_id)
            if isinstance(begun, Response):
                return end(self, source, event, None, begun, request_id)
            scope, body = begun
            if self._powertools is None:
                response = await self._respond(source.name, scope, body, request_id, started)
            else:
                response = await self._powertools.serve(
                    lambda: self._respond(source.name, scope, body, request_id, started),
                    scope,
                    source.name,
                    event,
                    context,
                )
            return end(self, source, event, scope, response, request_id)
        finally:
            # Stopping from inside the task ends run_forever() in this same loop iteration;
            # run_until_complete() would spend one more iteration (and epoll call) on it.
            if stop is not None:
                stop.stop()

    def _refused(self, source: Source, exc: Exception, request_id: str) -> Response:
        """The answer to an event ``to_scope`` could not make a request of, logged."""
        if isinstance(exc, InvalidRequestError):
            logger.warning(
                "bad %s request, answering %d without calling the app: %s (aws_request_id=%s)",
                source.name,
                exc.status,
                exc.reason,
                request_id,
            )
            return error_response(
                exc.status, f"{reason_phrase(exc.status) or 'Error'}: {exc.reason}"
            )
        logger.warning(
            "malformed %s event, answering 400 without calling the app: %s: %s (aws_request_id=%s)",
            source.name,
            type(exc).__name__,
            exc,
            request_id,
        )
        return error_response(400, "Bad Request: malformed event")

    async def _respond(
        self, source: str, scope: HTTPScope, body: bytes, request_id: str, started: float
    ) -> Response:
        """The app's response to one request, as the front door will get it, access-logged."""
        method, path, root_path = scope["method"], scope["path"], scope["root_path"]
        try:
            response = await run_http(self.app, scope, body, request_id)
        except asyncio.CancelledError:
            response = self._timed_out_here(f"{method} {path}", request_id)
        return self._finish(source, scope, root_path, method, path, response, started)

    def _finish(
        self,
        source: str,
        scope: HTTPScope,
        root_path: str,
        method: str,
        path: str,
        response: Response,
        started: float,
    ) -> Response:
        """HEAD without a body, compression, excluded headers, and the access-log line."""
        if method == "HEAD" and response.body:
            response = Response(response.status, response.headers, b"")
        if self._compression is not None:
            response = self._compression.apply(response, scope["headers"])
        if self._exclude:  # after compression, which adds headers of its own
            response = _without(response, self._exclude)
        if self._access_log:
            log_access(
                source, scope, root_path, method, path, response.status, len(response.body), started
            )
        return response

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
            return await ws_cycle.handle(
                self.app,
                event,
                context,
                state,
                self.config,
                options,
                access_log=self._access_log,
                powertools=self._powertools,
            )
        except asyncio.CancelledError:
            what = f"WebSocket {event['requestContext'].get('routeKey')}"
            self._timed_out_here(what, getattr(context, "aws_request_id", "-"))
            return {"statusCode": 504}

    def _timed_out(self, task: asyncio.Task[Any], route: str, request_id: str) -> Response:
        """The 504 for a request the deadline guard cancelled. Call it from the ``except
        CancelledError`` that caught the cancellation of ``task``: any other one is
        re-raised."""
        started = self._expired.pop(task, None)
        if started is None:
            raise  # not the deadline guard's: the CancelledError being handled
        logger.error(
            "request still running %.0f ms after it started, %.0f ms before the Lambda "
            "deadline: cancelled it and answered 504 (%s, aws_request_id=%s)",
            (time.monotonic() - started) * 1000,
            (self._timeout_margin or 0.0) * 1000,
            route,
            request_id,
        )
        return error_response(504, "Gateway Timeout")

    def _timed_out_here(self, route: str, request_id: str) -> Response:
        """:meth:`_timed_out` for the cancellation of the task running this, which carries on
        (from the ``except CancelledError`` that caught it)."""
        task = asyncio.current_task()
        assert task is not None
        response = self._timed_out(task, route, request_id)
        if sys.version_info >= (3, 11):
            task.uncancel()  # the cancellation was ours, and it is handled here
        return response

    def _too_large(
        self,
        source: Source,
        event: Any,
        scope: HTTPScope | None,
        size: Oversize,
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
            "the %s result is %s, over the front door's limit of %d bytes; answering 500 "
            "instead (%s, aws_request_id=%s). %s",
            source.name,
            size,
            limit,
            route,
            request_id,
            hint,
        )
        response = error_response(
            500, f"Internal Server Error: response too large ({size}, limit {limit})"
        )
        return source.to_response(response, event, self.config)

    def shutdown(self) -> None:
        """Run the lifespan shutdown now (it otherwise runs at SIGTERM or exit)."""
        loop = self._lifespan_loop
        if loop is None or loop.is_closed():
            return  # nothing started, or its loop is gone with whatever startup made
        _loop.outside_any_loop("shut down inside", "call shutdown() outside it")
        loop.run_until_complete(self._lifespan.shutdown())


_STORE_METHODS = ("save", "load", "remove")


def _without(response: Response, names: frozenset[bytes]) -> Response:
    headers = [(name, value) for name, value in response.headers if name.lower() not in names]
    return Response(response.status, headers, response.body)
