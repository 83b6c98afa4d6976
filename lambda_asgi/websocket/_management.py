"""API Gateway's Management API: the ``@connections`` endpoint of a WebSocket API stage.

Owns where that endpoint is (:func:`endpoint_for`), the one boto3 ``apigatewaymanagementapi``
client per endpoint and execution environment (:func:`management_api`), and the calls
(:class:`ManagementAPI`): the 128 KB check before any request, boto3 on worker threads so the
event loop never blocks, bounded retries of 429 and of requests that never reached API Gateway,
and AWS's errors mapped onto
lambda_asgi's: 410 :class:`~lambda_asgi.ConnectionGoneError`, 413
:class:`~lambda_asgi.MessageTooLargeError`, anything else
:class:`~lambda_asgi.ManagementAPIError`. Every failure is logged on ``lambda_asgi.websocket``
with the connection id and the request id.

The standard AWS endpoint configuration (``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``, then
``AWS_ENDPOINT_URL``) wins over the event and over an explicit endpoint, as it does for every
boto3 user: that is how local emulators and ``lambda-asgi serve`` are reached.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..exceptions import (
    ConfigurationError,
    ConnectionGoneError,
    ManagementAPIError,
    MessageTooLargeError,
    WebSocketError,
)
from ..sources._request import management_endpoint
from ._aws import environment_region, make_client, run_blocking

MAX_MESSAGE_BYTES = 128 * 1024
"""The Management API's limit on ``Data`` (131072 bytes), the size of one WebSocket message."""

MAX_RETRY_SECONDS = 10.0
"""The longest the retries of one call may sleep in total: well under the 29 seconds API
Gateway waits for an integration, so a throttled send still leaves time to answer."""

ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "AWS_ENDPOINT_URL")

logger = logging.getLogger("lambda_asgi.websocket")

_EXECUTE_API_HOST = re.compile(
    r"(?P<api>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?",
    re.IGNORECASE,
)
_THROTTLED = frozenset(
    {"LimitExceededException", "TooManyRequestsException", "ThrottlingException"}
)
# The request never reached API Gateway: a kept-alive connection that went stale while the
# execution environment was frozen, or one that could not be opened.
_UNREACHED = frozenset({"ConnectionClosedError", "EndpointConnectionError", "ConnectTimeoutError"})
_sleep = asyncio.sleep  # the retries' pause, replaced by tests


def configured_endpoint() -> str | None:
    """The Management API endpoint boto3 takes from the environment, or None."""
    ignore = os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
    if ignore.strip().lower() == "true":
        return None
    for name in ENDPOINT_VARIABLES:
        if value := os.environ.get(name, "").strip():
            return value
    return None


def endpoint_for(event: Mapping[str, Any], override: str | None = None) -> str | None:
    """The Management API endpoint for the connection a WebSocket event came from.

    ``https://{domainName}/{stage}`` from the event's ``requestContext``, or behind a custom
    domain (which does not serve ``@connections``)
    ``https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`` with the function's region;
    ``override`` instead when given. None when ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` or
    ``AWS_ENDPOINT_URL`` is set: boto3 then uses that endpoint itself.

    Raises :class:`~lambda_asgi.WebSocketError` when the event lacks what the URL needs.
    """
    if configured_endpoint() is not None:
        return None
    if override is not None:
        return override.rstrip("/")
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        raise WebSocketError("the event has no requestContext: it is not a WebSocket API event")
    domain, stage = context.get("domainName"), context.get("stage")
    if not (isinstance(domain, str) and domain and isinstance(stage, str) and stage):
        raise WebSocketError(
            "the event's requestContext lacks domainName or stage, so the Management API "
            "endpoint is unknown: pass it explicitly"
        )
    endpoint = management_endpoint(context, environment_region())
    if endpoint is None:
        raise WebSocketError(
            f"behind the custom domain {domain} the Management API endpoint is "
            f"https://{{apiId}}.execute-api.{{region}}.amazonaws.com/{stage}, but the event has "
            "no apiId or AWS_REGION is not set: pass the endpoint explicitly"
        )
    return endpoint


_APIS: dict[str | None, ManagementAPI] = {}
_APIS_LOCK = threading.Lock()


