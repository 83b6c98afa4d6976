"""``lambda-asgi serve --source websocket``: real WebSocket clients (the ``websockets``
package) against a local WebSocket API whose handler is a plain Lambda function that talks
back through boto3's ``apigatewaymanagementapi`` client, as users write them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from lambda_asgi.cli import _parser, child_arguments, main
from lambda_asgi.cli._app import CliError
from lambda_asgi.cli._websocket import WebSocketAPI, management_environment
from lambda_asgi.cli._ws_events import RouteSelection, canonical
from lambda_asgi.cli.serve import LocalServer
from tests.test_cli_serve import ROOT, free_port, serve_in_main_thread

EVENTS: list[dict[str, Any]] = []
"""Every event the handler got, in order."""
CONNECTED: set[str] = set()


def management() -> Any:
    # No endpoint_url: boto3 takes AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI, which serve sets.
    return boto3.client("apigatewaymanagementapi")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A chat backend as a plain Lambda handler: echo, broadcast, a two-way route, and the
    Management API calls (info, kick) made during its own invocation."""
    EVENTS.append(event)
    request = event["requestContext"]
    connection_id = request["connectionId"]
    route = request["routeKey"]
    if route == "$connect":
        if (event.get("queryStringParameters") or {}).get("refuse"):
            return {"statusCode": 403, "body": "not you"}
        CONNECTED.add(connection_id)
        offered = event["headers"].get("Sec-WebSocket-Protocol", "").split(", ")
        chosen = {"Sec-WebSocket-Protocol": "chat.v2"} if "chat.v2" in offered else {}
        return {"statusCode": 200, "headers": chosen}
    if route == "$disconnect":
        CONNECTED.discard(connection_id)
        return {"statusCode": 200}
    api = management()
    if route == "broadcast":
        text = json.loads(event["body"])["text"]
        for other in sorted(CONNECTED):
            api.post_to_connection(ConnectionId=other, Data=text.encode())
    elif route == "info":
        info = api.get_connection(ConnectionId=connection_id)
        reply = {"ip": info["Identity"]["SourceIp"], "ua": info["Identity"]["UserAgent"]}
        api.post_to_connection(ConnectionId=connection_id, Data=json.dumps(reply).encode())
    elif route == "kick":
        api.delete_connection(ConnectionId=connection_id)
    elif route == "twoway":
        kind = json.loads(event["body"]).get("kind")
        if kind == "binary":
            return {"statusCode": 200, "body": "AAE=", "isBase64Encoded": True}
        if kind == "not text":
            return {"statusCode": 200, "body": 5}
        if kind == "not base64":
            return {"statusCode": 200, "body": "no!", "isBase64Encoded": True}
        return {"statusCode": 200, "body": "the route response"}
    else:
        api.post_to_connection(ConnectionId=connection_id, Data=f"echo: {event['body']}".encode())
    return {"statusCode": 200}


