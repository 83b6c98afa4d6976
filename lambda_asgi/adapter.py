"""The Adapter: the Lambda handler that serves an ASGI app.

Per invocation it detects the event source, builds the scope, runs one HTTP cycle and returns
the dictionary the front door expects. It owns the process's event loop: one loop, created
once and kept across invocations, so clients and pools made at startup keep working.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any, get_args

from . import lifespan as _lifespan
from ._model import Config, Response
from ._types import ASGIApp, LambdaContext, LifespanMode
from .cycle import error_response, run_http, task_factory
from .exceptions import ConfigurationError, InvalidRequestError, LambdaAsgiError
from .sources import SOURCES, detect

logger = logging.getLogger("lambda_asgi")

_loop: asyncio.AbstractEventLoop | None = None


def event_loop() -> asyncio.AbstractEventLoop:
    """The process's event loop, made on first use (and again only if someone closed it)."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        _loop.set_task_factory(task_factory)
    return _loop


class Adapter:
    """Serve an ASGI 3 application as an AWS Lambda handler.

    ``handler = Adapter(app)`` then ``handler(event, context)`` returns the result dictionary
    for API Gateway REST and HTTP APIs (payload 1.0 and 2.0), Lambda Function URLs and
    Application Load Balancers (single- or multi-value headers).

    Args:
        app: any ASGI 3 application.
        lifespan: ``"auto"`` runs the app's lifespan startup if it supports the protocol and
            carries on without it otherwise; ``"on"`` requires it (a missing or failing
            startup raises :class:`LifespanError`); ``"off"`` never sends lifespan events.
            Startup runs here, in the constructor, which is Lambda's init phase.
        base_path: the base path of a custom domain's API mapping (``"/api"``), which the
            public URL carries but the app's routes do not; it becomes the scope's
            ``root_path`` (see the docs on paths).
        text_mime_types: extra content types whose bodies are returned as text instead of
            base64, as exact types (``"application/vnd.acme"``) or prefixes (``"font/"``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        lifespan: LifespanMode = "auto",
        base_path: str | None = None,
        text_mime_types: Iterable[str] = (),
    ) -> None:
        if not callable(app):
            raise ConfigurationError("app", f"expected an ASGI application, got {app!r:.80}")
        if lifespan not in get_args(LifespanMode):
            raise ConfigurationError("lifespan", f"must be 'auto', 'on' or 'off', got {lifespan!r}")
        self.app = app
        self.config = Config(
            base_path=_normalise_base_path(base_path),
            text_mime_types=_normalise_mime_types(text_mime_types),
        )
        self.sources = SOURCES
        self._lifespan = _lifespan.Lifespan(app, lifespan)
        loop = event_loop()
        loop.run_until_complete(self._lifespan.startup())
        if self._lifespan.running:
            _lifespan.register(self._lifespan, loop)

    @property
    def state(self) -> dict[str, Any]:
        """The lifespan state; each request scope gets a shallow copy of it."""
        return self._lifespan.state

    def __call__(self, event: Any, context: LambdaContext) -> Mapping[str, Any]:
        """Handle one invocation synchronously, as Lambda's Python runtime calls it."""
        if asyncio._get_running_loop() is not None:
            raise LambdaAsgiError(
                "the Adapter was called from inside a running event loop; "
                "use 'await adapter.handle(event, context)' there instead"
            )
        loop = event_loop()
        task = asyncio.Task(self._handle(event, context, loop), loop=loop)
        # The task stops the loop when it is done; should anything else stop it earlier (an
        # app calling loop.stop()), the loop simply runs on until the invocation is answered.
        while True:
            try:
                loop.run_forever()
            except BaseException:  # KeyboardInterrupt, SystemExit out of the app's task
                if task.done() and not task.cancelled():
                    task.exception()  # retrieved: the exception propagating is the one to see
                raise
            if task.done():
                return task.result()

    async def handle(self, event: Any, context: LambdaContext) -> Mapping[str, Any]:
        """Handle one invocation on the running event loop."""
        return await self._handle(event, context, None)

    async def _handle(
        self, event: Any, context: LambdaContext, stop: asyncio.AbstractEventLoop | None
    ) -> Mapping[str, Any]:
        try:
            source = detect(event, self.sources)
            request_id = getattr(context, "aws_request_id", "-")
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
                response = error_response(exc.status, f"{_phrase(exc.status)}: {exc.reason}")
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
                response = await run_http(self.app, scope, body, request_id)
                if scope["method"] == "HEAD" and response.body:
                    response = Response(response.status, response.headers, b"")
            return source.to_response(response, event, self.config)
        finally:
            # Stopping from inside the task ends run_forever() in this same loop iteration;
            # run_until_complete() would spend one more iteration (and epoll call) on it.
            if stop is not None:
                stop.stop()

    def shutdown(self) -> None:
        """Run the lifespan shutdown now (it otherwise runs at SIGTERM or exit)."""
        loop = event_loop()
        loop.run_until_complete(self._lifespan.shutdown())


def _phrase(status: int) -> str:
    from http import HTTPStatus  # only on this rare path: http costs import time

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _normalise_base_path(base_path: str | None) -> str:
    if base_path is None:
        return ""
    if not isinstance(base_path, str):
        raise ConfigurationError("base_path", f"must be a string, got {base_path!r}")
    stripped = base_path.strip("/")
    if not stripped:
        return ""
    if "?" in stripped or "#" in stripped:
        raise ConfigurationError("base_path", f"must be a path, got {base_path!r}")
    return "/" + stripped


def _normalise_mime_types(text_mime_types: Iterable[str]) -> frozenset[str]:
    if isinstance(text_mime_types, str):
        raise ConfigurationError(
            "text_mime_types", "must be a list of content types, not a single string"
        )
    result = set()
    for mime in text_mime_types:
        if not isinstance(mime, str) or "/" not in mime:
            raise ConfigurationError(
                "text_mime_types",
                f"entries must look like 'type/subtype' or 'type/', got {mime!r}",
            )
        result.add(mime.strip().lower())
    return frozenset(result)
