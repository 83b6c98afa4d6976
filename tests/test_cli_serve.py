"""``lambda-asgi serve``: real HTTP requests through a local server that plays each front
door; run in-process (a server thread, or ``main()`` stopped by SIGTERM), as the installed
console script, and with ``--reload`` restarting a real child process on a file change."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from lambda_asgi.cli import _bridge, _reload, _StopOnSignals, main
from lambda_asgi.cli._http import ServerStoppingError
from lambda_asgi.cli._reload import scan
from lambda_asgi.cli._sources import SOURCES, without_headers
from lambda_asgi.cli.serve import (
    LocalServer,
    _Invocation,
    _settle,
    call_handler,
)
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
)
from tests import cli_apps

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).with_name("lambda-asgi")
SERVER = ("server", "lambda-asgi/0.1.0")
BAD_GATEWAY = (
    502,
    "Bad Gateway",
    [SERVER, ("Content-Type", "application/json"), ("Content-Length", "35")],
    b'{"message":"Internal Server Error"}',
)

Answer = tuple[int, str, list[tuple[str, str]], bytes]
Start = Callable[..., LocalServer]


def fetch(
    port: int,
    method: str,
    target: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One request exactly as given (plus ``Host``); the answer without its ``Date``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers or []:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        received = [(n, v) for n, v in response.getheaders() if n.lower() != "date"]
        assert response.getheader("Date")
        return response.status, response.reason, received, response.read()
    finally:
        connection.close()


@pytest.fixture
def start() -> Iterator[Start]:
    """Start LocalServers on free ports, each serving on its own thread until the test ends."""
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(handler: Any = cli_apps.adapter, source: str = "http-api") -> LocalServer:
        server = LocalServer(handler, SOURCES[source], port=0)
        stop = threading.Event()
        thread = threading.Thread(target=server.serve, args=(stop,))
        thread.start()
        running.append((stop, thread))
        return server

    yield start
    for stop, thread in running:
        stop.set()
        thread.join()


SPLIT = [
    ("x-echo", "first"),
    ("x-echo", "second"),
    ("Set-Cookie", "a=1; Path=/"),
    ("Set-Cookie", "b=2; Path=/"),
]
JOINED = [("x-echo", "first, second"), ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")]
ONE_COOKIE = [("x-echo", "first, second"), ("Set-Cookie", "b=2; Path=/")]
FRONT_DOORS: list[tuple[str, Callable[..., dict[str, Any]], dict[str, Any], str | None, Any]] = [
    ("rest", rest_event, {}, "domain_name", SPLIT),
    ("http-api", http_api_event, {}, "domain_name", JOINED),
    ("http-api-v1", http_api_event, {"payload_version": "1.0"}, "domain_name", SPLIT),
    ("function-url", function_url_event, {}, None, JOINED),
    ("alb", alb_event, {}, None, ONE_COOKIE),
    ("alb-multi", alb_event, {"multi_value": True}, None, SPLIT),
    ("edge", edge_event, {}, "distribution_domain", SPLIT),
    ("edge-viewer", edge_event, {"event_type": "viewer-request"}, None, SPLIT),
    ("lattice", lattice_event, {}, None, ONE_COOKIE),
    ("lattice-v1", lattice_event, {"version": 1}, None, ONE_COOKIE),
]


@pytest.mark.parametrize(("source", "build", "extra", "host_keyword", "headers"), FRONT_DOORS)
def test_each_request_becomes_the_sources_event_and_its_result_the_response(
    start: Start,
    source: str,
    build: Callable[..., dict[str, Any]],
    extra: dict[str, Any],
    host_keyword: str | None,
    headers: list[tuple[str, str]],
) -> None:
    port = start(source=source).port
    host = f"127.0.0.1:{port}"
    sent = [("X-Multi", "1"), ("X-Multi", "2"), ("Cookie", "c=1; d=2")]
    status, reason, received, body = fetch(port, "GET", "/a%20b?x=1&x=2", sent)
    # The event: the builder's, for the request as it came off the wire (names lowercased, as
    # every ASGI server hands them over), with this server as the front door (plain HTTP on
    # this port) and as the public host, and without the curl headers the builders assume.
    if source.startswith("edge"):
        front_door = [("cloudfront-forwarded-proto", "http")]
    else:
        front_door = [("x-forwarded-proto", "http"), ("x-forwarded-port", str(port))]
    event = build(
        method="GET",
        path="/a%20b",
        query="x=1&x=2",
        headers=[("host", host), *[(n.lower(), v) for n, v in sent], *front_door],
        source_ip="127.0.0.1",
        **extra,
        **({host_keyword: host} if host_keyword else {}),
    )
    event = without_headers(event, {"accept", "user-agent"})
    expected = json.loads(cli_apps.adapter(event, FakeContext())["body"])
    seen = json.loads(body)
    assert seen == expected
    assert (seen["client"], seen["root_path"], seen["path"]) == ("127.0.0.1", "", "/a b")
    assert ["host", host] in seen["headers"]
    # The response: the result read back the way this front door reads it.
    assert (status, reason) == (200, "OK")
    assert received == [
        SERVER,
        ("content-type", "application/json"),
        *headers,
        ("Content-Length", str(len(body))),
    ]


def test_binary_bodies_both_ways(start: Start) -> None:
    port = start(source="rest").port
    sent = [("Content-Type", "application/octet-stream")]
    status, _, _, body = fetch(port, "POST", "/upload", sent, cli_apps.PNG)
    assert status == 200
    assert json.loads(body)["body"] == "iVBORw0KGgoAAAANSUhEUv/+"  # the PNG bytes, base64
    assert ["content-type", "application/octet-stream"] in json.loads(body)["headers"]
    assert fetch(port, "GET", "/png") == (
        200,
        "OK",
        [SERVER, ("content-type", "image/png"), ("Content-Length", str(len(cli_apps.PNG)))],
        cli_apps.PNG,
    )


def test_text_bodies_travel_as_text(start: Start) -> None:
    port = start(source="alb").port
    for content_type in ("application/json", "text/plain; charset=utf-8"):
        _, _, _, body = fetch(port, "PUT", "/", [("Content-Type", content_type)], b'{"a": 1}')
        assert json.loads(body)["body"] == "eyJhIjogMX0="
    # Not UTF-8 although declared as text: base64, so the app still gets the exact bytes.
    _, _, _, body = fetch(port, "PUT", "/", [("Content-Type", "text/plain")], b"\xff")
    assert json.loads(body)["body"] == "/w=="


def test_head_404_and_any_method(start: Start) -> None:
    port = start().port
    missing = [SERVER, ("content-type", "text/plain"), ("Content-Length", "13")]
    assert fetch(port, "GET", "/missing") == (404, "Not Found", missing, b"no such thing")
    # No Content-Length for a HEAD answer unless the app gave one (it describes a GET body):
    # so uvicorn announces chunked framing, as it does for the app served directly.
    chunked = [*missing[:2], ("Transfer-Encoding", "chunked")]
    assert fetch(port, "HEAD", "/missing") == (404, "Not Found", chunked, b"")
    status, _, _, body = fetch(port, "PURGE", "/cache")
    assert (status, json.loads(body)["method"]) == (200, "PURGE")


def test_head_keeps_the_apps_content_length(start: Start) -> None:
    port = start(cli_apps.content_length_handler).port
    assert fetch(port, "HEAD", "/") == (200, "OK", [SERVER, ("Content-Length", "2")], b"")
    assert fetch(port, "GET", "/") == (200, "OK", [SERVER, ("Content-Length", "2")], b"hi")


def test_framing_headers_of_the_result_are_the_servers_own(start: Start) -> None:
    port = start(cli_apps.hop_by_hop_handler).port
    assert fetch(port, "GET", "/") == (
        200,
        "OK",
        [SERVER, ("X-Name", "café".encode().decode("latin-1")), ("Content-Length", "2")],
        b"hi",
    )


def test_a_chunked_request_body(start: Start) -> None:
    port = start().port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: text/plain\r\nConnection: close\r\n\r\n"
            b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        )
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    seen = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert seen["body"] == "aGVsbG8gd29ybGQ="  # "hello world"
    assert not [name for name, _ in seen["headers"] if name in ("transfer-encoding", "connection")]


def test_a_bad_content_length_is_a_400(start: Start) -> None:
    port = start().port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b"\r\n\r\nInvalid HTTP request received.")


@pytest.mark.parametrize(
    ("handler", "source", "logged"),
    [
        (cli_apps.raising, "http-api", "the handler raised ValueError: the handler broke"),
        (
            cli_apps.unserializable,
            "http-api",
            "Lambda cannot serialize the handler's result (Object of type set is not JSON "
            "serializable); answering 502",
        ),
        (
            cli_apps.rest_with_cookies,
            "rest",
            "the front door would answer 502: malformed result: REST APIs accept only "
            "statusCode, headers, multiValueHeaders, body, isBase64Encoded; got cookies",
        ),
    ],
)
def test_a_failed_invocation_is_a_502_with_the_reason_logged(
    start: Start,
    caplog: pytest.LogCaptureFixture,
    handler: Callable[..., Any],
    source: str,
    logged: str,
) -> None:
    assert fetch(start(handler, source).port, "GET", "/") == BAD_GATEWAY
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors[0].startswith(logged)


def test_a_result_without_status_is_a_json_body_on_http_api(start: Start) -> None:
    port = start(cli_apps.no_status).port
    assert fetch(port, "GET", "/") == (
        200,
        "OK",
        [SERVER, ("Content-Type", "application/json"), ("Content-Length", "9")],
        b"[1, 2, 3]",
    )


def test_invocations_run_one_at_a_time_on_the_serving_thread(start: Start) -> None:
    port = start(cli_apps.thread_reporter).port
    answers: list[bytes] = []

    def client() -> None:
        answers.append(fetch(port, "GET", "/")[3])

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    reports = [json.loads(answer) for answer in answers]
    assert len({report["thread"] for report in reports}) == 1
    assert max(report["concurrent"] for report in reports) == 1


# -- fidelity: what uvicorn serving the app itself would deliver --------------------------


def exchange(port: int, request: bytes) -> tuple[bytes, dict[str, Any]]:
    """Send ``request`` as raw bytes; the response head and the JSON the echo app answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, json.loads(body)


