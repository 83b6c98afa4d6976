"""The Management API (lambda_asgi.websocket._management): where the endpoint is, one client
per endpoint, boto3 off the event loop, retries of 429 and AWS's errors as lambda_asgi's.

moto serves the happy paths (it never answers 410, 413 or 429); botocore's Stubber the
errors; bench.websocket's local endpoint the endpoint configuration of the environment.
"""

from __future__ import annotations

import asyncio
import datetime
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from bench.websocket import FakeConnectionsEndpoint
from lambda_asgi import (
    ConfigurationError,
    ConnectionGoneError,
    ManagementAPIError,
    MessageTooLargeError,
    WebSocketError,
)
from lambda_asgi.websocket import (
    MAX_MESSAGE_BYTES,
    ManagementAPI,
    _aws,
    _management,
    endpoint_for,
    management_api,
)
from tests.websocket_aws import (
    API_ID,
    CONNECTION,
    DOMAIN,
    ENDPOINT,
    MESSAGE_EVENT,
    REGION,
    clean_aws_environment,
    message_event,
    stubbed_client,
)

ROOT = Path(__file__).resolve().parent.parent
LOGGER = "lambda_asgi.websocket"


@pytest.fixture(autouse=True)
def _clean_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_aws_environment(monkeypatch, tmp_path)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retries' pauses, recorded instead of slept."""
    recorded: list[float] = []

    async def sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(_management, "_sleep", sleep)
    return recorded


def websocket_logs(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == LOGGER]


# Where the endpoint is


def test_endpoint_from_the_events_domain_and_stage() -> None:
    assert endpoint_for(MESSAGE_EVENT) == f"https://{DOMAIN}/prod"


def test_endpoint_behind_a_custom_domain_uses_the_api_id_and_the_functions_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    event = message_event(domainName="chat.example.com", stage="live")
    assert endpoint_for(event) == f"https://{API_ID}.execute-api.ap-southeast-2.amazonaws.com/live"

    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-north-1")
    assert endpoint_for(event) == f"https://{API_ID}.execute-api.cn-north-1.amazonaws.com.cn/live"


@given(
    api_id=st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=10, max_size=10),
    region=st.sampled_from(["us-east-1", "eu-central-2", "ap-northeast-3", "cn-northwest-1"]),
    stage=st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True),
)
def test_an_execute_api_domain_is_used_as_it_is(api_id: str, region: str, stage: str) -> None:
    suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
    domain = f"{api_id}.execute-api.{region}{suffix}"
    event = message_event(domainName=domain, stage=stage, apiId=api_id)
    assert endpoint_for(event) == f"https://{domain}/{stage}"


def test_an_explicit_endpoint_wins_over_the_event() -> None:
    assert endpoint_for(MESSAGE_EVENT, "https://ws.example.com/prod/") == (
        "https://ws.example.com/prod"
    )


@pytest.mark.parametrize(
    "variable", ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "AWS_ENDPOINT_URL"]
)
def test_the_environments_endpoint_wins_over_the_event_and_the_override(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "http://127.0.0.1:3000")
    assert endpoint_for(MESSAGE_EVENT) is None
    assert endpoint_for(MESSAGE_EVENT, "https://ws.example.com/prod") is None


def test_configured_endpoints_are_ignored_when_aws_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://127.0.0.1:3000")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "True")
    assert endpoint_for(MESSAGE_EVENT) == ENDPOINT


def test_an_empty_endpoint_variable_configures_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "  ")
    assert endpoint_for(MESSAGE_EVENT) == ENDPOINT


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"body": "x"}, "the event has no requestContext: it is not a WebSocket API event"),
        (
            message_event(stage=None),
            "the event's requestContext lacks domainName or stage, so the Management API "
            "endpoint is unknown: pass it explicitly",
        ),
        (
            message_event(domainName=""),
            "the event's requestContext lacks domainName or stage, so the Management API "
            "endpoint is unknown: pass it explicitly",
        ),
        (
            message_event(domainName="chat.example.com", apiId=None),
            "behind the custom domain chat.example.com the Management API endpoint is "
            "https://{apiId}.execute-api.{region}.amazonaws.com/prod, but the event has no "
            "apiId or AWS_REGION is not set: pass the endpoint explicitly",
        ),
    ],
)
def test_an_event_without_what_the_endpoint_needs_is_a_clear_error(
    event: dict[str, Any], message: str
) -> None:
    with pytest.raises(WebSocketError) as raised:
        endpoint_for(event)
    assert str(raised.value) == message


def test_a_custom_domain_without_a_region_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(WebSocketError, match="AWS_REGION is not set"):
        endpoint_for(message_event(domainName="chat.example.com"))


