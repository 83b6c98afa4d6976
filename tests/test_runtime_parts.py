"""lambda_asgi.runtime's parts in-process: the Runtime API client against a scripted peer, the
context, extension registration, the SnapStart checkpoint, handler loading, and the answers
the runtime gives when Lambda refuses them."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from lambda_asgi import Adapter
from lambda_asgi._loop import event_loop
from lambda_asgi._types import Receive, Scope, Send
from lambda_asgi.emulator import RuntimeEmulator
from lambda_asgi.exceptions import LambdaAsgiError, RuntimeAPIError
from lambda_asgi.runtime import Context, Runtime, extension, load_handler, snapstart
from lambda_asgi.runtime.client import Connection
from lambda_asgi.runtime.loop import InitError
from lambda_asgi.runtime.streaming import ResponseStream, stream_invocation
from lambda_asgi.sources import detect
from lambda_asgi.testing import function_url_event

T = TypeVar("T")


def run(coroutine: Awaitable[T]) -> T:
    return event_loop().run_until_complete(coroutine)


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        raise ValueError("no lifespan here")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"x-secret", b"1")],
        }
    )
    await send({"type": "http.response.body", "body": b"hello"})


class ScriptedPeer:
    """A TCP peer that answers each request with the next scripted bytes (None: hang up)."""

    def __init__(self, replies: list[bytes | None]) -> None:
        self.replies = replies
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while self.replies:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head)
                reply = self.replies.pop(0)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"127.0.0.1:{port}"

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


def reply(status: int, body: bytes = b"", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


async def with_peer(
    replies: list[bytes | None], use: Callable[[Connection], Awaitable[T]]
) -> tuple[T, ScriptedPeer]:
    peer = ScriptedPeer(replies)
    async with peer as address:
        connection = Connection(address)
        try:
            return await use(connection), peer
        finally:
            connection.close()
            await asyncio.sleep(0)


class TestClient:
    def test_the_address_must_be_host_and_port(self) -> None:
        with pytest.raises(RuntimeAPIError, match="must be host:port, got 'localhost'"):
            Connection("localhost")

    def test_a_connection_closed_while_idle_is_reopened_once(self) -> None:
        async def twice(connection: Connection) -> list[Any]:
            first = await connection.request("GET", "/a")
            return [first, await connection.request("GET", "/b")]

        # The first connection answers once then hangs up on the next request.
        answers, peer = run(with_peer([reply(200, b"one"), None, reply(200, b"two")], twice))
        assert [(status, body) for status, _, body in answers] == [(200, b"one"), (200, b"two")]
        assert len(peer.requests) == 3

    def test_a_peer_that_keeps_hanging_up_is_an_error(self) -> None:
        async def once(connection: Connection) -> Any:
            return await connection.request("POST", "/x", body=b"data")

        with pytest.raises(RuntimeAPIError, match="POST /x failed"):
            run(with_peer([None, None], once))

    def test_a_bad_status_line(self) -> None:
        async def once(connection: Connection) -> Any:
            return await connection.request("GET", "/x")

        with pytest.raises(RuntimeAPIError, match="bad status line b'garbage"):
            run(with_peer([b"garbage\r\n\r\n"], once))

    def test_chunked_answers_and_connection_close(self) -> None:
        chunked = (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n"
        )

        async def once(connection: Connection) -> Any:
            answer = await connection.request("GET", "/x")
            return answer, connection._writer

        (answer, writer), _ = run(with_peer([chunked], once))
        assert answer == (
            200,
            {"transfer-encoding": "chunked", "connection": "close"},
            b"abcde",
        )
        assert writer is None  # closed, as the peer asked

    def test_a_stream_that_breaks_off(self) -> None:
        async def stream(connection: Connection) -> Any:
            body = await connection.stream("/x", {})
            await body.write(b"")  # nothing to send: no empty chunk, which would end the body
            await body.write(b"data")
            return await body.finish({"X-Trailer": "1"})

        with pytest.raises(RuntimeAPIError, match="the streamed response broke off"):
            run(with_peer([None], stream))


class TestContext:
    def test_headers_and_environment(self) -> None:
        headers = {
            "lambda-runtime-aws-request-id": "r1",
            "lambda-runtime-invoked-function-arn": "arn:aws:lambda:eu-west-1:1:function:f",
            "lambda-runtime-deadline-ms": "not a number",
            "lambda-runtime-client-context": '{"custom": {"a": 1}, "client": {"b": 2}}',
            "lambda-runtime-cognito-identity": "[1, 2]",
        }
        environ = {"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}
        context = Context(headers, environ)
        assert (context.aws_request_id, context.function_name, context.function_version) == (
            "r1",
            "f",
            "$LATEST",
        )
        assert context.memory_limit_in_mb == "512"
        assert context.get_remaining_time_in_millis() == 0
        assert context.client_context is not None
        assert (context.client_context.custom, context.client_context.client) == (
            {"a": 1},
            {"b": 2},
        )
        assert context.client_context.env is None
        assert context.identity is None  # not a JSON object: ignored, with a warning
        assert repr(context) == "<Context r1 arn:aws:lambda:eu-west-1:1:function:f>"

    def test_header_that_is_not_json(self, caplog: pytest.LogCaptureFixture) -> None:
        context = Context({"lambda-runtime-cognito-identity": "{oops"}, {})
        assert context.identity is None
        assert "ignoring the lambda-runtime-cognito-identity header" in caplog.text


@pytest.fixture
def fresh_extension(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(extension, "_identifier", None)
    monkeypatch.setattr(extension, "_shared", False)
    monkeypatch.delenv("AWS_LAMBDA_MAX_CONCURRENCY", raising=False)
    monkeypatch.delenv("LAMBDA_ASGI_GRACEFUL_SHUTDOWN", raising=False)
    yield


@pytest.mark.usefixtures("fresh_extension")
class TestExtension:
    def test_not_on_lambda_or_turned_off(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("AWS_LAMBDA_RUNTIME_API", raising=False)
        assert extension.ensure_registered() is None
        monkeypatch.setenv("LAMBDA_ASGI_GRACEFUL_SHUTDOWN", "off")
        assert extension.ensure_registered("127.0.0.1:9") is None

    def test_registers_once_and_waits_in_event_next(self) -> None:
        with RuntimeEmulator() as emulator:
            identifier = extension.ensure_registered(emulator.address, native=True)
            emulator.wait_for_call("GET /extension/event/next")
            assert extension.ensure_registered(emulator.address) == identifier
            assert [(e["name"], e["id"], e["events"]) for e in emulator.extensions] == [
                ("lambda-asgi", identifier, [])
            ]

    def test_a_refused_registration_is_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        with RuntimeEmulator() as emulator:
            emulator.submit({})
            connection = Connection(emulator.address)
            assert run(connection.request("GET", NEXT))[0] == 200
            connection.close()
            assert extension.ensure_registered(emulator.address) is None
        assert "extension register answered 403" in caplog.text

    def test_a_worker_after_the_first_is_refused_quietly_and_still_watches(
        self, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Lambda Managed Instances: another worker process registered the extension first.
        monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", "4")
        monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11")  # a blocking runtime
        watched: list[bool] = []
        monkeypatch.setattr(extension, "_watch_sigterm", lambda: watched.append(True))
        caplog.set_level(logging.DEBUG, "lambda_asgi.runtime")
        with RuntimeEmulator() as emulator:
            connection = Connection(emulator.address)
            headers = {"Lambda-Extension-Name": extension.NAME}
            status, _, _ = run(connection.request("POST", extension.REGISTER, headers, b"{}"))
            connection.close()
            assert status == 200
            assert extension.ensure_registered(emulator.address) is None
            assert extension.ensure_registered(emulator.address) is None  # asked once only
            assert emulator.calls.count("POST /extension/register") == 2
        assert watched == [True]  # SIGTERM reaches every worker: its shutdown must run
        ours = [r for r in caplog.records if r.name == "lambda_asgi.runtime"]
        assert [(r.levelno, r.getMessage()) for r in ours] == [
            (
                logging.DEBUG,
                "another runtime worker of this execution environment registered the "
                'lambda-asgi extension (register answered 403: b\'{"errorMessage": '
                '"Extension with this name already registered", "errorType": '
                '"Extension.InvalidExtensionState"}\'); Lambda sends SIGTERM to every worker '
                "all the same",
            )
        ]

    def test_an_unreachable_api_is_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        with RuntimeEmulator() as emulator:
            address = emulator.address
        assert extension.ensure_registered(address) is None
        assert "could not register the lambda-asgi extension" in caplog.text

    def test_park_stops_on_a_refusal_or_a_closed_api(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        async def park(connection: Connection) -> None:
            await extension._park(connection, "id")

        run(with_peer([reply(200, b"{}"), reply(403, b"no")], park))
        assert "extension event/next answered 403: b'no'" in caplog.text
        run(with_peer([None, None], park))

    def test_the_sigterm_watcher_only_where_it_can_help(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Counted by name: threads of earlier tests may still be ending meanwhile.
        def watchers() -> int:
            name = f"{extension.NAME}-sigterm"
            return sum(thread.name == name for thread in threading.enumerate())

        helper = threading.Thread(target=extension._watch_sigterm)
        helper.start()
        helper.join()
        assert watchers() == 0  # not the main thread: nothing started
        monkeypatch.setattr(signal, "getsignal", lambda signum: signal.SIG_DFL)
        extension._watch_sigterm()
        assert watchers() == 0  # no Python handler: nothing to run
        monkeypatch.undo()
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
        try:
            with socket_pair() as fd:
                signal.set_wakeup_fd(fd)
                extension._watch_sigterm()
                assert signal.set_wakeup_fd(-1) == fd  # an event loop's wakeup fd is kept
            assert watchers() == 0
            extension._watch_sigterm()
            assert watchers() == 1
            assert signal.set_wakeup_fd(-1) != -1
        finally:
            signal.signal(signal.SIGTERM, previous)


class socket_pair:
    def __enter__(self) -> int:
        import socket

        self.pair = socket.socketpair()
        self.pair[1].setblocking(False)
        return self.pair[1].fileno()

    def __exit__(self, *exc_info: object) -> None:
        for sock in self.pair:
            sock.close()


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Any:
    import importlib

    module = importlib.import_module("snapshot_restore_py")
    monkeypatch.setattr(module, "_before_snapshot_registry", [])
    monkeypatch.setattr(module, "_after_restore_registry", [])
    return module


def fail(message: str) -> None:
    raise ValueError(message)


async def checkpoint(emulator: RuntimeEmulator) -> bool:
    connection = Connection(emulator.address)
    try:
        return await snapstart.checkpoint(connection)
    finally:
        connection.close()
        await asyncio.sleep(0)


class TestSnapStart:
    def test_a_failing_before_snapshot_hook_is_an_init_error(self, hooks: Any) -> None:
        hooks.register_before_snapshot(fail, "no snapshot")
        with RuntimeEmulator(initialization_type="snap-start") as emulator:
            assert run(checkpoint(emulator)) is False
            document = emulator.wait_for_init_error()
        assert (document["errorType"], document["errorMessage"]) == (
            "Runtime.BeforeSnapshotError",
            "no snapshot",
        )

    def test_a_failing_after_restore_hook_is_a_restore_error(self, hooks: Any) -> None:
        hooks.register_after_restore(fail, "no reconnect")
        with RuntimeEmulator(initialization_type="snap-start") as emulator:
            assert run(checkpoint(emulator)) is False
            assert emulator.restore_error is not None
            assert emulator.restore_error["errorType"] == "Runtime.AfterRestoreError"

    def test_restore_next_refused(self, caplog: pytest.LogCaptureFixture, hooks: Any) -> None:
        async def checkpoint(connection: Connection) -> bool:
            return await snapstart.checkpoint(connection)

        outcome, _ = run(with_peer([reply(500, b"nope")], checkpoint))
        assert outcome is False
        assert "restore/next answered 500: b'nope'" in caplog.text

    def test_without_snapshot_restore_py_there_are_no_hooks(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
        assert snapstart._hooks("get_after_restore") == []


@pytest.fixture
def handler_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "handlers_for_test.py").write_text(
        "from tests.test_runtime_parts import hello\n"
        "number = 3\n"
        "async def broken(scope, receive, send):\n"
        "    if scope['type'] == 'lifespan':\n"
        "        await receive()\n"
        "        await send({'type': 'lifespan.startup.failed', 'message': 'down'})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "handlers_for_test"


class TestLoadHandler:
    def test_a_plain_asgi_app_gets_a_default_adapter(self, handler_module: str) -> None:
        adapter = load_handler(f"{handler_module}.hello")
        assert isinstance(adapter, Adapter) and adapter.app.__name__ == "hello"

    def test_an_attribute_that_is_no_app(self, handler_module: str) -> None:
        with pytest.raises(InitError, match="neither an Adapter nor an ASGI app: int") as info:
            load_handler(f"{handler_module}.number")
        assert info.value.document["errorType"] == "Runtime.HandlerNotFound"

    def test_an_app_whose_startup_fails(self, handler_module: str) -> None:
        with pytest.raises(InitError, match="lifespan startup failed: down") as info:
            load_handler(f"{handler_module}.broken")
        assert info.value.document["errorType"] == "LifespanError"

    def test_a_syntax_error(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "broken_syntax.py").write_text("def (:\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        with pytest.raises(InitError, match="Syntax error in module 'broken_syntax'") as info:
            load_handler("broken_syntax.handler")
        assert info.value.document["errorType"] == "Runtime.UserCodeSyntaxError"


NEXT = "/2018-06-01/runtime/invocation/next"
NEXT_HEADERS = {
    "lambda-runtime-aws-request-id": "r-1",
    "lambda-runtime-deadline-ms": "9999999999999",
}


class TestRuntime:
    def test_an_answer_lambda_refuses_is_logged(
        self, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-old")
        adapter = Adapter(hello, lifespan="off")
        event = function_url_event(path="/")
        with RuntimeEmulator(max_response_bytes=10) as emulator:
            invocation = emulator.submit(event, request_id="r-1")
            connection = Connection(emulator.address)
            _, headers, body = run(connection.request("GET", NEXT))
            del headers["lambda-runtime-trace-id"]
            run(Runtime(adapter, emulator.address).invoke(connection, headers, body))
            connection.close()
            assert invocation.result().status == "error"
        assert "Lambda refused the answer to r-1 (413)" in caplog.text
        import os

        assert "_X_AMZN_TRACE_ID" not in os.environ  # this invocation had no trace id

    def test_a_next_that_fails_ends_the_runtime(self) -> None:
        adapter = Adapter(hello, lifespan="off")

        async def serve(address: str) -> None:
            await Runtime(adapter, address).serve()

        async def main() -> None:
            async with ScriptedPeer([reply(500, b"broken")]) as address:
                await serve(address)

        with pytest.raises(RuntimeAPIError, match="next answered 500"):
            run(main())

    def test_stop_ends_serving(self) -> None:
        runtime = Runtime(Adapter(hello, lifespan="off"), "127.0.0.1:9", concurrency=2)

        async def main() -> None:
            with RuntimeEmulator() as emulator:
                runtime.address = emulator.address
                serving = asyncio.ensure_future(runtime.serve())
                await asyncio.sleep(0.05)
                runtime.stop()
                await serving

        run(main())
        assert all(worker.cancelled() for worker in runtime._workers)


class TestStreamingParts:
    def test_excluded_headers_and_the_size_limit(self) -> None:
        adapter = Adapter(hello, lifespan="off", exclude_headers=["x-secret"])
        event = function_url_event(path="/")
        with RuntimeEmulator() as emulator:
            invocation = emulator.submit(event, request_id="r-1")
            connection = Connection(emulator.address)
            run(connection.request("GET", NEXT))
            stream = ResponseStream(connection, "r-1", detect(event), event, adapter, limit=4)
            run(stream.start(200, [(b"x-secret", b"1"), (b"content-type", b"text/plain")]))
            run(stream.write(b"1234"))
            with pytest.raises(LambdaAsgiError, match="exceeds Lambda's limit of 4 bytes"):
                run(stream.write(b"5"))
            run(stream.finish())
            connection.close()
            result = invocation.result()
        assert result.prelude == {
            "statusCode": 200,
            "headers": {"content-type": "text/plain"},
            "cookies": [],
        }
        assert result.payload == b"1234"

    def test_a_complete_result_in_base64(self, caplog: pytest.LogCaptureFixture) -> None:
        adapter = Adapter(hello, lifespan="off")
        event = function_url_event(path="/")
        with RuntimeEmulator(max_stream_bytes=50) as emulator:
            invocation = emulator.submit(event, request_id="r-1")
            connection = Connection(emulator.address)
            run(connection.request("GET", NEXT))
            stream = ResponseStream(connection, "r-1", detect(event), event, adapter)
            result = {"statusCode": 200, "body": "aGk=", "isBase64Encoded": True}
            run(stream.send_result(result))
            run(stream.write(b"x" * 60))
            run(stream.finish())
            connection.close()
            assert invocation.result().status == "error"
        assert "Lambda refused the streamed response (413)" in caplog.text

    def test_sources_that_cannot_stream(self) -> None:
        from lambda_asgi.testing import alb_event

        adapter = Adapter(hello, lifespan="off")
        context = Context(NEXT_HEADERS, {})
        assert (
            run(stream_invocation(adapter, Connection("127.0.0.1:9"), alb_event(), context))
            is False
        )


async def with_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await hello(scope, receive, send)


class TestAdapterOptions:
    def test_invoke_mode_from_the_option_or_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("LAMBDA_ASGI_INVOKE_MODE", raising=False)
        assert Adapter(hello, lifespan="off").invoke_mode == "buffered"
        monkeypatch.setenv("LAMBDA_ASGI_INVOKE_MODE", "response_stream")
        assert Adapter(hello, lifespan="off").invoke_mode == "response_stream"
        adapter = Adapter(hello, lifespan="off", invoke_mode="buffered")
        assert adapter.invoke_mode == "buffered"

    def test_invalid_invoke_modes_are_named(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from lambda_asgi import ConfigurationError

        with pytest.raises(ConfigurationError, match="graceful_shutdown: must be True or False"):
            Adapter(hello, lifespan="off", graceful_shutdown="yes")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError) as info:
            Adapter(hello, lifespan="off", invoke_mode="stream")
        assert (info.value.option, str(info.value)) == (
            "invoke_mode",
            "invoke_mode: must be 'buffered' or 'response_stream', got 'stream'",
        )
        monkeypatch.setenv("LAMBDA_ASGI_INVOKE_MODE", "RESPONSE_STREAM")
        with pytest.raises(ConfigurationError) as info:
            Adapter(hello, lifespan="off")
        assert str(info.value) == (
            "invoke_mode: must be 'buffered' or 'response_stream', got 'RESPONSE_STREAM' "
            "(from LAMBDA_ASGI_INVOKE_MODE)"
        )

    @pytest.mark.usefixtures("fresh_extension")
    def test_on_lambda_an_app_with_a_lifespan_registers_the_extension(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with RuntimeEmulator() as emulator:
            monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", emulator.address)
            monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")  # no watcher
            without = Adapter(with_lifespan, graceful_shutdown=False)
            assert emulator.extensions == []
            adapter = Adapter(with_lifespan)
            try:
                emulator.wait_for_call("GET /extension/event/next")
                assert [e["name"] for e in emulator.extensions] == ["lambda-asgi"]
            finally:
                adapter.shutdown()
                without.shutdown()


class RecordingSink:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.calls.append(("start", (status, headers)))

    async def write(self, chunk: bytes) -> None:
        self.calls.append(("write", chunk))


def streaming_app(
    parts: list[bytes], *, then: str = "finish"
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"a", b"1")]})
        for part in parts:
            await send({"type": "http.response.body", "body": part, "more_body": True})
        if then == "raise":
            raise KeyError("gone")
        if then == "finish":
            await send({"type": "http.response.body", "body": b""})

    return app


def run_streamed(app: Any, sink: RecordingSink) -> Any:
    from lambda_asgi.cycle import run_http

    scope: Any = {"type": "http", "method": "GET", "path": "/s", "headers": []}
    return run(run_http(app, scope, b"", "r-1", sink))


class TestCycleSink:
    def test_body_chunks_go_to_the_sink_as_sent(self) -> None:
        sink = RecordingSink()
        response = run_streamed(streaming_app([b"one", b"", b"two"]), sink)
        assert (response.status, response.headers, response.body) == (201, [(b"a", b"1")], b"")
        assert sink.calls == [
            ("start", (201, [(b"a", b"1")])),
            ("write", b"one"),
            ("write", b"two"),
        ]

    def test_nothing_streamed_yet_is_still_a_500(self) -> None:
        sink = RecordingSink()
        response = run_streamed(streaming_app([], then="raise"), sink)
        assert (response.status, sink.calls) == (500, [])

    def test_a_failure_after_streaming_raises(self, caplog: pytest.LogCaptureFixture) -> None:
        sink = RecordingSink()
        with pytest.raises(KeyError, match="gone"):
            run_streamed(streaming_app([b"one"], then="raise"), sink)
        assert "after part of its body was streamed; reporting the error to Lambda" in caplog.text

    def test_returning_before_the_end_after_streaming_raises(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        from lambda_asgi import ProtocolError

        with pytest.raises(ProtocolError, match="returned before finishing its body"):
            run_streamed(streaming_app([b"one"], then="return"), RecordingSink())
        assert "app error: the ASGI app returned before finishing its body" in caplog.text