def test_utf8_in_the_path_and_query_arrives_as_sent(start: Start) -> None:
    port = start().port
    request = b"GET /caf%C3%A9/x?q=%C3%A9t%C3%A9 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    _, seen = exchange(port, request)
    assert (seen["path"], seen["query_string"]) == ("/café/x", "q=%C3%A9t%C3%A9")
    # Raw bytes outside ASCII are not a valid request target: refused, as uvicorn refuses
    # them for the app itself, instead of reaching the app as mojibake ("/cafÃ©").
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n")
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_a_leading_double_slash_is_kept(start: Start) -> None:
    port = start(source="alb").port
    _, seen = exchange(port, b"GET //a//b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert (seen["path"], seen["raw_path"]) == ("//a//b", "//a//b")


@pytest.mark.parametrize(
    ("source", "headers"),
    [
        (
            "http-api",
            [
                ["x-amzn-trace-id", "Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"],
                ["x-forwarded-for", "127.0.0.1"],
                ["content-length", "0"],
                ["host", "h"],
                ["x-forwarded-proto", "http"],
                ["x-forwarded-port", "{port}"],
            ],
        ),
        (
            "lattice",
            [
                ["host", "h"],
                ["x-forwarded-proto", "http"],
                ["x-forwarded-port", "{port}"],
                ["x-forwarded-for", "127.0.0.1"],
            ],
        ),
    ],
)
def test_only_headers_the_client_sent_reach_the_app_with_the_front_doors_own(
    start: Start, source: str, headers: list[list[str]]
) -> None:
    port = start(source=source).port
    _, seen = exchange(port, b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    expected = [[name, value.format(port=port)] for name, value in headers]
    assert seen["headers"] == expected


def test_the_client_address_is_the_connections_not_a_forwarded_one(start: Start) -> None:
    port = start().port
    spoofed = [("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-Proto", "https")]
    _, _, _, body = fetch(port, "GET", "/", spoofed)
    assert json.loads(body)["client"] == "127.0.0.1"


def test_a_204_has_no_content_length(start: Start) -> None:
    port = start(cli_apps.urls_adapter).port
    assert fetch(port, "GET", "/empty") == (204, "No Content", [SERVER], b"")


@pytest.mark.parametrize("source", ["edge", "edge-viewer"])
def test_urls_the_app_builds_behind_edge_are_plain_http(start: Start, source: str) -> None:
    port = start(cli_apps.urls_adapter, source=source).port
    status, _, _, body = fetch(port, "GET", "/items")
    assert (status, body) == (200, f"http://127.0.0.1:{port}/items".encode())


def test_a_streaming_adapter_behind_a_function_url_streams(start: Start) -> None:
    port = start(cli_apps.streaming_adapter, "function-url").port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    lines = []
    try:
        connection.request("GET", "/")
        cli_apps.RELEASE.release()
        response = connection.getresponse()
        # Each chunk reaches the client while the app waits to make the next one.
        for _ in range(3):
            lines.append(response.readline())
            cli_apps.RELEASE.release()
        assert response.read() == b""
        assert response.getheader("Transfer-Encoding") == "chunked"
    finally:
        connection.close()
        for _ in range(4 - len(lines)):  # a server that buffers is still waiting for these
            cli_apps.RELEASE.release()
    assert lines == [b"chunk 0\n", b"chunk 1\n", b"chunk 2\n"]


def test_a_streaming_adapter_answers_buffered_front_doors_in_one_piece(start: Start) -> None:
    port = start(cli_apps.streaming_adapter, "http-api").port
    for _ in range(3):
        cli_apps.RELEASE.release()
    assert fetch(port, "GET", "/") == (
        200,
        "OK",
        [SERVER, ("content-type", "text/plain"), ("Content-Length", "24")],
        b"chunk 0\nchunk 1\nchunk 2\n",
    )


def test_a_streamed_response_that_fails_midway_ends_where_it_broke(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    port = start(cli_apps.failing_stream_adapter, "function-url").port
    assert fetch(port, "GET", "/") == (
        200,
        "OK",
        [SERVER, ("content-type", "text/plain"), ("Transfer-Encoding", "chunked")],
        b"partial",
    )
    assert (
        "the app failed after its response started streaming (RuntimeError); the body ends here"
        in [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    )


async def _prelude_then_failure(adapter: Any, body: Any, event: Any, context: Any) -> bool:
    await (await body.stream("/", {})).write(b'{"statusCode": 200}' + b"\0" * 8 + b"part")
    raise ValueError("the runtime broke")


async def _early_failure(adapter: Any, body: Any, event: Any, context: Any) -> bool:
    raise ValueError("the runtime broke")


async def _stopping(adapter: Any, body: Any, event: Any, context: Any) -> bool:
    raise ServerStoppingError("the server is stopping")


async def _prelude_in_pieces(adapter: Any, body: Any, event: Any, context: Any) -> bool:
    stream = await body.stream("/", {})
    for piece in (b'{"statusCode": 201', b"}" + b"\0" * 4, b"\0" * 4 + b"pa", b"rt"):
        await stream.write(piece)
    await stream.finish()
    return True


@pytest.mark.parametrize(
    ("stream", "answer", "logged"),
    [
        (
            _early_failure,
            BAD_GATEWAY,
            "the handler raised ValueError: the runtime broke; answering 502",
        ),
        (
            _stopping,
            (
                503,
                "Service Unavailable",
                [SERVER, ("Content-Type", "application/json"), ("Content-Length", "33")],
                b'{"message":"Service Unavailable"}',
            ),
            None,
        ),
        (
            _prelude_in_pieces,
            (201, "Created", [SERVER, ("Transfer-Encoding", "chunked")], b"part"),
            None,
        ),
        (
            _prelude_then_failure,
            (200, "OK", [SERVER, ("Transfer-Encoding", "chunked")], b"part"),
            "the streamed response failed: ValueError: the runtime broke",
        ),
    ],
)
def test_streaming_invocations_outside_the_app(
    start: Start,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    stream: Callable[..., Any],
    answer: Answer,
    logged: str | None,
) -> None:
    monkeypatch.setattr(_bridge, "stream_invocation", stream)
    port = start(cli_apps.streaming_adapter, "function-url").port
    assert fetch(port, "GET", "/") == answer
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == ([] if logged is None else [logged])


def test_a_client_that_leaves_mid_body_is_not_invoked(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    port = start(cli_apps.raising).port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(65536) == b""
    left = "127.0.0.1 left before sending the whole request body"
    deadline = time.monotonic() + 10
    while left not in caplog.messages and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.getMessage() for r in caplog.records if r.name == "lambda_asgi.cli"] == [left]


def test_the_listening_socket_lets_asyncio_turn_nagle_off(start: Start) -> None:
    # asyncio sets TCP_NODELAY on accepted connections only when the listening socket names
    # IPPROTO_TCP; with Nagle on, every response waited ~40 ms for the client's delayed ACK.
    assert start().sock.proto == socket.IPPROTO_TCP


def test_a_websocket_upgrade_to_an_http_front_door_is_refused(start: Start) -> None:
    port = start().port
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{port}/", open_timeout=10)
    assert refused.value.response.status_code == 403


def test_ctrl_c_during_an_invocation_stops_the_server_at_once() -> None:
    server = LocalServer(cli_apps.interrupted, SOURCES["http-api"], port=0)
    outcome: list[BaseException] = []

    def serve() -> None:
        try:
            server.serve(threading.Event())
        except KeyboardInterrupt as exc:
            outcome.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    assert fetch(server.port, "GET", "/") == (
        503,
        "Service Unavailable",
        [SERVER, ("Content-Type", "application/json"), ("Content-Length", "33")],
        b'{"message":"Service Unavailable"}',
    )
    thread.join()
    assert [type(exc) for exc in outcome] == [KeyboardInterrupt]
    assert server.sock.fileno() == -1  # closed: nothing listens any more


def test_invocations_asked_for_while_stopping_are_refused() -> None:
    server = LocalServer(cli_apps.handler, SOURCES["http-api"], port=0)
    try:
        server._closed = True
        with pytest.raises(ServerStoppingError, match="the server is stopping"):
            asyncio.run(server.invoke({}))
        outcomes: list[tuple[Any, Any]] = []
        waiting = _Invocation({}, call_handler, lambda *outcome: outcomes.append(outcome))
        server._pending.put(waiting)
        server._refuse_pending()
        assert [(result, type(error)) for result, error in outcomes] == [
            (None, ServerStoppingError)
        ]
    finally:
        server.sock.close()


def test_an_outcome_nobody_waits_for_any_more_is_dropped() -> None:
    async def settle_cancelled() -> bool:
        future = asyncio.get_running_loop().create_future()
        future.cancel()
        _settle(future, "late result", None)
        return future.cancelled()

    assert asyncio.run(settle_cancelled())


def test_serve_without_the_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["serve", "tests.cli_apps:handler", "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        "lambda-asgi: error: lambda-asgi serve needs uvicorn: pip install 'lambda-asgi[serve]'\n"
    )


def test_only_serve_imports_uvicorn() -> None:
    code = (
        "import sys, lambda_asgi, lambda_asgi.cli\n"
        "lambda_asgi.cli.main(['event', 'rest'])\n"
        "heavy = ('uvicorn', 'websockets', 'boto3', 'h11')\n"
        "print(sorted(name for name in heavy if name in sys.modules), file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stderr == "[]\n"


# -- the serve command -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def until_answered(port: int, target: str, want: bytes, timeout: float = 15) -> Answer:
    """GET ``target`` until the body is ``want`` (servers starting or restarting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = fetch(port, "GET", target)
            if answer[3] == want or time.monotonic() > deadline:
                return answer
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def serve_in_main_thread(argv: list[str], client: Callable[[], None]) -> int:
    """``main(argv)`` here, while ``client`` runs on a thread and then sends us SIGTERM."""
    failures: list[BaseException] = []

    def run_client() -> None:
        try:
            client()
        except BaseException as exc:
            failures.append(exc)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=run_client)
    thread.start()
    status = main(argv)
    thread.join()
    if failures:
        raise failures[0]
    return status


def test_serve_command_until_sigterm(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    before = signal.getsignal(signal.SIGTERM)
    answers: list[Answer] = []

    def client() -> None:
        answers.append(until_answered(port, "/missing", b"no such thing"))

    argv = ["serve", "tests.cli_apps:echo", "--source", "lattice", "--port", str(port)]
    assert serve_in_main_thread(argv, client) == 0
    assert answers[0][:2] == (404, "Not Found")
    assert signal.getsignal(signal.SIGTERM) is before
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "echo: a print from the app\n"  # serve leaves the app's stdout alone
    assert lines[0] == (
        f"lambda-asgi: serving tests.cli_apps:echo as lattice on http://127.0.0.1:{port} "
        "(Ctrl-C to stop)"
    )
    assert lines[-2] == "WARNING tests.cli_apps: echo: GET /missing"
    assert lines[-1].startswith('INFO lambda_asgi.cli: 127.0.0.1 "GET /missing" 404 13 ')
    assert lines[-1].endswith("ms")


def test_serve_on_a_socket_handed_over(capsys: pytest.CaptureFixture[str]) -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    answers: list[Answer] = []

    def client() -> None:
        answers.append(until_answered(port, "/", b"GET"))

    argv = ["serve", "tests.cli_apps:handler", "--fd", str(sock.detach())]
    assert serve_in_main_thread(argv, client) == 0
    assert answers[0][:2] == (200, "OK")
    assert f"on http://127.0.0.1:{port} " in capsys.readouterr().err


def test_ctrl_c_stops_serving_quietly() -> None:
    stop = threading.Event()
    with _StopOnSignals(stop):
        signal.raise_signal(signal.SIGTERM)
        assert stop.is_set()
        raise KeyboardInterrupt


def test_a_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        for reload in ([], ["--reload"]):
            status = main(["serve", "tests.cli_apps:handler", "--port", str(port), *reload])
            assert (status, capsys.readouterr().err) == (
                2,
                f"lambda-asgi: error: cannot listen on 127.0.0.1:{port}: Address already in use\n",
            )


def test_the_console_script_serves_the_example_app() -> None:
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "examples.app:handler", "--source", "rest", "--port", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert banner.startswith("lambda-asgi: serving examples.app:handler as rest on http://")
        port = int(banner.split(" on http://127.0.0.1:")[1].split(" ")[0])
        sent = [("Content-Type", "application/json")]
        status, _, received, body = fetch(
            port, "POST", "/items", sent, b'{"name": "desk", "price": 99}'
        )
        created = json.loads(body)
        location = f"http://127.0.0.1:{port}/items/{created['id']}"
        assert (status, created["name"]) == (201, "desk")
        assert ("location", location) in received
        assert ("Set-Cookie", f"last_created={created['id']}; Path=/; SameSite=lax") in received
        status, _, _, body = fetch(port, "GET", f"/items/{created['id']}")
        assert (status, json.loads(body)["url"]) == (200, location)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    log = err.splitlines()
    assert [line.split(" 127.0.0.1 ")[1].rsplit(" ", 2)[0] for line in log] == [
        '"POST /items" 201',
        f'"GET /items/{created["id"]}" 200',
    ]


# -- --reload ----------------------------------------------------------------------------

RELOADABLE = """
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({{"type": "http.response.start", "status": 200, "headers": []}})
        await send({{"type": "http.response.body", "body": b"{answer}"}})
"""


def test_reload_restarts_the_server_when_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_reload, "POLL_SECONDS", 0.1)
    module = tmp_path / "reloadable.py"
    module.write_text(RELOADABLE.format(answer="first"))
    port = free_port()
    answers: list[Answer] = []

    def client() -> None:
        answers.append(until_answered(port, "/", b"first"))
        time.sleep(0.15)  # at least one poll that finds nothing changed
        module.write_text(RELOADABLE.format(answer="second version"))
        answers.append(until_answered(port, "/", b"second version"))
        module.write_text("async def app(:\n")  # saved mid-edit: the new server cannot start
        deadline = time.monotonic() + 15
        while "the server exited" not in capfd.readouterr().err and time.monotonic() < deadline:
            time.sleep(0.05)
        module.write_text(RELOADABLE.format(answer="third"))
        answers.append(until_answered(port, "/", b"third"))

    argv = ["serve", "reloadable:app", "--reload", "--port", str(port)]
    assert serve_in_main_thread(argv, client) == 0
    assert [answer[3] for answer in answers] == [b"first", b"second version", b"third"]
    err = capfd.readouterr().err
    banner = f"lambda-asgi: serving reloadable:app as http-api on http://127.0.0.1:{port} "
    assert banner in err  # the output up to the broken edit was read by the client above
    assert "lambda-asgi: reloadable.py changed, restarting\n" in err


def test_a_child_that_ignores_sigterm_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_reload, "STOP_SECONDS", 0.2)
    child = subprocess.Popen(
        [sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert child.stdout is not None
    assert child.stdout.readline() == b"ready\n"
    _reload.stop_child(child)
    assert child.returncode == -signal.SIGKILL
    child.stdout.close()


STUBBORN = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


def test_the_reloader_watches_python_files_outside_hidden_and_cache_directories(
    tmp_path: Path,
) -> None:
    for name in ("app.py", "pkg/mod.py", "notes.txt", ".venv/lib.py", "pkg/__pycache__/x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "gone.py")  # listed, but cannot be read
    assert sorted(scan(tmp_path)) == ["app.py", os.path.join("pkg", "mod.py")]