# One client per endpoint and process


def test_one_management_api_per_endpoint() -> None:
    first = management_api(ENDPOINT)
    assert management_api(ENDPOINT) is first
    assert management_api("https://other.execute-api.eu-west-1.amazonaws.com/prod") is not first
    assert repr(first) == f"ManagementAPI({ENDPOINT!r})"


def test_concurrent_first_uses_share_one_api_and_one_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[dict[str, Any]] = []
    barrier = threading.Barrier(8)

    def make_client(service: str, **kwargs: Any) -> Any:
        made.append({"service": service, **kwargs})
        return _aws.make_client(service, **kwargs)

    monkeypatch.setattr(_management, "make_client", make_client)
    apis: list[ManagementAPI] = []
    clients: list[Any] = []

    def first_use() -> None:
        barrier.wait()
        api = management_api(ENDPOINT)
        apis.append(api)
        clients.append(api._client_now())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(api) for api in apis}) == 1
    assert len({id(client) for client in clients}) == 1
    assert made == [
        {
            "service": "apigatewaymanagementapi",
            "attempts": 1,
            "endpoint_url": ENDPOINT,
            "region_name": REGION,  # from the endpoint's host, not AWS_REGION
            "read_timeout": 10.0,
        }
    ]


def test_the_client_is_made_on_first_call_without_sdk_retries() -> None:
    api = ManagementAPI(ENDPOINT, timeout=3.0)
    assert api._client is None
    client = api._client_now()
    assert client.meta.endpoint_url == ENDPOINT
    assert client.meta.region_name == REGION
    assert client.meta.config.retries == {"total_max_attempts": 1, "mode": "standard"}
    assert client.meta.config.read_timeout == 3.0
    assert client.meta.config.max_pool_connections == _aws.WORKERS


def test_a_local_endpoint_takes_the_functions_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    assert ManagementAPI("http://127.0.0.1:3000")._client_now().meta.region_name == "sa-east-1"
    explicit = ManagementAPI("http://127.0.0.1:3000", region="af-south-1")
    assert explicit._client_now().meta.region_name == "af-south-1"


def test_no_endpoint_at_all_is_a_clear_error() -> None:
    api = management_api(None)
    with pytest.raises(WebSocketError) as raised:
        asyncio.run(api.post(CONNECTION, b"hello"))
    assert str(raised.value) == (
        "no Management API endpoint: pass one (https://{apiId}.execute-api.{region}"
        ".amazonaws.com/{stage}) or set AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"
    )


def test_no_region_at_all_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(WebSocketError) as raised:
        asyncio.run(ManagementAPI("http://127.0.0.1:3000").post(CONNECTION, b"hello"))
    assert str(raised.value) == (
        "no AWS region for the apigatewaymanagementapi client: set AWS_REGION (Lambda sets it) "
        "or AWS_DEFAULT_REGION"
    )


# The happy paths, against moto


@mock_aws
def test_post_get_delete_against_moto() -> None:
    api = management_api(endpoint_for(MESSAGE_EVENT))
    connections = apigatewaymanagementapi_backends["123456789012"][REGION].connections

    async def main() -> dict[str, Any]:
        await api.post(CONNECTION, b'{"text": "hello"}', request_id="req-1")
        await api.post(CONNECTION, b" again")
        return await api.get(CONNECTION)

    info = asyncio.run(main())
    # moto keeps the id as it arrived in the path: percent-encoded.
    assert connections[quote(CONNECTION, safe="")].data == b'{"text": "hello"} again'
    assert info == {
        "connectedAt": info["connectedAt"],
        "identity": {"sourceIp": "192.168.0.1", "userAgent": "Moto Mocks"},
        "lastActiveAt": info["lastActiveAt"],
    }
    assert isinstance(info["connectedAt"], datetime.datetime)
    assert isinstance(info["lastActiveAt"], datetime.datetime)

    asyncio.run(api.delete(CONNECTION))
    assert quote(CONNECTION, safe="") not in connections


