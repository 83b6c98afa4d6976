"""Connection stores: what ``$connect`` saw, kept for the invocations that come after it.

A WebSocket API invokes the function once per event, so nothing in memory survives from the
``$connect`` that carried the headers and query to the messages that follow, nor to the code
that broadcasts to a room. A store keeps one :class:`ConnectionRecord` per connection and the
groups it joined. :class:`MemoryStore` serves tests and local serving (one process);
:class:`DynamoDBStore` serves every execution environment of a deployed API.

``$disconnect`` is best effort (API Gateway may never send it), so DynamoDB items carry a
``ttl`` two hours on, the longest a connection lives; DynamoDB deletes expired items lazily,
so they are skipped on reading until it does.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypedDict

from ..exceptions import ConfigurationError, WebSocketError
from ._aws import environment_region, make_client, run_blocking

logger = logging.getLogger("lambda_asgi.websocket")
_pause = time.sleep  # between retries of unprocessed writes, on a worker thread; tests replace it

MAX_CONNECTION_SECONDS = 2 * 60 * 60
"""API Gateway closes every WebSocket connection after two hours."""


class ConnectionRecord(TypedDict):
    """What ``$connect`` saw, JSON-serialisable."""

    connection_id: str
    path: str
    """The scope ``path`` the app got."""
    query_string: str
    """The raw query, as latin-1 text."""
    headers: list[list[str]]
    """``[[lowercase name, value], ...]`` as the scope had them."""
    subprotocol: str | None
    """The subprotocol the app accepted."""
    client: list[Any] | None
    """``[host, port]``."""
    connected_at: int
    """Epoch milliseconds (``requestContext.connectedAt``)."""
    groups: list[str]


class ConnectionStore(Protocol):
    """Where connections and their groups are kept between invocations."""

    async def save(self, record: ConnectionRecord) -> None:
        """Keep ``record`` (replacing one with the same id) and join its ``groups``."""

    async def load(self, connection_id: str) -> ConnectionRecord | None:
        """The record, with the groups the connection is in now (sorted); None when unknown."""

    async def remove(self, connection_id: str) -> None:
        """Forget the connection, leaving all its groups; unknown ids are ignored."""

    async def join(self, connection_id: str, group: str) -> None:
        """Add the connection to ``group`` (nothing happens if it is in already)."""

    async def leave(self, connection_id: str, group: str) -> None:
        """Take the connection out of ``group`` (nothing happens if it is not in it)."""

    async def members(self, group: str) -> list[str]:
        """The ids of the connections in ``group``, sorted."""


class MemoryStore:
    """A :class:`ConnectionStore` in this process's memory, for tests and local serving.

    Safe to share between tasks and threads; records are copied in and out, so changing a
    loaded record changes nothing stored. Like :class:`DynamoDBStore`, it lists groups and
    members sorted, and keeps a membership even for a connection it has no record of.
    """

    def __init__(self) -> None:
        self._records: dict[str, ConnectionRecord] = {}
        self._groups: dict[str, set[str]] = {}
        self._memberships: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    async def save(self, record: ConnectionRecord) -> None:
        stored = copy.deepcopy(record)
        with self._lock:
            self._records[stored["connection_id"]] = stored
            for group in stored["groups"]:
                self._join(stored["connection_id"], group)

    async def load(self, connection_id: str) -> ConnectionRecord | None:
        with self._lock:
            record = self._records.get(connection_id)
            if record is None:
                return None
            loaded = copy.deepcopy(record)
            loaded["groups"] = sorted(self._memberships.get(connection_id, ()))
            return loaded

    async def remove(self, connection_id: str) -> None:
        with self._lock:
            self._records.pop(connection_id, None)
            for group in list(self._memberships.get(connection_id, ())):
                self._leave(connection_id, group)

    async def join(self, connection_id: str, group: str) -> None:
        with self._lock:
            self._join(connection_id, group)

    async def leave(self, connection_id: str, group: str) -> None:
        with self._lock:
            self._leave(connection_id, group)

    async def members(self, group: str) -> list[str]:
        with self._lock:
            return sorted(self._groups.get(group, ()))

    def _join(self, connection_id: str, group: str) -> None:
        self._groups.setdefault(group, set()).add(connection_id)
        self._memberships.setdefault(connection_id, set()).add(group)

    def _leave(self, connection_id: str, group: str) -> None:
        for index, key, value in (
            (self._groups, group, connection_id),
            (self._memberships, connection_id, group),
        ):
            entries = index.get(key, set())
            entries.discard(value)
            if not entries:
                index.pop(key, None)


def _connection_key(connection_id: str) -> str:
    return f"conn#{connection_id}"


def _group_key(group: str) -> str:
    return f"group#{group}"


class DynamoDBStore:
    """A :class:`ConnectionStore` in a DynamoDB table shared by every execution environment.

    The table has a string partition key ``pk`` and a string sort key ``sk``, with time to
    live on the number attribute ``ttl`` (the docs have it as CloudFormation). A connection is
    the item ``conn#{id}``/``meta`` (the record as JSON in ``record``); its membership of a
    group is two items, ``group#{name}``/``conn#{id}`` (listed by :meth:`members`, one query)
    and ``conn#{id}``/``group#{name}`` (read back by :meth:`load` and :meth:`remove` in the
    same query as the record). Every item expires ``ttl_seconds`` after it was written.

    ``client`` is a boto3 ``dynamodb`` client to use instead of making one on first use;
    ``clock`` tells the time in epoch seconds (tests move it on to expire items). DynamoDB's
    errors are logged and raised as :class:`~lambda_asgi.WebSocketError`.
    """

    def __init__(
        self,
        table_name: str,
        *,
        ttl_seconds: int = MAX_CONNECTION_SECONDS,
        client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not table_name:
            raise ConfigurationError("table_name", "must name a DynamoDB table")
        if ttl_seconds <= 0:
            raise ConfigurationError("ttl_seconds", f"must be positive, not {ttl_seconds}")
        self.table_name = table_name
        self.ttl_seconds = ttl_seconds
        self._client = client
        self._client_lock = threading.Lock()
        self._clock = clock

    def __repr__(self) -> str:
        return f"DynamoDBStore({self.table_name!r})"

    async def save(self, record: ConnectionRecord) -> None:
        await run_blocking(self._save, copy.deepcopy(record))

    async def load(self, connection_id: str) -> ConnectionRecord | None:
        return await run_blocking(self._load, connection_id)

    async def remove(self, connection_id: str) -> None:
        await run_blocking(self._remove, connection_id)

    async def join(self, connection_id: str, group: str) -> None:
        await run_blocking(self._write, self._membership(connection_id, group, "PutRequest"))

    async def leave(self, connection_id: str, group: str) -> None:
        await run_blocking(self._write, self._membership(connection_id, group, "DeleteRequest"))

    async def members(self, group: str) -> list[str]:
        return await run_blocking(self._members, group)

    def _expiry(self) -> dict[str, str]:
        return {"N": str(int(self._clock()) + self.ttl_seconds)}

    def _membership(self, connection_id: str, group: str, kind: str) -> list[dict[str, Any]]:
        """The two items that say ``connection_id`` is in ``group``, as write requests."""
        keys = [
            {"pk": {"S": _group_key(group)}, "sk": {"S": _connection_key(connection_id)}},
            {"pk": {"S": _connection_key(connection_id)}, "sk": {"S": _group_key(group)}},
        ]
        if kind == "PutRequest":
            return [{kind: {"Item": {**key, "ttl": self._expiry()}}} for key in keys]
        return [{kind: {"Key": key}} for key in keys]

    # What follows runs on worker threads.

    def _save(self, record: ConnectionRecord) -> None:
        connection_id = record["connection_id"]
        item = {
            "pk": {"S": _connection_key(connection_id)},
            "sk": {"S": "meta"},
            "record": {"S": json.dumps({**record, "groups": []}, separators=(",", ":"))},
            "ttl": self._expiry(),
        }
        self._call("put_item", TableName=self.table_name, Item=item)
        self._write(
            [
                request
                for group in dict.fromkeys(record["groups"])
                for request in self._membership(connection_id, group, "PutRequest")
            ]
        )

    def _load(self, connection_id: str) -> ConnectionRecord | None:
        record: ConnectionRecord | None = None
        groups = []
        for item in self._query(_connection_key(connection_id)):
            if item["sk"]["S"] == "meta":
                record = json.loads(item["record"]["S"])
            else:
                groups.append(item["sk"]["S"].removeprefix("group#"))
        if record is not None:
            record["groups"] = groups
        return record

    def _remove(self, connection_id: str) -> None:
        pk = _connection_key(connection_id)
        keys = []
        for item in self._query(pk, live_only=False):
            keys.append({"pk": item["pk"], "sk": item["sk"]})
            if item["sk"]["S"].startswith("group#"):
                keys.append({"pk": item["sk"], "sk": {"S": pk}})
        self._write([{"DeleteRequest": {"Key": key}} for key in keys])

    def _members(self, group: str) -> list[str]:
        return [item["sk"]["S"].removeprefix("conn#") for item in self._query(_group_key(group))]

    def _write(self, requests: list[dict[str, Any]]) -> None:
        """Batches of 25 writes (DynamoDB's most per call)."""
        for start in range(0, len(requests), 25):
            self._write_batch(requests[start : start + 25])

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        """One batch; what DynamoDB leaves unprocessed (throttled) is sent again, 5 tries."""
        pending: dict[str, Any] = {self.table_name: batch}
        for delay in (0.05, 0.1, 0.2, 0.4, None):
            answer = self._call("batch_write_item", RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            if delay is not None:
                _pause(delay)
        left = len(pending[self.table_name])
        logger.error(
            "DynamoDB left %d writes to %s unprocessed after 5 tries", left, self.table_name
        )
        raise WebSocketError(
            f"DynamoDB left {left} writes to table {self.table_name} unprocessed "
            "(throttled): the connection store is incomplete"
        )

    def _query(self, pk: str, *, live_only: bool = True) -> Iterator[dict[str, Any]]:
        """Every item under ``pk`` in sort-key order, each page fetched as it is reached."""
        now = int(self._clock())
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }
        while True:
            page = self._call("query", **params)
            for item in page.get("Items", []):
                # DynamoDB deletes expired items within days, not at once.
                if not live_only or int(item["ttl"]["N"]) > now:
                    yield item
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One DynamoDB call; botocore's errors become a logged WebSocketError."""
        from botocore.exceptions import BotoCoreError, ClientError

        with self._client_lock:
            if self._client is None:
                # botocore's standard retries (3 tries) ride out brief throttling.
                self._client = make_client("dynamodb", attempts=3, region_name=environment_region())
            client = self._client
        try:
            answer: dict[str, Any] = getattr(client, operation)(**params)
        except (BotoCoreError, ClientError) as exc:
            logger.error("DynamoDB %s on table %s failed: %s", operation, self.table_name, exc)
            raise WebSocketError(
                f"DynamoDB {operation} on table {self.table_name} failed: {exc}"
            ) from exc
        return answer
