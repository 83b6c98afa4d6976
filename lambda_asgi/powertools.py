"""Powertools for AWS Lambda, wired into every request: ``Adapter(app, powertools=Powertools(
logger=logger, tracer=tracer, metrics=metrics))``.

- **Logger**: lambda_asgi's own loggers (``lambda_asgi``, the access log included) log through
  the user's Logger's handler and format; every line that handler writes during a request, the
  app's included, carries ``correlation_id`` (the front door's request id) and
  ``function_request_id``. They come from context variables, not from the Logger's shared keys,
  so invocations served at once on one event loop never see each other's ids.
- **Tracer**: one X-Ray subsegment per request (``## GET /items/{item_id}``), annotated with
  ``route``, ``method``, ``status`` and ``ColdStart``; the app's own ``capture_method``
  subsegments nest inside it.
- **Metrics**: per request ``Requests``, ``Latency`` (ms), ``4xx`` and ``5xx`` by ``route`` and
  ``method`` dimensions, a ``ColdStart`` metric on the first request, flushed with the
  invocation.

Powertools itself is the user's import (the ``powertools`` extra pins a tested version); this
module imports nothing of it until the Adapter is built with it. :func:`event_of` gives the app
the typed Powertools event of the request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .exceptions import ConfigurationError
from .logs import route_template

if TYPE_CHECKING:
    from ._model import Response
    from ._types import LambdaContext

_LOGGERS = {"lambda_asgi"}  # its children (access, runtime, websocket) propagate to it

_request: ContextVar[dict[str, Any] | None] = ContextVar("lambda_asgi_powertools", default=None)


class _RequestKeys(logging.Filter):
    """Adds the current request's keys to every record the Powertools handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        keys = _request.get()
        if keys is not None:
            for key, value in keys.items():
                if getattr(record, key, None) is None:
                    setattr(record, key, value)
        return True


def correlation_id(source: str, event: Mapping[str, Any], headers: Any) -> str | None:
    """The id each front door gives a request: API Gateway's and Function URLs' request id,
    the ``X-Amzn-Trace-Id`` that ALB and VPC Lattice add, CloudFront's request id."""
    if source == "edge":
        records = event.get("Records")
        cf = records[0].get("cf") if isinstance(records, list) and records else None
        config = cf.get("config") if isinstance(cf, Mapping) else None
        value = config.get("requestId") if isinstance(config, Mapping) else None
        return value if isinstance(value, str) else None
    if source in ("alb", "lattice", "lattice_v1"):
        for name, value in headers:
            if name == b"x-amzn-trace-id":
                return value.decode("latin-1")  # type: ignore[no-any-return]
        return None
    request_context = event.get("requestContext")
    value = request_context.get("requestId") if isinstance(request_context, Mapping) else None
    return value if isinstance(value, str) else None


def _route_key(event: Mapping[str, Any]) -> str:
    request_context = event.get("requestContext")
    key = request_context.get("routeKey") if isinstance(request_context, Mapping) else None
    return key if isinstance(key, str) else "-"


