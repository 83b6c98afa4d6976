"""Logging the way Lambda users read it: one access-log line per request, Lambda's JSON log
format, and the request id and trace id of the invocation a line belongs to; and the scope's
``aws.lambda`` extension, which tells the app those facts about its invocation.

Every lambda_asgi line is logged with its fields as ``extra`` attributes as well as in its
text, so Lambda's own JSON formatter (``AWS_LAMBDA_LOG_FORMAT=JSON`` under the managed
runtime), lambda_asgi's custom runtime (:mod:`lambda_asgi.runtime.log_format`) and a Powertools
Logger all turn them into keys. The access log is the logger ``lambda_asgi.access`` at INFO:
turn it off with ``Adapter(app, access_log=False)`` or by raising that logger's level.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Final

access_logger: Final = logging.getLogger("lambda_asgi.access")

request_id: Final[ContextVar[str | None]] = ContextVar("lambda_asgi_request_id", default=None)
"""The ``aws_request_id`` of the invocation being served, set by lambda_asgi's runtime."""

trace_id: Final[ContextVar[str | None]] = ContextVar("lambda_asgi_trace_id", default=None)
"""The X-Ray trace header of the invocation being served (``Root=1-...;Parent=...``), set by
lambda_asgi's runtime; under the managed runtime ``_X_AMZN_TRACE_ID`` carries it."""


def current_trace_id() -> str | None:
    """The X-Ray trace header of the current invocation, wherever the runtime put it."""
    return trace_id.get() or os.environ.get("_X_AMZN_TRACE_ID") or None


_LAMBDA_KEYS: Final = (
    "source",
    "request_id",
    "function_arn",
    "tenant_id",
    "trace_id",
    "remaining_time_ms",
)


class LambdaInfo(Mapping[str, Any]):
    """The scope's ``aws.lambda`` extension: what Lambda says about this invocation, as a
    read-only mapping with the keys ``source``, ``request_id``, ``function_arn``,
    ``tenant_id``, ``trace_id`` and ``remaining_time_ms`` (the context's
    ``get_remaining_time_in_millis``, to call).

    Every request gets one and few apps read it, so the values are looked up when read, not
    when the request starts: the context's attributes, and the X-Ray trace header from
    lambda_asgi's runtime (taken when the request starts) or else ``_X_AMZN_TRACE_ID``, whose
    lookup in ``os.environ`` would otherwise cost every request more than the rest of this
    mapping. Read it while the request runs: under the managed runtime that variable is
    replaced at the next invocation.
    """

    __slots__ = ("_context", "_source", "_trace")

    def __init__(self, source: str, context: Any, trace: str | None = None) -> None:
        self._source = source
        self._context = context
        self._trace = trace

    def __getitem__(self, key: str) -> Any:
        if key == "source":
            return self._source
        if key == "request_id":
            return getattr(self._context, "aws_request_id", None)
        if key == "function_arn":
            return getattr(self._context, "invoked_function_arn", None)
        if key == "tenant_id":
            return getattr(self._context, "tenant_id", None)
        if key == "trace_id":
            return self._trace or os.environ.get("_X_AMZN_TRACE_ID") or None
        if key == "remaining_time_ms":
            return getattr(self._context, "get_remaining_time_in_millis", None)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_LAMBDA_KEYS)

    def __len__(self) -> int:
        return len(_LAMBDA_KEYS)

    def __repr__(self) -> str:
        return f"LambdaInfo({dict(self)!r})"


def lambda_extension(source: str, context: Any) -> LambdaInfo:
    """The scope's ``aws.lambda`` extension for a request from ``source``."""
    return LambdaInfo(source, context, trace_id.get())


def enable_access_log() -> None:
    """Let the access log reach Lambda's log handler: INFO on ``lambda_asgi.access`` unless the
    user set its level, or Lambda's log-level control (``AWS_LAMBDA_LOG_LEVEL``) decides."""
    if access_logger.level == logging.NOTSET and "AWS_LAMBDA_LOG_LEVEL" not in os.environ:
        access_logger.setLevel(logging.INFO)


def route_template(scope: Any, root_path: str) -> str | None:
    """The route the app matched, as a template (``/items/{item_id}``), where the framework
    puts it in the scope: Starlette and FastAPI (``scope["route"]``, below any ``Mount``
    prefixes it added to ``root_path``), Litestar (``path_template``), or any app or middleware
    that sets ``scope["route_template"]`` (lambda_asgi's Django middleware does)."""
    template = scope.get("route_template")
    if isinstance(template, str):
        return template
    template = scope.get("path_template")
    if isinstance(template, str):
        return template
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    mounted = scope.get("root_path", "")
    if isinstance(mounted, str) and mounted.startswith(root_path):
        return mounted[len(root_path) :] + path
    return path


def log_access(
    source: str,
    scope: Any,
    root_path: str,
    method: str,
    path: str,
    status: int,
    size: int,
    started: float,
) -> None:
    """The access-log line of one request: ``size`` bytes of body sent, ``started`` its
    ``time.perf_counter()``, ``method`` and ``path`` as the request had them (routers may
    change the scope)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    duration = round((time.perf_counter() - started) * 1000, 2)
    route = route_template(scope, root_path)
    # makeRecord + handle is what Logger.info does, less finding the caller's frame (a third
    # of a line's cost), which would only ever name this function.
    access_logger.handle(
        access_logger.makeRecord(
            access_logger.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %d %.2fms %dB route=%s source=%s",
            (method, path, status, duration, size, route or "-", source),
            None,
            "log_access",
            {
                "source": source,
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration,
                "response_bytes": size,
            },
        )
    )