def test_a_message_of_exactly_the_limit_is_sent() -> None:
    client = stubbed_client()
    data = b"x" * MAX_MESSAGE_BYTES
    with Stubber(client) as stubber:
        stubber.add_response("post_to_connection", {}, {"ConnectionId": CONNECTION, "Data": data})
        asyncio.run(ManagementAPI(client=client).post(CONNECTION, data))
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "variable", ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "AWS_ENDPOINT_URL"]
)
def test_the_environments_endpoint_is_where_the_calls_go(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    with FakeConnectionsEndpoint() as endpoint:
        monkeypatch.setenv(variable, f"{endpoint.url}/local")
        api = management_api(endpoint_for(MESSAGE_EVENT, "https://ignored.example.com/prod"))

        async def main() -> dict[str, Any]:
            await api.post("a/b=", b"hello")
            info = await api.get("a/b=")
            await api.delete("a/b=")
            return info

        info = asyncio.run(main())
    assert endpoint.requests == [
        ("POST", "/local/@connections/a/b=", b"hello"),
        ("GET", "/local/@connections/a/b=", b""),
        ("DELETE", "/local/@connections/a/b=", b""),
    ]
    assert info == {
        "connectedAt": datetime.datetime(2026, 12, 5, 7, 0, tzinfo=datetime.timezone.utc),
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "bench"},
        "lastActiveAt": datetime.datetime(2026, 12, 5, 7, 0, 1, tzinfo=datetime.timezone.utc),
    }


# AWS's errors, through the Stubber


def test_gone_is_a_connection_gone_error_and_an_oserror(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = stubbed_client()
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "post_to_connection",
            service_error_code="GoneException",
            service_message="Gone",
            http_status_code=410,
            expected_params={"ConnectionId": CONNECTION, "Data": b"hello"},
            response_meta={"RequestId": "aws-1"},
        )
        with pytest.raises(ConnectionGoneError) as raised:
            asyncio.run(ManagementAPI(client=client).post(CONNECTION, b"hello", request_id="r-1"))
    assert isinstance(raised.value, OSError)
    assert raised.value.connection_id == CONNECTION
    assert str(raised.value) == f"WebSocket connection {CONNECTION!r} is gone (410)"
    assert websocket_logs(caplog) == [
        (
            "INFO",
            f"post_to_connection for connection {CONNECTION} (request r-1) failed: "
            "410 GoneException: Gone (AWS request id aws-1)",
        )
    ]


def test_get_of_a_gone_connection_raises_and_delete_of_one_does_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = stubbed_client()
    api = ManagementAPI(client=client)
    with Stubber(client) as stubber:
        for method in ("get_connection", "delete_connection"):
            stubber.add_client_error(method, "GoneException", "Gone", 410)
        with pytest.raises(ConnectionGoneError):
            asyncio.run(api.get(CONNECTION, request_id="r-2"))
        asyncio.run(api.delete(CONNECTION, request_id="r-3"))
        stubber.assert_no_pending_responses()
    assert websocket_logs(caplog) == [
        (
            "INFO",
            f"get_connection for connection {CONNECTION} (request r-2) failed: "
            "410 GoneException: Gone (AWS request id -)",
        ),
        ("DEBUG", f"connection {CONNECTION} (request r-3) was already gone when deleted"),
    ]


def test_payload_too_large_from_aws_is_a_message_too_large_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = stubbed_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("post_to_connection", "PayloadTooLargeException", "Too large", 413)
        with pytest.raises(MessageTooLargeError) as raised:
            asyncio.run(ManagementAPI(client=client).post(CONNECTION, b"x" * 1000))
    assert (raised.value.size, raised.value.limit) == (1000, MAX_MESSAGE_BYTES)
    assert isinstance(raised.value, ValueError)
    assert websocket_logs(caplog) == [
        (
            "WARNING",
            f"post_to_connection for connection {CONNECTION} (request -) failed: "
            "413 PayloadTooLargeException: Too large (AWS request id -)",
        )
    ]


def test_a_message_over_the_limit_is_refused_before_any_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = stubbed_client()
    with Stubber(client) as stubber:  # no response queued: any call would fail the test
        with pytest.raises(MessageTooLargeError) as raised:
            asyncio.run(
                ManagementAPI(client=client).post(
                    CONNECTION, b"x" * (MAX_MESSAGE_BYTES + 1), request_id="r-4"
                )
            )
        stubber.assert_no_pending_responses()
    assert str(raised.value) == (
        "a WebSocket message of 131073 bytes exceeds API Gateway's limit of 131072 bytes"
    )
    assert websocket_logs(caplog) == [
        (
            "WARNING",
            f"not sending a 131073-byte message to connection {CONNECTION} (request r-4): "
            "API Gateway accepts at most 131072 bytes",
        )
    ]