class Powertools:
    """The Powertools Logger, Tracer and Metrics a lambda_asgi function reports through.

    Args:
        logger: an ``aws_lambda_powertools.Logger``.
        tracer: an ``aws_lambda_powertools.Tracer``.
        metrics: an ``aws_lambda_powertools.Metrics`` (its namespace set).
        capture_cold_start_metric: emit the ``ColdStart`` metric on the first request.

    Use it in place of ``@logger.inject_lambda_context``, ``@tracer.capture_lambda_handler`` and
    ``@metrics.log_metrics`` on the handler (those decorators also work around an Adapter, but
    combining ``metrics=`` with ``@metrics.log_metrics`` would flush twice).
    """

    def __init__(
        self,
        *,
        logger: Any = None,
        tracer: Any = None,
        metrics: Any = None,
        capture_cold_start_metric: bool = True,
    ) -> None:
        for option, value, needs in (
            ("logger", logger, "registered_handler"),
            ("tracer", tracer, "provider"),
            ("metrics", metrics, "flush_metrics"),
        ):
            if value is not None and not hasattr(value, needs):
                raise ConfigurationError(
                    option,
                    f"expected an aws_lambda_powertools {option.capitalize()}, got {value!r:.80}",
                )
        self.logger = logger
        self.tracer = tracer
        self.metrics = metrics
        self.capture_cold_start_metric = capture_cold_start_metric
        self._cold = True
        self._installed = False

    def install(self) -> None:
        """Route lambda_asgi's loggers through the Logger's handler, and give that handler the
        per-request keys (once; the Adapter calls it when it is built)."""
        if self._installed or self.logger is None:
            self._installed = True
            return
        from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

        copy_config_to_registered_loggers(source_logger=self.logger, include=set(_LOGGERS))
        handler = self.logger.registered_handler
        if not any(isinstance(existing, _RequestKeys) for existing in handler.filters):
            handler.addFilter(_RequestKeys())
        self._installed = True

    async def serve(
        self,
        call: Callable[[], Awaitable[Response]],
        scope: Any,
        source: str,
        event: Mapping[str, Any],
        context: LambdaContext,
    ) -> Response:
        """Run one request (``call``) inside its log keys, subsegment and metrics."""
        started = time.perf_counter()
        cold, self._cold = self._cold, False
        # The app may rewrite the scope (routers do): keep the request's own values. A
        # WebSocket event has no method: its route key ($connect, $default ...) stands in.
        method = scope.get("method") or _route_key(event)
        path, root_path = scope["path"], scope["root_path"]
        token = _request.set(
            {
                "correlation_id": correlation_id(source, event, scope["headers"]),
                "function_request_id": getattr(context, "aws_request_id", None),
            }
        )
        try:
            if self.tracer is None:
                response = await call()
            else:
                async with self.tracer.provider.in_subsegment_async(
                    name=f"## {method} {path}"
                ) as subsegment:
                    response = await call()
                    route = route_template(scope, root_path)
                    if route is not None and hasattr(subsegment, "name"):
                        subsegment.name = f"## {method} {route}"
                    subsegment.put_annotation(key="route", value=route or path)
                    subsegment.put_annotation(key="method", value=method)
                    subsegment.put_annotation(key="status", value=response.status)
                    subsegment.put_annotation(key="ColdStart", value=cold)
        finally:
            _request.reset(token)
        if self.metrics is not None:
            self._record(scope, root_path, method, response.status, started, cold, context)
        return response

    def _record(
        self,
        scope: Any,
        root_path: str,
        method: str,
        status: int,
        started: float,
        cold: bool,
        context: LambdaContext,
    ) -> None:
        from aws_lambda_powertools.metrics import MetricUnit

        metrics = self.metrics
        if cold and self.capture_cold_start_metric:
            metrics.provider.add_cold_start_metric(context=context)
        metrics.add_dimension(name="route", value=route_template(scope, root_path) or "unmatched")
        metrics.add_dimension(name="method", value=method)
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="Latency",
            unit=MetricUnit.Milliseconds,
            value=round((time.perf_counter() - started) * 1000, 3),
        )
        metrics.add_metric(name="4xx", unit=MetricUnit.Count, value=int(400 <= status < 500))
        metrics.add_metric(name="5xx", unit=MetricUnit.Count, value=int(status >= 500))
        metrics.flush_metrics()


_EVENT_CLASSES = {
    "rest": "APIGatewayProxyEvent",
    "http_api_v1": "APIGatewayProxyEvent",
    "http_api": "APIGatewayProxyEventV2",
    "function_url": "LambdaFunctionUrlEvent",
    "alb": "ALBEvent",
    "lattice": "VPCLatticeEventV2",
    "lattice_v1": "VPCLatticeEvent",
    "websocket": "APIGatewayWebSocketEvent",
}


def event_of(scope: Mapping[str, Any]) -> Any:
    """The Powertools data class of the request's event (``APIGatewayProxyEventV2`` for an HTTP
    API, ``ALBEvent`` for ALB ...), from a scope lambda_asgi built.

    Raises :class:`~lambda_asgi.ConfigurationError` for a scope that did not come through an
    Adapter, or a front door Powertools has no data class for (Lambda@Edge).
    """
    extension = scope.get("extensions", {}).get("aws.lambda")
    if not isinstance(extension, Mapping) or "aws.event" not in scope:
        raise ConfigurationError(
            "scope", "not a scope lambda_asgi built (no 'aws.lambda' extension)"
        )
    source = extension["source"]
    name = _EVENT_CLASSES.get(source)
    if name is None:
        raise ConfigurationError(
            "scope", f"Powertools has no event data class for the {source!r} front door"
        )
    from aws_lambda_powertools.utilities import data_classes

    return getattr(data_classes, name)(scope["aws.event"])
