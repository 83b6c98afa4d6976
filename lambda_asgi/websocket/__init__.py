"""Reach API Gateway WebSocket connections: the Management API, connection stores, a client.

Importing this package imports no boto3: the first call that needs the Management API or
DynamoDB does, on a worker thread. See docs/websocket-connections.md.
"""

from __future__ import annotations

from ._client import BroadcastResult, Connections, ManagementSender, SyncConnections
from ._management import MAX_MESSAGE_BYTES, ManagementAPI, endpoint_for, management_api
from ._store import ConnectionRecord, ConnectionStore, DynamoDBStore, MemoryStore

__all__ = [
    "MAX_MESSAGE_BYTES",
    "BroadcastResult",
    "ConnectionRecord",
    "ConnectionStore",
    "Connections",
    "DynamoDBStore",
    "ManagementAPI",
    "ManagementSender",
    "MemoryStore",
    "SyncConnections",
    "endpoint_for",
    "management_api",
]