def test_throttling_is_retried_with_backoff_until_it_succeeds(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    client = stubbed_client()
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error(
                "post_to_connection", "LimitExceededException", "Slow down", 429
            )
        stubber.add_response("post_to_connection", {})
        asyncio.run(ManagementAPI(client=client).post(CONNECTION, b"hello", request_id="r-5"))
        stubber.assert_no_pending_responses()
    assert sleeps == [0.05, 0.1, 0.2]
    assert websocket_logs(caplog) == [
        (
            "WARNING",
            f"post_to_connection for connection {CONNECTION} (request r-5) throttled "
            f"(LimitExceededException); retry {n} of 4 in {delay} s",
        )
        for n, delay in [(1, "0.05"), (2, "0.10"), (3, "0.20")]
    ]


def test_throttling_past_the_retries_is_a_management_api_error(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    client = stubbed_client()
    api = ManagementAPI(client=client, retries=2, backoff=0.5)
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error(
                "post_to_connection",
                "LimitExceededException",
                "Slow down",
                429,
                response_meta={"RequestId": "aws-3"},
            )
        with pytest.raises(ManagementAPIError) as raised:
            asyncio.run(api.post(CONNECTION, b"hello", request_id="r-6"))
        stubber.assert_no_pending_responses()
    error = raised.value
    assert (error.connection_id, error.status, error.code) == (
        CONNECTION,
        429,
        "LimitExceededException",
    )
    assert sleeps == [0.5, 1.0]
    assert websocket_logs(caplog)[-1] == (
        "ERROR",
        f"post_to_connection for connection {CONNECTION} (request r-6) failed: "
        "429 LimitExceededException: Slow down (AWS request id aws-3) after 2 retries",
    )


def test_forbidden_is_not_retried(sleeps: list[float], caplog: pytest.LogCaptureFixture) -> None:
    client = stubbed_client()
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "post_to_connection",
            "ForbiddenException",
            "Forbidden",
            403,
            response_meta={"RequestId": "aws-4"},
        )
        with pytest.raises(ManagementAPIError) as raised:
            asyncio.run(ManagementAPI(client=client).post(CONNECTION, b"x", request_id="r-7"))
    assert (raised.value.status, raised.value.code) == (403, "ForbiddenException")
    assert str(raised.value) == (
        f"Management API call for connection {CONNECTION!r} failed "
        "(status 403, ForbiddenException): Forbidden"
    )
    assert sleeps == []
    assert websocket_logs(caplog) == [
        (
            "ERROR",
            f"post_to_connection for connection {CONNECTION} (request r-7) failed: "
            "403 ForbiddenException: Forbidden (AWS request id aws-4)",
        )
    ]


def test_errors_of_get_and_delete_are_mapped_too() -> None:
    client = stubbed_client()
    api = ManagementAPI(client=client)
    with Stubber(client) as stubber:
        stubber.add_client_error("get_connection", "ForbiddenException", "No", 403)
        stubber.add_client_error("delete_connection", "InternalServerError", "Oops", 500)
        with pytest.raises(ManagementAPIError) as get_error:
            asyncio.run(api.get(CONNECTION))
        with pytest.raises(ManagementAPIError) as delete_error:
            asyncio.run(api.delete(CONNECTION))
    assert (get_error.value.status, get_error.value.code) == (403, "ForbiddenException")
    assert (delete_error.value.status, delete_error.value.code) == (500, "InternalServerError")


def test_an_unreachable_endpoint_is_retried_then_a_management_api_error_without_status(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1: each connection is refused at once.
    api = ManagementAPI("http://127.0.0.1:1/prod", retries=2)
    with pytest.raises(ManagementAPIError) as raised:
        asyncio.run(api.post(CONNECTION, b"hello", request_id="r-8"))
    assert (raised.value.status, raised.value.code) == (None, "EndpointConnectionError")
    assert sleeps == [0.05, 0.1]
    logs = websocket_logs(caplog)
    assert logs[:2] == [
        (
            "WARNING",
            f"post_to_connection for connection {CONNECTION} (request r-8) did not reach API "
            f"Gateway (EndpointConnectionError); retry {n} of 2 in {delay} s",
        )
        for n, delay in [(1, "0.05"), (2, "0.10")]
    ]
    level, message = logs[2]
    assert level == "ERROR"
    assert message.startswith(
        f"post_to_connection for connection {CONNECTION} (request r-8) failed: "
        "None EndpointConnectionError: Could not connect to the endpoint URL"
    )
    assert message.endswith("(AWS request id -) after 2 retries")


def test_a_connection_gone_stale_while_frozen_is_retried(sleeps: list[float]) -> None:
    calls: list[dict[str, Any]] = []

    class ThawedClient:
        """Its kept-alive connection was closed by API Gateway while Lambda froze us."""

        def post_to_connection(self, **params: Any) -> dict[str, Any]:
            calls.append(params)
            if len(calls) == 1:
                raise ConnectionClosedError(endpoint_url=f"{ENDPOINT}/@connections/x")
            return {}

    asyncio.run(ManagementAPI(client=ThawedClient()).post(CONNECTION, b"hello"))
    assert calls == [{"ConnectionId": CONNECTION, "Data": b"hello"}] * 2
    assert sleeps == [0.05]


def test_a_read_timeout_is_not_retried(sleeps: list[float]) -> None:
    class SlowClient:
        def post_to_connection(self, **params: Any) -> dict[str, Any]:
            raise ReadTimeoutError(endpoint_url=ENDPOINT)

    with pytest.raises(ManagementAPIError) as raised:
        asyncio.run(ManagementAPI(client=SlowClient()).post(CONNECTION, b"hello"))
    assert (raised.value.status, raised.value.code) == (None, "ReadTimeoutError")
    assert sleeps == []


# Retry settings


def test_the_pauses_double_up_to_the_cap() -> None:
    api = ManagementAPI(retries=6, backoff=0.5, max_backoff=2.0)
    assert api.delays() == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert ManagementAPI().delays() == [0.05, 0.1, 0.2, 0.4]
    assert ManagementAPI(retries=0).delays() == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retries": -1}, "retries: must be 0 or more, not -1"),
        ({"backoff": 2.0}, "backoff: must be between 0 and max_backoff (1.0), not 2.0"),
        ({"backoff": -0.1}, "backoff: must be between 0 and max_backoff (1.0), not -0.1"),
        (
            {"retries": 12, "backoff": 0.5, "max_backoff": 5.0},
            "retries: 12 retries from 0.5 s would pause 47.50 s, more than 10.0 s",
        ),
    ],
)
def test_retry_settings_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        ManagementAPI(**options)
    assert str(raised.value) == message