def management_api(endpoint_url: str | None) -> ManagementAPI:
    """The process-wide :class:`ManagementAPI` for ``endpoint_url`` (None: the endpoint the
    environment configures), made on first use and reused for the life of the execution
    environment, so each endpoint has one boto3 client.
    """
    with _APIS_LOCK:
        api = _APIS.get(endpoint_url)
        if api is None:
            api = _APIS[endpoint_url] = ManagementAPI(endpoint_url)
        return api


class _Failure(Exception):
    """A botocore error, reduced on the worker thread to what the mapping needs."""

    def __init__(self, status: int | None, code: str, message: str, aws_request_id: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.aws_request_id = aws_request_id
        self.retries = 0

    @property
    def gone(self) -> bool:
        return self.code == "GoneException" or self.status == 410

    @property
    def too_large(self) -> bool:
        return self.code == "PayloadTooLargeException" or self.status == 413

    @property
    def retry_reason(self) -> str | None:
        """Why the call may succeed if made again, or None."""
        if self.code in _THROTTLED or self.status == 429:
            return "throttled"
        if self.code in _UNREACHED:
            return "did not reach API Gateway"
        return None


class ManagementAPI:
    """Post to, inspect and close WebSocket connections of one API stage.

    ``endpoint_url`` is ``https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`` (see
    :func:`endpoint_for`), or None for the endpoint the environment configures. The region is
    taken from that host, else from ``region``, ``AWS_REGION`` or ``AWS_DEFAULT_REGION``.
    ``client`` is an ``apigatewaymanagementapi`` client to use instead of making one (a
    botocore ``Stubber``'s in tests). A call answered 429, or that did not reach API Gateway
    (a stale kept-alive connection after the environment was frozen, a connection refused or
    timed out), is retried ``retries`` times, after ``backoff`` seconds doubling each time up
    to ``max_backoff``; the pauses may not add up to more than :data:`MAX_RETRY_SECONDS`.
    ``timeout`` bounds each request's read (a read that times out is not retried: the message
    may have been delivered).

    Use :func:`management_api` rather than this constructor to share the client.
    """

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        region: str | None = None,
        client: Any = None,
        retries: int = 4,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
        timeout: float = 10.0,
    ) -> None:
        if retries < 0:
            raise ConfigurationError("retries", f"must be 0 or more, not {retries}")
        if not 0 <= backoff <= max_backoff:
            raise ConfigurationError(
                "backoff", f"must be between 0 and max_backoff ({max_backoff}), not {backoff}"
            )
        self.endpoint_url = endpoint_url
        self.region = region
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        if sum(self.delays()) > MAX_RETRY_SECONDS:
            raise ConfigurationError(
                "retries",
                f"{retries} retries from {backoff} s would pause {sum(self.delays()):.2f} s, "
                f"more than {MAX_RETRY_SECONDS} s",
            )
        self._client = client
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ManagementAPI({self.endpoint_url!r})"

    def delays(self) -> list[float]:
        """The pauses before each retry of a call, in seconds."""
        return [min(self.max_backoff, self.backoff * 2**attempt) for attempt in range(self.retries)]

    async def post(self, connection_id: str, data: bytes, *, request_id: str = "-") -> None:
        """Send ``data`` as one message to the connection.

        Raises :class:`~lambda_asgi.MessageTooLargeError` before any call when ``data`` is over
        :data:`MAX_MESSAGE_BYTES`, :class:`~lambda_asgi.ConnectionGoneError` when the connection
        no longer exists, :class:`~lambda_asgi.ManagementAPIError` for any other failure.
        """
        if len(data) > MAX_MESSAGE_BYTES:
            logger.warning(
                "not sending a %d-byte message to connection %s (request %s): API Gateway "
                "accepts at most %d bytes",
                len(data),
                connection_id,
                request_id,
                MAX_MESSAGE_BYTES,
            )
            raise MessageTooLargeError(len(data), MAX_MESSAGE_BYTES)
        try:
            await self._call("post_to_connection", connection_id, request_id, Data=data)
        except _Failure as failure:
            raise self._error(
                failure, "post_to_connection", connection_id, request_id, len(data)
            ) from failure.__cause__

    async def delete(self, connection_id: str, *, request_id: str = "-") -> None:
        """Close the connection; one that is already gone is not an error."""
        try:
            await self._call("delete_connection", connection_id, request_id)
        except _Failure as failure:
            if failure.gone:
                logger.debug(
                    "connection %s (request %s) was already gone when deleted",
                    connection_id,
                    request_id,
                )
                return
            raise self._error(failure, "delete_connection", connection_id, request_id) from (
                failure.__cause__
            )

    async def get(self, connection_id: str, *, request_id: str = "-") -> dict[str, Any]:
        """What API Gateway knows of the connection: ``{"connectedAt": datetime, "identity":
        {"sourceIp": str, "userAgent": str}, "lastActiveAt": datetime}``.

        Raises :class:`~lambda_asgi.ConnectionGoneError` when the connection no longer exists.
        """
        try:
            answer = await self._call("get_connection", connection_id, request_id)
        except _Failure as failure:
            raise self._error(failure, "get_connection", connection_id, request_id) from (
                failure.__cause__
            )
        identity = answer.get("Identity") or {}
        return {
            "connectedAt": answer.get("ConnectedAt"),
            "identity": {
                "sourceIp": identity.get("SourceIp"),
                "userAgent": identity.get("UserAgent"),
            },
            "lastActiveAt": answer.get("LastActiveAt"),
        }

    async def _call(
        self, operation: str, connection_id: str, request_id: str, **params: Any
    ) -> dict[str, Any]:
        """One operation, retried while throttled or unreachable; a failure is raised as
        _Failure."""
        delays = self.delays()
        attempt = 0
        while True:
            try:
                return await run_blocking(self._invoke, operation, connection_id, params)
            except _Failure as failure:
                if failure.retry_reason is None or attempt == len(delays):
                    failure.retries = attempt
                    raise
                logger.warning(
                    "%s for connection %s (request %s) %s (%s); retry %d of %d in %.2f s",
                    operation,
                    connection_id,
                    request_id,
                    failure.retry_reason,
                    failure.code,
                    attempt + 1,
                    len(delays),
                    delays[attempt],
                )
                await _sleep(delays[attempt])
                attempt += 1

    def _invoke(self, operation: str, connection_id: str, params: dict[str, Any]) -> Any:
        """On a worker thread: the boto3 call itself, botocore's errors reduced to _Failure."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client_now()
        try:
            return getattr(client, operation)(ConnectionId=connection_id, **params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            metadata = exc.response.get("ResponseMetadata", {})
            raise _Failure(
                metadata.get("HTTPStatusCode"),
                error.get("Code") or "Unknown",
                error.get("Message") or str(exc),
                metadata.get("RequestId") or "-",
            ) from exc
        except BotoCoreError as exc:
            raise _Failure(None, type(exc).__name__, str(exc), "-") from exc

    def _client_now(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> Any:
        host = (urlsplit(self.endpoint_url).hostname or "") if self.endpoint_url else ""
        match = _EXECUTE_API_HOST.fullmatch(host)
        region = match["region"] if match else self.region or environment_region()
        # The SDK does not retry: _call does, within MAX_RETRY_SECONDS.
        client = make_client(
            "apigatewaymanagementapi",
            attempts=1,
            endpoint_url=self.endpoint_url,
            region_name=region,
            read_timeout=self.timeout,
        )
        # Without an endpoint botocore falls back to execute-api.{region}.amazonaws.com, which
        # has no API id or stage: every call would fail with an obscure 403 or 404.
        if (urlsplit(client.meta.endpoint_url).hostname or "").startswith("execute-api."):
            raise WebSocketError(
                "no Management API endpoint: pass one (https://{apiId}.execute-api.{region}"
                ".amazonaws.com/{stage}) or set AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"
            )
        return client

    def _error(
        self,
        failure: _Failure,
        operation: str,
        connection_id: str,
        request_id: str,
        size: int | None = None,
    ) -> WebSocketError:
        """The exception to raise for a failed call, logged with the ids to find it by."""
        text = "%s for connection %s (request %s) failed: %s %s: %s (AWS request id %s)"
        args = (
            operation,
            connection_id,
            request_id,
            failure.status,
            failure.code,
            failure.message,
            failure.aws_request_id,
        )
        if failure.gone:
            # A client that left is routine: the caller prunes it.
            logger.info(text, *args)
            return ConnectionGoneError(connection_id)
        if failure.too_large and size is not None:
            logger.warning(text, *args)
            return MessageTooLargeError(size, MAX_MESSAGE_BYTES)
        if failure.retries:
            logger.error(text + " after %d retries", *args, failure.retries)
        else:
            logger.error(text, *args)
        return ManagementAPIError(connection_id, failure.status, failure.code, failure.message)
