"""The public client: reach WebSocket connections from anywhere.

:class:`Connections` sends to, inspects and closes connections of one WebSocket API stage, and
broadcasts to a group kept in a :class:`~lambda_asgi.websocket.ConnectionStore`, from the
WebSocket app itself, an HTTP route, an SQS consumer or another function. Connections that
answer 410 Gone are pruned from the store as they are found. Every method is a coroutine;
``connections.sync`` has the same methods for code that is not async.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ..exceptions import (
    ConfigurationError,
    ConnectionGoneError,
    MessageTooLargeError,
    WebSocketError,
)
from ._management import MAX_MESSAGE_BYTES, configured_endpoint, endpoint_for, management_api
from ._store import ConnectionStore

T = TypeVar("T")

logger = logging.getLogger("lambda_asgi.websocket")


class ManagementSender(Protocol):
    """What :class:`Connections` needs of the Management API: :class:`ManagementAPI` itself,
    or a test double that records what was sent."""

    async def post(self, connection_id: str, data: bytes, *, request_id: str = "-") -> None:
        """Send one message; raises ConnectionGoneError when the connection is gone."""

    async def delete(self, connection_id: str, *, request_id: str = "-") -> None:
        """Close the connection."""

    async def get(self, connection_id: str, *, request_id: str = "-") -> dict[str, Any]:
        """What API Gateway knows of the connection."""


@dataclass
class BroadcastResult:
    """What :meth:`Connections.broadcast` did to each member of the group."""

    delivered: list[str] = field(default_factory=list)
    """The connections the message was posted to."""
    pruned: list[str] = field(default_factory=list)
    """The connections that were gone (410), now removed from the store."""
    failed: dict[str, Exception] = field(default_factory=dict)
    """The connections the message could not be posted to for another reason (logged), kept
    in the store."""


class Connections:
    """Send to, inspect and close the WebSocket connections of one API stage.

    ``endpoint_url`` is the stage's Management API endpoint,
    ``https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`` (:meth:`from_event` takes
    it from a WebSocket event); ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` or
    ``AWS_ENDPOINT_URL`` win over it when set, as for any boto3 client. ``store`` keeps the
    groups :meth:`broadcast` sends to, and loses the connections found gone. ``api`` replaces
    the boto3-backed :class:`ManagementAPI` (a recording double in tests). ``concurrency``
    bounds the posts a broadcast has in flight.
    """

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        store: ConnectionStore | None = None,
        api: ManagementSender | None = None,
        concurrency: int = 8,
    ) -> None:
        if concurrency < 1:
            raise ConfigurationError("concurrency", f"must be 1 or more, not {concurrency}")
        self.endpoint_url = endpoint_url
        self.store = store
        self.concurrency = concurrency
        self._api = api
        self.sync = SyncConnections(self)
        """The same methods, for code that is not async (see :class:`SyncConnections`)."""

    @classmethod
    def from_event(
        cls,
        event: Mapping[str, Any],
        *,
        store: ConnectionStore | None = None,
        api: ManagementSender | None = None,
    ) -> Connections:
        """The client for the stage a WebSocket API event came from (see ``endpoint_for``)."""
        return cls(endpoint_for(event), store=store, api=api)

    @classmethod
    def from_scope(
        cls,
        scope: Mapping[str, Any],
        *,
        store: ConnectionStore | None = None,
        api: ManagementSender | None = None,
    ) -> Connections:
        """The client for the stage an ASGI scope's WebSocket event came from: the
        ``endpoint`` of the scope's ``aws.websocket`` extension (which honours the Adapter's
        endpoint option), else the endpoint of the event in ``aws.event``."""
        extensions = scope.get("extensions") or {}
        extension = extensions.get("aws.websocket")
        if isinstance(extension, Mapping) and "endpoint" in extension:
            return cls(extension["endpoint"], store=store, api=api)
        event = scope.get("aws.event")
        if isinstance(event, Mapping):
            return cls.from_event(event, store=store, api=api)
        raise WebSocketError(
            "the scope did not come from an API Gateway WebSocket event (it has neither an "
            "aws.websocket extension nor aws.event): pass the endpoint to Connections()"
        )

    def __repr__(self) -> str:
        return f"Connections({self.endpoint_url!r}, store={self.store!r})"

    @property
    def api(self) -> ManagementSender:
        """The Management API this client calls, shared by every client of the endpoint."""
        if self._api is None:
            # The environment's endpoint wins, as endpoint_for decides for events.
            self._api = management_api(None if configured_endpoint() else self.endpoint_url)
        return self._api

    async def send(self, connection_id: str, data: str | bytes, *, request_id: str = "-") -> None:
        """Send one message (text as UTF-8) to the connection.

        Raises :class:`~lambda_asgi.ConnectionGoneError` (an ``OSError``) when the connection no
        longer exists, after removing it from the store;
        :class:`~lambda_asgi.MessageTooLargeError` for more than 128 KB, before any call;
        :class:`~lambda_asgi.ManagementAPIError` for any other failure.
        """
        try:
            await self.api.post(connection_id, _encode(data), request_id=request_id)
        except ConnectionGoneError:
            await self._prune(connection_id)
            raise

    async def close(self, connection_id: str, *, request_id: str = "-") -> None:
        """Close the connection (API Gateway then sends ``$disconnect``) and remove it from the
        store, since ``$disconnect`` may never arrive. A gone connection is not an error."""
        await self.api.delete(connection_id, request_id=request_id)
        await self._prune(connection_id)

    async def info(self, connection_id: str, *, request_id: str = "-") -> dict[str, Any] | None:
        """What API Gateway knows of the connection (``connectedAt``, ``identity`` with
        ``sourceIp`` and ``userAgent``, ``lastActiveAt``), or None when it is gone (it is then
        removed from the store)."""
        try:
            return await self.api.get(connection_id, request_id=request_id)
        except ConnectionGoneError:
            await self._prune(connection_id)
            return None

    async def broadcast(
        self,
        group: str,
        data: str | bytes,
        *,
        exclude: Collection[str] = (),
        request_id: str = "-",
    ) -> BroadcastResult:
        """Send one message to every connection in ``group`` but those in ``exclude``.

        A connection that is gone is removed from the store and listed in ``pruned``; any
        other failure is logged and listed in ``failed`` without stopping the others. A message
        over 128 KB raises :class:`~lambda_asgi.MessageTooLargeError` before any call.
        """
        store = self._store("broadcast")
        payload = _encode(data)
        if len(payload) > MAX_MESSAGE_BYTES:
            raise MessageTooLargeError(len(payload), MAX_MESSAGE_BYTES)
        skipped = set(exclude)
        targets = [member for member in await store.members(group) if member not in skipped]
        api = self.api
        slots = asyncio.Semaphore(self.concurrency)
        result = BroadcastResult()

        async def deliver(connection_id: str) -> None:
            async with slots:
                try:
                    await api.post(connection_id, payload, request_id=request_id)
                except ConnectionGoneError:
                    try:
                        await store.remove(connection_id)
                    except Exception as exc:
                        result.failed[connection_id] = exc
                    else:
                        result.pruned.append(connection_id)
                except Exception as exc:
                    # One connection's failure must not cost the others their message.
                    logger.error(
                        "broadcast to %s (request %s): connection %s failed: %s: %s",
                        group,
                        request_id,
                        connection_id,
                        type(exc).__name__,
                        exc,
                    )
                    result.failed[connection_id] = exc
                else:
                    result.delivered.append(connection_id)

        await asyncio.gather(*(deliver(connection_id) for connection_id in targets))
        order = {connection_id: index for index, connection_id in enumerate(targets)}
        result.delivered.sort(key=order.__getitem__)
        result.pruned.sort(key=order.__getitem__)
        return result

    def _store(self, operation: str) -> ConnectionStore:
        if self.store is None:
            raise WebSocketError(
                f"{operation} needs a connection store: Connections(..., store=DynamoDBStore(...))"
            )
        return self.store

    async def _prune(self, connection_id: str) -> None:
        if self.store is not None:
            await self.store.remove(connection_id)


class SyncConnections:
    """The methods of :class:`Connections` for code that is not async: an SQS consumer, a
    plain ``def handler(event, context)``, a sync route that a framework runs in a thread.

    Each call runs on an event loop of its own: in a thread where no loop is running, a fresh
    loop in that thread; in a thread whose loop is running (sync code called from a coroutine),
    a helper thread, while the calling thread waits, so the other tasks of that loop wait too:
    there, await the methods of :class:`Connections` instead.
    """

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    def send(self, connection_id: str, data: str | bytes, *, request_id: str = "-") -> None:
        """:meth:`Connections.send`, blocking."""
        _run(self._connections.send(connection_id, data, request_id=request_id))

    def close(self, connection_id: str, *, request_id: str = "-") -> None:
        """:meth:`Connections.close`, blocking."""
        _run(self._connections.close(connection_id, request_id=request_id))

    def info(self, connection_id: str, *, request_id: str = "-") -> dict[str, Any] | None:
        """:meth:`Connections.info`, blocking."""
        return _run(self._connections.info(connection_id, request_id=request_id))

    def broadcast(
        self,
        group: str,
        data: str | bytes,
        *,
        exclude: Collection[str] = (),
        request_id: str = "-",
    ) -> BroadcastResult:
        """:meth:`Connections.broadcast`, blocking."""
        return _run(
            self._connections.broadcast(group, data, exclude=exclude, request_id=request_id)
        )


def _encode(data: str | bytes) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytes):
        return data
    raise TypeError(f"a WebSocket message is str or bytes, not {type(data).__name__}")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_on_new_loop(coroutine)
    # A loop runs in this thread and cannot be re-entered: run the call beside it.
    with ThreadPoolExecutor(1, thread_name_prefix="lambda-asgi-websocket-sync") as helper:
        return helper.submit(_run_on_new_loop, coroutine).result()


def _run_on_new_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    # Not asyncio.run: it would leave this thread without a current loop, and the thread may
    # be the one whose loop a framework (or the Adapter) set and reuses.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