Start = Callable[..., LocalServer]


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS configuration, and what serve sets for the handler undone after the test."""
    for name in ("ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY"):
        monkeypatch.setenv(f"AWS_{name}", "")
        monkeypatch.delenv(f"AWS_{name}")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", "/nonexistent")  # no ~/.aws/credentials either


@pytest.fixture
def start(aws_environment: None) -> Iterator[Start]:
    """Start WebSocket APIs on free ports, each until the test ends."""
    EVENTS.clear()
    CONNECTED.clear()
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(routes: frozenset[str] | None = None) -> LocalServer:
        selection = RouteSelection("$request.body.action", routes)
        api = WebSocketAPI(selection, frozenset({"twoway"}))
        server = LocalServer(handler, None, port=0, websocket=api)
        management_environment(server.host, server.port)
        stop = threading.Event()
        thread = threading.Thread(target=server.serve, args=(stop,))
        thread.start()
        running.append((stop, thread))
        return server

    yield start
    for stop, thread in running:
        stop.set()
        thread.join()


def until(predicate: Callable[[], bool]) -> None:
    """Wait for what another thread does (an invocation after a close), up to 10 s."""
    deadline = time.monotonic() + 10
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)


def client(server: LocalServer, path: str = "/", **options: Any) -> ClientConnection:
    connection: ClientConnection = connect(
        f"ws://127.0.0.1:{server.port}{path}", open_timeout=10, **options
    )
    return connection


def routes_seen() -> list[tuple[str, str]]:
    return [(e["requestContext"]["eventType"], e["requestContext"]["routeKey"]) for e in EVENTS]


AWS_ID = re.compile(r"^[A-Za-z0-9]{15}=$")


def test_the_connect_event_and_the_chosen_subprotocol(start: Start) -> None:
    server = start()
    offered = ["chat.v1", "chat.v2"]
    forwarded = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    path = "/dev?room=a&room=b&nick=ann"
    with client(server, path, subprotocols=offered, additional_headers=forwarded) as ws:
        assert ws.subprotocol == "chat.v2"
        key = ws.request.headers["Sec-WebSocket-Key"] if ws.request else None
    event = EVENTS[0]
    context = event["requestContext"]
    volatile = ("connectionId", "requestId", "extendedRequestId", "connectedAt")
    assert all(AWS_ID.match(context[name]) for name in volatile[:3])
    assert context["extendedRequestId"] == context["requestId"]
    assert context["requestTimeEpoch"] >= context["connectedAt"]
    trace = event["headers"]["X-Amzn-Trace-Id"]
    assert re.match(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$", trace)
    host = f"127.0.0.1:{server.port}"
    agent = event["headers"]["User-Agent"]
    # The handshake's own headers stay out, as on AWS, which writes the forwarding ones.
    headers = {
        "Host": host,
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        "Sec-WebSocket-Protocol": "chat.v1, chat.v2",
        "User-Agent": agent,
        "X-Amzn-Trace-Id": trace,
        "X-Forwarded-For": "198.51.100.7, 127.0.0.1",
        "X-Forwarded-Port": str(server.port),
        "X-Forwarded-Proto": "http",
    }
    assert event == {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {"room": "b", "nick": "ann"},
        "multiValueQueryStringParameters": {"room": ["a", "b"], "nick": ["ann"]},
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "extendedRequestId": context["requestId"],
            "requestTime": time.strftime(
                "%d/%b/%Y:%H:%M:%S +0000", time.gmtime(context["requestTimeEpoch"] // 1000)
            ),
            "messageDirection": "IN",
            "stage": "dev",
            "connectedAt": context["connectedAt"],
            "requestTimeEpoch": context["requestTimeEpoch"],
            "identity": {"userAgent": agent, "sourceIp": "127.0.0.1"},
            "requestId": context["requestId"],
            "domainName": host,
            "connectionId": context["connectionId"],
            "apiId": "abc123defg",
        },
        "isBase64Encoded": False,
    }


def test_echo_through_the_management_api_during_the_invocation(start: Start) -> None:
    server = start()
    with client(server) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "echo: hello"
        ws.send('{"action": "nosuchroute"}')  # no --routes: every value names a route
        assert ws.recv(timeout=10) == 'echo: {"action": "nosuchroute"}'
    message = EVENTS[1]
    context = message["requestContext"]
    assert AWS_ID.match(context["messageId"])
    assert (message["body"], message["isBase64Encoded"], context["stage"]) == (
        "hello",
        False,
        "local",  # the stage of a client on "/"
    )
    assert set(message) == {"requestContext", "body", "isBase64Encoded"}
    until(lambda: len(EVENTS) == 4)
    assert routes_seen() == [
        ("CONNECT", "$connect"),
        ("MESSAGE", "$default"),
        ("MESSAGE", "nosuchroute"),
        ("DISCONNECT", "$disconnect"),
    ]


def test_broadcast_between_two_clients(start: Start) -> None:
    server = start(routes=frozenset({"broadcast"}))
    with client(server) as ann, client(server) as bob:
        ann.send(json.dumps({"action": "broadcast", "text": "hi all"}))
        assert (ann.recv(timeout=10), bob.recv(timeout=10)) == ("hi all", "hi all")
        bob.send('{"action": "unknown"}')  # not one of --routes: $default
        assert bob.recv(timeout=10) == 'echo: {"action": "unknown"}'


def test_a_refused_connect_is_the_handlers_status(start: Start) -> None:
    server = start()
    with pytest.raises(InvalidStatus) as refused:
        client(server, "/?refuse=1")
    response = refused.value.response
    assert (response.status_code, response.body) == (403, b"not you")
    assert not CONNECTED
    assert routes_seen() == [("CONNECT", "$connect")]


def test_a_path_beyond_the_stage_is_not_found(start: Start) -> None:
    server = start()
    with pytest.raises(InvalidStatus) as refused:
        client(server, "/dev/chat")
    assert refused.value.response.status_code == 404
    assert EVENTS == []


def test_a_binary_frame_closes_the_connection_with_1003(start: Start) -> None:
    server = start()
    with client(server) as ws:
        ws.send(b"\x00\x01")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        1003,
        "Binary frames are not supported",
    )
    until(lambda: len(EVENTS) == 2)
    assert routes_seen() == [("CONNECT", "$connect"), ("DISCONNECT", "$disconnect")]


def test_a_client_close_reaches_disconnect(start: Start) -> None:
    server = start()
    with client(server) as ws:
        connection_id = next(iter(CONNECTED))
        ws.close(4000, "bye")
    until(lambda: len(EVENTS) == 2)
    event = EVENTS[1]
    context = event["requestContext"]
    assert (context["routeKey"], context["connectionId"]) == ("$disconnect", connection_id)
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (4000, "bye")
    host = f"127.0.0.1:{server.port}"
    headers = {"Host": host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    assert event["headers"] == headers
    assert event["multiValueHeaders"] == {name: [value] for name, value in headers.items()}
    assert not CONNECTED


def test_two_way_route_and_management_calls_from_the_handler(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    server = start()
    with client(server, user_agent_header="chat-client/1.0") as ws:
        ws.send('{"action": "twoway"}')
        assert ws.recv(timeout=10) == "the route response"
        ws.send('{"action": "twoway", "kind": "not text"}')  # logged, nothing sent
        ws.send('{"action": "twoway", "kind": "not base64"}')  # logged, nothing sent
        ws.send('{"action": "twoway", "kind": "binary"}')
        assert ws.recv(timeout=10) == b"\x00\x01"
        ws.send('{"action": "info"}')
        assert json.loads(ws.recv(timeout=10)) == {"ip": "127.0.0.1", "ua": "chat-client/1.0"}
        ws.send('{"action": "kick"}')
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1000
    until(lambda: len(EVENTS) == 8)
    assert EVENTS[-1]["requestContext"]["disconnectStatusCode"] == 1000
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "the route response body must be a string, got int",
        "isBase64Encoded is true but the route response body is not base64",
    ]


def test_the_management_api_from_outside(start: Start) -> None:
    server = start()
    api = management()
    with client(server) as ws:
        connection_id = next(iter(CONNECTED))
        info = api.get_connection(ConnectionId=connection_id)
        assert set(info) == {"ConnectedAt", "Identity", "LastActiveAt", "ResponseMetadata"}
        assert info["ConnectedAt"] == info["LastActiveAt"]
        assert info["ConnectedAt"].tzinfo is not None
        api.post_to_connection(ConnectionId=connection_id, Data=b"text")
        api.post_to_connection(ConnectionId=connection_id, Data=b"\xff\xfe")
        assert (ws.recv(timeout=10), ws.recv(timeout=10)) == ("text", b"\xff\xfe")
        with pytest.raises(ClientError) as too_large:
            api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
        assert too_large.value.response["Error"]["Code"] == "PayloadTooLargeException"
        assert too_large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
        api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024))
        assert ws.recv(timeout=10) == "x" * (128 * 1024)
    calls = [("post_to_connection", {"Data": b"late"}), ("get_connection", {})]
    for name, extra in [*calls, ("delete_connection", {})]:
        with pytest.raises(api.exceptions.GoneException):
            getattr(api, name)(ConnectionId=connection_id, **extra)


def test_the_management_endpoint_under_a_prefix_and_other_paths(start: Start) -> None:
    import http.client

    server = start()
    with client(server, "/dev") as ws:
        connection_id = next(iter(CONNECTED))
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request("POST", f"/dev/@connections/{connection_id}", body=b"via prefix")
            assert connection.getresponse().read() == b""
            assert ws.recv(timeout=10) == "via prefix"
            connection.request("PUT", f"/@connections/{connection_id}", body=b"")
            answer = connection.getresponse()
            assert (answer.status, json.loads(answer.read())) == (
                405,
                {"message": "Method PUT not allowed"},
            )
            connection.request("GET", "/")
            answer = connection.getresponse()
            assert (answer.status, json.loads(answer.read())) == (
                404,
                {"message": "Not Found: connect with a WebSocket client"},
            )
        finally:
            connection.close()


def test_a_failing_handler_refuses_connect_with_500(
    start: Start, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server = start()

    def broken(event: dict[str, Any], context: Any) -> Any:
        raise ValueError("no database")

    monkeypatch.setattr(server, "handler", broken)
    with pytest.raises(InvalidStatus) as refused:
        client(server)
    assert refused.value.response.status_code == 500
    assert refused.value.response.body == b'{"message": "Internal server error"}'
    assert next(r.getMessage() for r in caplog.records if r.levelname == "ERROR").startswith(
        "the handler failed on $connect for connection "
    )


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (None, 200),
        ({"statusCode": "401"}, 401),
        ({"statusCode": [1]}, 500),
        ({"statusCode": True}, 500),
        ({"statusCode": 600}, 500),
        ("ok", 200),
    ],
)
def test_connect_results_without_an_integer_status(
    start: Start, monkeypatch: pytest.MonkeyPatch, result: Any, status: int
) -> None:
    server = start()
    monkeypatch.setattr(server, "handler", lambda event, context: result)
    if status == 200:
        with client(server) as ws:
            assert ws.subprotocol is None
    else:
        with pytest.raises(InvalidStatus) as refused:
            client(server)
        assert refused.value.response.status_code == status


@pytest.mark.parametrize(
    ("body", "routes", "route"),
    [
        ('{"action": "join"}', None, "join"),
        ('{"action": "join"}', frozenset({"join"}), "join"),
        ('{"action": "join"}', frozenset({"leave"}), "$default"),
        ('{"action": 7}', None, "$default"),
        ('{"action": "$connect"}', None, "$default"),
        ('{"other": "join"}', None, "$default"),
        ("[1, 2]", None, "$default"),
        ("not json", None, "$default"),
    ],
)
def test_route_selection(body: str, routes: frozenset[str] | None, route: str) -> None:
    assert RouteSelection("$request.body.action", routes).route_for(body) == route


def test_route_selection_by_a_nested_key() -> None:
    selection = RouteSelection("$request.body.message.type", None)
    assert selection.route_for('{"message": {"type": "ping"}}') == "ping"
    assert selection.route_for('{"message": "ping"}') == "$default"


@pytest.mark.parametrize("expression", ["$request.body.", "action", "${request.body.action}"])
def test_a_route_selection_expression_serve_cannot_evaluate(expression: str) -> None:
    with pytest.raises(CliError, match="--route-selection must look like"):
        RouteSelection(expression, None)


def test_header_names_as_clients_spell_them() -> None:
    assert [canonical(n) for n in ("sec-websocket-key", "x-forwarded-for", "host")] == [
        "Sec-WebSocket-Key",
        "X-Forwarded-For",
        "Host",
    ]


def test_management_environment_keeps_configured_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "")
    assert management_environment("0.0.0.0", 9) == "http://127.0.0.1:9"
    assert management_environment("::", 9) == "http://[::1]:9"
    assert management_environment("127.0.0.1", 9) == "http://127.0.0.1:9"
    assert os.environ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"] == "http://127.0.0.1:9"
    assert "AWS_ACCESS_KEY_ID" not in os.environ
    assert os.environ["AWS_REGION"] == "eu-west-1"


def test_websocket_options_belong_to_the_websocket_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["serve", "tests.cli_apps:handler", "--routes", "a", "--two-way", "a"])
    assert (status, capsys.readouterr().err) == (
        2,
        "lambda-asgi: error: --routes, --two-way only apply to --source websocket\n",
    )


def test_the_serve_command_plays_a_websocket_api(
    aws_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    EVENTS.clear()
    port = free_port()
    received: list[str | bytes] = []

    def chat() -> None:
        deadline = time.monotonic() + 15
        while True:
            try:
                ws = connect(f"ws://127.0.0.1:{port}/", open_timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with ws:
            ws.send('{"action": "twoway"}')
            received.append(ws.recv(timeout=10))
            ws.send('{"action": "other"}')  # not in --routes: $default, which echoes
            received.append(ws.recv(timeout=10))
        until(lambda: len(EVENTS) == 4)

    argv = ["serve", "tests.test_cli_serve_websocket:handler", "--source", "websocket"]
    argv += ["--port", str(port), "--routes", "twoway", "--two-way", "twoway"]
    assert serve_in_main_thread(argv, chat) == 0
    assert received == ["the route response", 'echo: {"action": "other"}']
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == [
        "lambda-asgi: serving tests.test_cli_serve_websocket:handler as websocket on "
        f"ws://127.0.0.1:{port} (Ctrl-C to stop)",
        f"lambda-asgi: @connections endpoint http://127.0.0.1:{port} "
        "(AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI for the handler)",
    ]
    connection_id = EVENTS[0]["requestContext"]["connectionId"]
    assert f"INFO lambda_asgi.cli: 127.0.0.1 {connection_id} $connect 200" in lines


def test_reload_passes_the_websocket_options_on() -> None:
    args = _parser().parse_args(
        ["serve", "app:handler", "--source", "websocket", "--routes", "a,b", "--traceback"]
    )
    assert child_arguments(args) == [
        "serve",
        "app:handler",
        "--source",
        "websocket",
        "--routes",
        "a,b",
        "--traceback",
    ]


def test_ctrl_c_closes_open_connections_and_runs_their_disconnect(tmp_path: Any) -> None:
    """The installed command, stopped by a real SIGINT while a client is connected."""
    script = Path(sys.executable).with_name("lambda-asgi")
    argv = [str(script), "serve", "tests.test_cli_serve_websocket:handler"]
    argv += ["--source", "websocket", "--port", "0"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment["HOME"] = str(tmp_path)  # no AWS configuration: serve's dummies are used
    process = subprocess.Popen(argv, cwd=ROOT, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        port = int(banner.split(" on ws://127.0.0.1:")[1].split(" ")[0])
        with connect(f"ws://127.0.0.1:{port}/", open_timeout=10) as ws:
            ws.send("hello")
            assert ws.recv(timeout=10) == "echo: hello"
            log = [process.stderr.readline()]
            while " $default " not in log[-1]:  # the invocation has returned
                log.append(process.stderr.readline())
            process.send_signal(signal.SIGINT)
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
        _, rest = process.communicate(timeout=10)
        err = "".join(log) + rest
    finally:
        process.kill()
        process.wait()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012  # service restart: uvicorn's close on shutdown
    assert process.returncode == 0
    assert re.search(r" \$default 200\n", err), err
    assert re.search(r" \$disconnect 1012\n", err), err
    assert "not invoked" not in err  # the $disconnect ran before the server stopped
    assert "Traceback" not in err


def test_a_post_to_a_connection_closing_under_it_is_gone() -> None:
    """The client went away, and its $disconnect is not through yet: 410, as AWS answers."""
    from lambda_asgi.cli._websocket import _Connection
    from lambda_asgi.cli._ws_events import Client

    async def gone(message: Any) -> None:
        raise ConnectionResetError("the client went away")

    answered: list[Any] = []

    async def send(message: Any) -> None:
        answered.append(message)

    api = WebSocketAPI(RouteSelection("$request.body.action", None))
    connection = _Connection(Client("127.0.0.1", None, "h", "local"), gone)
    api.connections[connection.client.connection_id] = connection
    call = api._management_call(send, "POST", connection.client.connection_id, b"hi")
    assert asyncio.run(call) == 410
    assert connection.closing
    assert answered[0]["status"] == 410
    assert (b"x-amzn-errortype", b"GoneException") in answered[0]["headers"]


def test_events_the_stopping_server_no_longer_invokes_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from lambda_asgi.cli._http import ServerStoppingError
    from lambda_asgi.cli._ws_events import Client

    class Stopping:
        async def invoke(self, event: Any) -> Any:
            raise ServerStoppingError("the server is stopping")

    api = WebSocketAPI(RouteSelection("$request.body.action", None))
    api.server = Stopping()  # type: ignore[assignment]
    client = Client("127.0.0.1", None, "h", "local")
    assert asyncio.run(api._invoke({}, "$disconnect", client)) == {"statusCode": 503}
    assert caplog.messages == [
        f"the server is stopping: $disconnect of {client.connection_id} not invoked"
    ]


def test_the_documented_chat_between_two_tabs(
    aws_environment: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/cli.md's chat.py, served as the page says, with two clients for the two tabs."""
    page = (ROOT / "docs" / "cli.md").read_text()
    blocks = [block.split("```")[0] for block in page.split("```python\n")[1:]]
    (tmp_path / "chat.py").write_text(next(b for b in blocks if b.startswith('"""chat.py')))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "chat", raising=False)
    port = free_port()
    received: list[Any] = []

    def tabs() -> None:
        deadline = time.monotonic() + 15
        while True:
            try:
                first = connect(f"ws://127.0.0.1:{port}/", open_timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with first, connect(f"ws://127.0.0.1:{port}/", open_timeout=10) as second:
            first.send(json.dumps({"action": "sendmessage", "text": "hello from tab 1"}))
            received.extend([first.recv(timeout=10), second.recv(timeout=10)])
            second.send(json.dumps({"action": "typing"}))  # not a route: $default, ignored
            second.send(json.dumps({"action": "sendmessage", "text": "hi tab 1"}))
            received.extend([first.recv(timeout=10), second.recv(timeout=10)])

    argv = ["serve", "chat:handler", "--source", "websocket", "--routes", "sendmessage"]
    assert serve_in_main_thread([*argv, "--port", str(port)], tabs) == 0
    assert received == ["hello from tab 1"] * 2 + ["hi tab 1"] * 2
    assert sys.modules["chat"].connections == set()  # both $disconnects ran


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids and times as in a captured AWS event."""
    from lambda_asgi.cli import _ws_events

    monkeypatch.setattr(_ws_events, "now_ms", lambda: 1731333109875)
    monkeypatch.setattr(_ws_events, "new_id", lambda: "BFbOeE87IAMF31w=")


def captured_client() -> Any:
    from lambda_asgi.cli._ws_events import Client

    return Client("166.90.225.1", None, "h.example", "prod", "BFaT_fALIAMCKug=", 1731332735513)


CONTEXT = {
    "extendedRequestId": "BFbOeE87IAMF31w=",
    "requestTime": "11/Nov/2024:13:51:49 +0000",
    "messageDirection": "IN",
    "stage": "prod",
    "connectedAt": 1731332735513,
    "requestTimeEpoch": 1731333109875,
    "identity": {"sourceIp": "166.90.225.1"},  # no userAgent: the client sent none
    "requestId": "BFbOeE87IAMF31w=",
    "domainName": "h.example",
    "connectionId": "BFaT_fALIAMCKug=",
    "apiId": "abc123defg",
}


def test_a_message_event(fixed_clock: None) -> None:
    from lambda_asgi.cli._ws_events import message_event

    assert message_event(captured_client(), "chat", '{"action": "chat"}') == {
        "requestContext": {
            "routeKey": "chat",
            "eventType": "MESSAGE",
            **CONTEXT,
            "messageId": "BFbOeE87IAMF31w=",
        },
        "body": '{"action": "chat"}',
        "isBase64Encoded": False,
    }


def test_a_disconnect_without_a_status(fixed_clock: None) -> None:
    from lambda_asgi.cli._ws_events import disconnect_event

    headers = {"Host": "h.example", "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    assert disconnect_event(captured_client(), 1005, "") == {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": {
            "routeKey": "$disconnect",
            "eventType": "DISCONNECT",
            **CONTEXT,
            "disconnectStatusCode": 1005,
            "disconnectReason": "Client-side close frame status not set",
        },
        "isBase64Encoded": False,
    }


def test_a_second_ctrl_c_while_connections_close_stops_at_once(aws_environment: None) -> None:
    """The first stop closes the connection; the Ctrl-C lands in its $disconnect."""

    def interrupted_on_disconnect(event: dict[str, Any], context: Any) -> Any:
        if event["requestContext"]["eventType"] == "DISCONNECT":
            raise KeyboardInterrupt
        return handler(event, context)

    api = WebSocketAPI(RouteSelection("$request.body.action", None))
    server = LocalServer(interrupted_on_disconnect, None, port=0, websocket=api)
    management_environment(server.host, server.port)
    stop = threading.Event()
    outcome: list[BaseException] = []

    def serve() -> None:
        try:
            server.serve(stop)
        except KeyboardInterrupt as exc:
            outcome.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    with client(server) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "echo: hello"
        stop.set()
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    thread.join()
    assert [type(exc) for exc in outcome] == [KeyboardInterrupt]
    assert server.sock.fileno() == -1