# Never blocking the loop, never holding up the exit


def test_other_tasks_run_while_a_post_waits_on_the_network() -> None:
    started = threading.Event()
    release = threading.Event()
    order: list[str] = []

    class SlowClient:
        def post_to_connection(self, **params: Any) -> dict[str, Any]:
            started.set()
            # Bounded only so that a regression fails instead of hanging: the other task is
            # what releases it, which it can do only if the loop is not blocked.
            if not release.wait(timeout=30):
                order.append("post gave up waiting")
            order.append("posted")
            return {}

    async def other_invocation() -> None:
        while not started.is_set():
            await asyncio.sleep(0)
        order.append("other task ran")
        release.set()

    async def main() -> None:
        api = ManagementAPI(client=SlowClient())
        await asyncio.gather(api.post(CONNECTION, b"hello"), other_invocation())

    asyncio.run(main())
    assert order == ["other task ran", "posted"]


def test_a_post_stuck_on_the_network_does_not_keep_the_process_alive() -> None:
    program = textwrap.dedent(
        """
        import asyncio, threading
        from lambda_asgi.websocket import ManagementAPI

        started = threading.Event()

        class StuckClient:
            def post_to_connection(self, **params):
                started.set()
                threading.Event().wait()  # a request that never returns

        async def main():
            task = asyncio.create_task(ManagementAPI(client=StuckClient()).post("c", b"x"))
            while not started.is_set():
                await asyncio.sleep(0)
            print("leaving with the post still running", flush=True)

        asyncio.run(main())
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # a failsafe: without daemon workers the interpreter waits forever
    )
    assert (completed.returncode, completed.stdout) == (
        0,
        "leaving with the post still running\n",
    )


def test_workers_are_reused_and_bounded() -> None:
    executor = _aws.DaemonExecutor(2, "test-workers")
    release = threading.Event()
    futures = [executor.submit(release.wait) for _ in range(5)]
    assert len(executor._threads) == 2
    release.set()
    assert [future.result() for future in futures] == [True] * 5
    assert executor.submit(lambda: "again").result() == "again"
    assert len(executor._threads) == 2
    assert all(thread.daemon for thread in executor._threads)


def test_a_cancelled_call_is_skipped_by_the_worker() -> None:
    executor = _aws.DaemonExecutor(1, "test-cancel")
    release = threading.Event()
    ran: list[str] = []
    blocker = executor.submit(release.wait)
    queued = executor.submit(ran.append, "queued")
    assert queued.cancel()
    release.set()
    assert blocker.result() is True
    assert executor.submit(ran.append, "after").result() is None
    assert ran == ["after"]


def test_an_exception_on_a_worker_reaches_the_awaiting_coroutine() -> None:
    def fail() -> None:
        raise LookupError("from the worker")

    async def main() -> None:
        await _aws.run_blocking(fail)

    with pytest.raises(LookupError, match="from the worker"):
        asyncio.run(main())
