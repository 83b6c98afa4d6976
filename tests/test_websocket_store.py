"""Connection stores (lambda_asgi.websocket._store): MemoryStore, and DynamoDBStore against
moto's DynamoDB with the table docs/websocket-connections.md defines. Both must agree on
every sequence of operations; DynamoDB's expiry, paging, batching and errors get their own
tests.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from lambda_asgi import ConfigurationError, WebSocketError
from lambda_asgi.websocket import (
    ConnectionRecord,
    ConnectionStore,
    DynamoDBStore,
    MemoryStore,
    _store,
)
from tests.websocket_aws import clean_aws_environment, create_connection_table

NOW = 1_796_454_000  # 2026-12-05 07:00 UTC, in epoch seconds
LOGGER = "lambda_asgi.websocket"


@pytest.fixture(autouse=True)
def _clean_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_aws_environment(monkeypatch, tmp_path)


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(_store, "_pause", recorded.append)
    return recorded


def record(
    connection_id: str = "L0SM9cOFvHcCIhw=", groups: list[str] | None = None
) -> ConnectionRecord:
    """What $connect saw for a browser that offered two subprotocols and accepted one."""
    return {
        "connection_id": connection_id,
        "path": "/ws",
        "query_string": "nick=ana&room=lobby",
        "headers": [
            ["host", "abcd1234.execute-api.eu-west-1.amazonaws.com"],
            ["origin", "https://chat.example.com"],
            ["sec-websocket-protocol", "chat.v2, chat.v1"],
            ["cookie", "session=abc"],
            ["x-forwarded-for", "192.0.2.10"],
        ],
        "subprotocol": "chat.v2",
        "client": ["192.0.2.10", 0],
        "connected_at": NOW * 1000,
        "groups": groups or [],
    }


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def scan(client: Any, table: str = "connections") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.scan(TableName=table)["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


# Both stores agree

IDS = st.sampled_from(["c1", "c2", "Zm9v#YmFy="])
GROUPS = st.sampled_from(["lobby", "room#1", "ümlaut"])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("save"), IDS, st.lists(GROUPS, max_size=2)),
        st.tuples(st.just("join"), IDS, GROUPS),
        st.tuples(st.just("leave"), IDS, GROUPS),
        st.tuples(st.just("remove"), IDS),
    ),
    max_size=10,
)


async def apply(store: ConnectionStore, operations: list[tuple[Any, ...]]) -> dict[str, Any]:
    for operation, connection_id, *rest in operations:
        if operation == "save":
            await store.save(record(connection_id, rest[0]))
        elif operation == "join":
            await store.join(connection_id, rest[0])
        elif operation == "leave":
            await store.leave(connection_id, rest[0])
        else:
            await store.remove(connection_id)
    return {
        "records": {cid: await store.load(cid) for cid in ["c1", "c2", "Zm9v#YmFy="]},
        "members": {group: await store.members(group) for group in ["lobby", "room#1", "ümlaut"]},
    }


def test_memory_and_dynamodb_stores_agree() -> None:
    # One moto for every example (starting it is most of an example's cost), a table each.
    tables = itertools.count()
    with mock_aws():

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(operations=OPERATIONS)
        def agree(operations: list[tuple[Any, ...]]) -> None:
            table = f"connections-{next(tables)}"
            client = create_connection_table(table)
            in_memory = run(apply(MemoryStore(), operations))
            in_dynamodb = run(apply(DynamoDBStore(table, clock=lambda: NOW), operations))
            client.delete_table(TableName=table)
            assert in_dynamodb == in_memory

        agree()


# MemoryStore


def test_memory_store_round_trip_and_groups() -> None:
    store = MemoryStore()

    async def main() -> tuple[Any, ...]:
        await store.save(record("a"))
        await store.save(record("b", ["lobby"]))
        await store.join("a", "lobby")
        await store.join("a", "games")
        await store.join("a", "games")
        first = (await store.load("a"), await store.members("lobby"), await store.members("games"))
        await store.leave("a", "games")
        await store.leave("a", "nowhere")
        await store.remove("b")
        await store.remove("never-saved")
        second = (await store.load("a"), await store.load("b"), await store.members("lobby"))
        return first, second

    first, second = run(main())
    assert first == (record("a", ["games", "lobby"]), ["a", "b"], ["a"])
    assert second == (record("a", ["lobby"]), None, ["a"])
    assert store._groups == {"lobby": {"a"}}
    assert store._memberships == {"a": {"lobby"}}


def test_memory_store_copies_records_in_and_out() -> None:
    store = MemoryStore()
    saved = record("a")
    run(store.save(saved))
    saved["headers"].append(["x-late", "1"])
    loaded = run(store.load("a"))
    loaded["headers"].clear()
    assert run(store.load("a")) == record("a")


def test_memory_store_is_safe_across_threads() -> None:
    store = MemoryStore()
    barrier = threading.Barrier(8)

    def joiner(index: int) -> None:
        barrier.wait()
        for n in range(50):
            asyncio.run(store.join(f"c{index}-{n}", "lobby"))

    threads = [threading.Thread(target=joiner, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(run(store.members("lobby"))) == 400


# DynamoDBStore: the table layout


@mock_aws
def test_dynamodb_items_are_the_documented_layout() -> None:
    client = create_connection_table()
    store = DynamoDBStore("connections", clock=lambda: NOW)

    async def main() -> Any:
        await store.save(record("a", ["lobby"]))
        return await store.load("a")

    assert run(main()) == record("a", ["lobby"])
    expires = {"N": str(NOW + 7200)}
    stored = (
        '{"connection_id":"a","path":"/ws","query_string":"nick=ana&room=lobby","headers":'
        '[["host","abcd1234.execute-api.eu-west-1.amazonaws.com"],["origin",'
        '"https://chat.example.com"],["sec-websocket-protocol","chat.v2, chat.v1"],'
        '["cookie","session=abc"],["x-forwarded-for","192.0.2.10"]],"subprotocol":"chat.v2",'
        '"client":["192.0.2.10",0],"connected_at":1796454000000,"groups":[]}'
    )
    assert scan(client) == [
        {"pk": {"S": "conn#a"}, "sk": {"S": "group#lobby"}, "ttl": expires},
        {"pk": {"S": "conn#a"}, "sk": {"S": "meta"}, "record": {"S": stored}, "ttl": expires},
        {"pk": {"S": "group#lobby"}, "sk": {"S": "conn#a"}, "ttl": expires},
    ]
    assert repr(store) == "DynamoDBStore('connections')"


@mock_aws
def test_expired_items_are_absent_until_dynamodb_deletes_them_and_remove_deletes_them() -> None:
    client = create_connection_table()
    now = [float(NOW)]
    store = DynamoDBStore("connections", ttl_seconds=60, clock=lambda: now[0])
    run(store.save(record("a", ["lobby"])))
    now[0] += 59
    assert run(store.load("a")) == record("a", ["lobby"])
    assert run(store.members("lobby")) == ["a"]

    now[0] += 1  # the ttl is reached: DynamoDB may keep the items for days yet
    assert run(store.load("a")) is None
    assert run(store.members("lobby")) == []
    assert len(scan(client)) == 3

    run(store.remove("a"))
    assert scan(client) == []


class PagedClient:
    """moto's client, with queries answered one item per page."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.pages = 0

    def query(self, **params: Any) -> Any:
        self.pages += 1
        return self.client.query(Limit=1, **params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@mock_aws
def test_every_page_of_a_query_is_read() -> None:
    paged = PagedClient(create_connection_table())
    store = DynamoDBStore("connections", client=paged, clock=lambda: NOW)

    async def main() -> Any:
        for connection_id in ("a", "b", "c"):
            await store.save(record(connection_id, ["lobby", "games"]))
        return await store.load("b"), await store.members("lobby")

    assert run(main()) == (record("b", ["games", "lobby"]), ["a", "b", "c"])
    assert paged.pages == 6  # three items under conn#b, three under group#lobby


@mock_aws
def test_removing_a_connection_in_many_groups_writes_several_batches() -> None:
    client = create_connection_table()
    store = DynamoDBStore("connections", clock=lambda: NOW)
    groups = [f"room-{n:02}" for n in range(15)]
    run(store.save(record("a", groups)))
    assert len(scan(client)) == 31
    assert run(store.load("a")) == record("a", groups)
    run(store.remove("a"))
    assert scan(client) == []


class Unprocessing:
    """moto's client, whose first ``fail_times`` batch writes process nothing."""

    def __init__(self, client: Any, fail_times: int) -> None:
        self.client = client
        self.fail_times = fail_times
        self.batches: list[int] = []

    def batch_write_item(self, **params: Any) -> Any:
        self.batches.append(len(params["RequestItems"]["connections"]))
        if len(self.batches) <= self.fail_times:
            return {"UnprocessedItems": params["RequestItems"]}
        return self.client.batch_write_item(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@mock_aws
def test_unprocessed_writes_are_sent_again(pauses: list[float]) -> None:
    client = Unprocessing(create_connection_table(), fail_times=2)
    store = DynamoDBStore("connections", client=client, clock=lambda: NOW)
    run(store.join("a", "lobby"))
    assert client.batches == [2, 2, 2]
    assert pauses == [0.05, 0.1]
    assert run(store.members("lobby")) == ["a"]


@mock_aws
def test_writes_left_unprocessed_for_good_are_an_error(
    pauses: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    client = Unprocessing(create_connection_table(), fail_times=99)
    store = DynamoDBStore("connections", client=client)
    with pytest.raises(WebSocketError) as raised:
        run(store.join("a", "lobby"))
    assert str(raised.value) == (
        "DynamoDB left 2 writes to table connections unprocessed (throttled): the connection "
        "store is incomplete"
    )
    assert client.batches == [2] * 5
    assert pauses == [0.05, 0.1, 0.2, 0.4]
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == LOGGER] == [
        ("ERROR", "DynamoDB left 2 writes to connections unprocessed after 5 tries")
    ]


@mock_aws
def test_dynamodb_errors_are_logged_websocket_errors(caplog: pytest.LogCaptureFixture) -> None:
    store = DynamoDBStore("missing")
    with pytest.raises(WebSocketError) as raised:
        run(store.load("a"))
    message = (
        "DynamoDB query on table missing failed: An error occurred (ResourceNotFoundException) "
        "when calling the Query operation: Requested resource not found"
    )
    assert str(raised.value) == message
    assert type(raised.value.__cause__).__name__ == "ResourceNotFoundException"
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == LOGGER] == [
        ("ERROR", message)
    ]


@mock_aws
def test_the_client_is_made_on_first_use_in_the_functions_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # wins over AWS_DEFAULT_REGION=us-east-1
    create_connection_table(region="eu-west-1")
    store = DynamoDBStore("connections")
    assert store._client is None
    run(store.save(record("a")))
    client: Any = store._client
    assert client.meta.region_name == "eu-west-1"
    assert run(store.load("a")) == record("a")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"table_name": ""}, "table_name: must name a DynamoDB table"),
        ({"table_name": "t", "ttl_seconds": 0}, "ttl_seconds: must be positive, not 0"),
    ],
)
def test_dynamodb_store_settings_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        DynamoDBStore(**options)
    assert str(raised.value) == message
