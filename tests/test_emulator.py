"""The Runtime API emulator, driven by hand-written HTTP requests as a runtime would send them."""

from __future__ import annotations

import ast
import base64
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from lambda_asgi.emulator import (
    PRELUDE_DELIMITER,
    STREAM_CONTENT_TYPE,
    EmulatorError,
    RuntimeEmulator,
    _core,
    _http,
)
from lambda_asgi.emulator._http import Server

RUNTIME = "/2018-06-01/runtime"
EXTENSION = "/2020-01-01/extension"


@pytest.fixture
def emulator() -> Iterator[RuntimeEmulator]:
    with RuntimeEmulator(
        function_name="shop", max_response_bytes=1000, max_stream_bytes=2000
    ) as em:
        yield em


def call(
    emulator: RuntimeEmulator,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection(emulator.address, timeout=10)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def next_invocation(emulator: RuntimeEmulator) -> tuple[str, http.client.HTTPMessage, bytes]:
    status, headers, body = call(emulator, "GET", f"{RUNTIME}/invocation/next")
    assert status == 200
    return headers["Lambda-Runtime-Aws-Request-Id"], headers, body


def stream(
    emulator: RuntimeEmulator,
    request_id: str,
    chunks: list[bytes],
    trailers: Mapping[str, str] | None = None,
    content_type: str = STREAM_CONTENT_TYPE,
    raw_tail: bytes | None = None,
) -> tuple[int, bytes]:
    """POST a streamed response with trailers, which http.client cannot send."""
    host, port = emulator.address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST {RUNTIME}/invocation/{request_id}/response HTTP/1.1\r\n"
            f"Host: {emulator.address}\r\n"
            "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
            "Transfer-Encoding: chunked\r\n"
            f"Content-Type: {content_type}\r\n"
            "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
            "\r\n"
        )
        sock.sendall(head.encode())
        for chunk in chunks:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if raw_tail is not None:
            sock.sendall(raw_tail)
            sock.shutdown(socket.SHUT_WR)
        else:
            tail = "".join(f"{name}: {value}\r\n" for name, value in (trailers or {}).items())
            sock.sendall(b"0\r\n" + tail.encode() + b"\r\n")
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
        except http.client.RemoteDisconnected:
            return 0, b""
        return response.status, response.read()


def prelude(document: object) -> bytes:
    return json.dumps(document).encode() + PRELUDE_DELIMITER


class TestInvocations:
    def test_next_hands_out_the_event_and_its_headers(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit(
            {"path": "/"},
            request_id="req-1",
            trace_id="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            client_context={"custom": {"k": "v"}},
            identity={"cognitoIdentityId": "id", "cognitoIdentityPoolId": "pool"},
        )
        request_id, headers, body = next_invocation(emulator)
        assert json.loads(body) == {"path": "/"}
        assert request_id == "req-1"
        assert headers["Lambda-Runtime-Invoked-Function-Arn"] == (
            "arn:aws:lambda:us-east-1:123456789012:function:shop"
        )
        assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-5759e988")
        assert json.loads(headers["Lambda-Runtime-Client-Context"]) == {"custom": {"k": "v"}}
        assert json.loads(headers["Lambda-Runtime-Cognito-Identity"])["cognitoIdentityId"] == "id"
        assert int(headers["Lambda-Runtime-Deadline-Ms"]) > 0
        status, _, answer = call(
            emulator,
            "POST",
            f"{RUNTIME}/invocation/req-1/response",
            b'{"statusCode": 200}',
            {"Content-Type": "application/json"},
        )
        assert (status, json.loads(answer)) == (202, {"status": "OK"})
        result = invocation.result(timeout=5)
        assert (result.status, result.json(), result.streamed) == (
            "success",
            {"statusCode": 200},
            False,
        )
        assert result.content_type == "application/json"
        assert result.delivered_at is not None and result.finished_at is not None
        assert repr(result).startswith("<Result req-1 success")

    def test_default_trace_ids_look_like_lambdas(self, emulator: RuntimeEmulator) -> None:
        emulator.submit(b"{}")
        _, headers, body = next_invocation(emulator)
        assert body == b"{}"
        assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-")
        assert "Lambda-Runtime-Client-Context" not in headers

    def test_error_is_the_result(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        document = {"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []}
        status, _, _ = call(
            emulator,
            "POST",
            f"{RUNTIME}/invocation/{request_id}/error",
            json.dumps(document).encode(),
            {"Lambda-Runtime-Function-Error-Type": "ValueError"},
        )
        assert status == 202
        result = invocation.result()
        assert (result.status, result.error, result.error_type) == ("error", document, "ValueError")
        assert result.json() == document

    def test_an_error_body_that_is_not_json_is_kept_as_the_message(
        self, emulator: RuntimeEmulator
    ) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        call(emulator, "POST", f"{RUNTIME}/invocation/{request_id}/error", b"plain words")
        assert invocation.result().error == {
            "errorMessage": "plain words",
            "errorType": "Runtime.Unknown",
        }

    def test_buffered_response_over_the_limit_is_refused(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        status, _, answer = call(
            emulator, "POST", f"{RUNTIME}/invocation/{request_id}/response", b"x" * 1001
        )
        assert (status, json.loads(answer)) == (
            413,
            {
                "errorMessage": "Exceeded maximum allowed payload size (1000 bytes).",
                "errorType": "RequestEntityTooLarge",
            },
        )
        result = invocation.result()
        assert (result.status, result.error) == (
            "error",
            {
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                "(1000 bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            },
        )

    def test_a_chunked_buffered_response_counts_too(self, emulator: RuntimeEmulator) -> None:
        first, second = emulator.submit({}), emulator.submit({})
        for invocation, size, expected in ((first, 1000, 202), (second, 1001, 413)):
            request_id, _, _ = next_invocation(emulator)
            connection = http.client.HTTPConnection(emulator.address, timeout=10)
            connection.request(
                "POST",
                f"{RUNTIME}/invocation/{request_id}/response",
                body=iter([b"y" * (size - 1), b"z"]),
                encode_chunked=True,
            )
            assert connection.getresponse().status == expected
            connection.close()
            assert invocation.result().status == ("success" if expected == 202 else "error")
        assert first.result().payload == b"y" * 999 + b"z"

    def test_unknown_or_answered_request_ids_are_refused(self, emulator: RuntimeEmulator) -> None:
        queued = emulator.submit({})
        status, _, answer = call(
            emulator, "POST", f"{RUNTIME}/invocation/{queued.request_id}/response", b"{}"
        )
        assert (status, json.loads(answer)["errorType"]) == (400, "InvalidRequestID")
        request_id, _, _ = next_invocation(emulator)
        assert call(emulator, "POST", f"{RUNTIME}/invocation/{request_id}/response", b"1")[0] == 202
        status, _, _ = call(emulator, "POST", f"{RUNTIME}/invocation/{request_id}/error", b"{}")
        assert status == 400

    def test_unknown_paths_are_404(self, emulator: RuntimeEmulator) -> None:
        for method, path in (
            ("GET", "/2018-06-01/runtime/nope"),
            ("POST", f"{RUNTIME}/invocation/abc/bogus"),
            ("GET", "/"),
        ):
            status, _, answer = call(emulator, method, path, b"" if method == "POST" else None)
            assert (status, json.loads(answer)["errorType"]) == (404, "InvalidPath")
        assert emulator.calls == [
            "GET /runtime/nope",
            "POST /runtime/invocation/abc/bogus",
            "GET /",
        ]

    def test_no_answer_in_time_raises(self, emulator: RuntimeEmulator) -> None:
        with pytest.raises(EmulatorError, match=r"got no answer within 0\.01 s"):
            emulator.invoke({}, timeout=0.01)

    def test_concurrent_next_calls_each_get_one_invocation(self, emulator: RuntimeEmulator) -> None:
        received: list[str] = []

        def runtime() -> None:
            received.append(next_invocation(emulator)[0])

        threads = [threading.Thread(target=runtime) for _ in range(3)]
        for thread in threads:
            thread.start()
        ids = {emulator.submit({}).request_id for _ in range(3)}
        for thread in threads:
            thread.join(10)
        assert sorted(received) == sorted(ids)


class TestStreaming:
    def test_prelude_chunks_and_times(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        head = prelude({"statusCode": 200, "headers": {"content-type": "text/plain"}})
        status, _ = stream(emulator, request_id, [head, b"data: 1\n\n", b"data: 2\n\n"])
        assert status == 202
        assert [chunk.data for chunk in invocation.wait_for_chunks(3)] == [
            head,
            b"data: 1\n\n",
            b"data: 2\n\n",
        ]
        result = invocation.result()
        assert result.streamed and result.status == "success"
        assert result.prelude == {"statusCode": 200, "headers": {"content-type": "text/plain"}}
        assert result.payload == b"data: 1\n\ndata: 2\n\n"
        assert result.chunks[0].at <= result.chunks[2].at
        assert result.content_type == STREAM_CONTENT_TYPE

    def test_plain_stream_without_prelude(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        stream(emulator, request_id, [b"abc", b"def"], content_type="application/octet-stream")
        result = invocation.result()
        assert (result.prelude, result.payload) == (None, b"abcdef")

    @pytest.mark.parametrize(
        "body",
        [b"no delimiter at all", b"[1, 2]" + PRELUDE_DELIMITER + b"x", b"{bad" + PRELUDE_DELIMITER],
    )
    def test_a_bad_prelude_leaves_the_body_whole(
        self, emulator: RuntimeEmulator, body: bytes
    ) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        stream(emulator, request_id, [body])
        result = invocation.result()
        assert (result.prelude, result.payload) == (None, body)

    def test_error_trailers(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        document = {"errorMessage": "late", "errorType": "ValueError", "stackTrace": []}
        trailers = {
            "Lambda-Runtime-Function-Error-Type": "ValueError",
            "Lambda-Runtime-Function-Error-Body": base64.b64encode(
                json.dumps(document).encode()
            ).decode(),
        }
        assert (
            stream(emulator, request_id, [prelude({"statusCode": 200}), b"part"], trailers)[0]
            == 202
        )
        result = invocation.result()
        assert (result.status, result.error, result.error_type) == ("error", document, "ValueError")
        assert result.payload == b"part"

    def test_an_undecodable_error_body_is_kept(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        trailers = {
            "Lambda-Runtime-Function-Error-Type": "Oops",
            "Lambda-Runtime-Function-Error-Body": "%%%",
        }
        stream(emulator, request_id, [b"x"], trailers)
        assert invocation.result().error == {"errorMessage": "%%%", "errorType": "Oops"}

    def test_stream_over_the_limit(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        status, answer = stream(emulator, request_id, [b"a" * 1500, b"b" * 1000])
        assert status == 413
        assert json.loads(answer)["errorType"] == "Function.ResponseSizeTooLarge"
        result = invocation.result()
        assert result.status == "error"
        assert result.payload == b"a" * 1500

    def test_a_broken_stream_fails_the_invocation(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        assert stream(emulator, request_id, [b"ok"], raw_tail=b"zz\r\n") == (0, b"")
        result = invocation.result()
        assert result.status == "error"
        assert result.error is not None and result.error["errorType"] == "Runtime.ExitError"

    def test_a_truncated_chunk_fails_the_invocation(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        stream(emulator, request_id, [], raw_tail=b"10\r\nshort")
        assert invocation.result().status == "error"

    def test_a_broken_buffered_body_fails_the_invocation(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        host, port = emulator.address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                f"POST {RUNTIME}/invocation/{request_id}/response HTTP/1.1\r\n"
                "Transfer-Encoding: chunked\r\n\r\nnot-hex\r\n".encode()
            )
            sock.shutdown(socket.SHUT_WR)
            assert sock.recv(100) == b""
        assert invocation.result().error == {
            "errorMessage": "the runtime's response broke off: "
            "bad chunk size line b'not-hex\\r\\n'",
            "errorType": "Runtime.ExitError",
        }

    def test_a_body_shorter_than_its_length_fails_quietly(self, emulator: RuntimeEmulator) -> None:
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        for length in ("2000", "abc"):  # over the limit and cut short; not a number
            host, port = emulator.address.split(":")
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(
                    f"POST {RUNTIME}/invocation/{request_id}/response HTTP/1.1\r\n"
                    f"Content-Length: {length}\r\n\r\nshort".encode()
                )
                sock.shutdown(socket.SHUT_WR)
                reply = sock.recv(100)
            assert reply.startswith(b"HTTP/1.1 413") if length == "2000" else reply == b""
        assert invocation.result().error == {
            "errorMessage": "Response payload size exceeded maximum allowed payload size "
            "(1000 bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }


class TestInit:
    def test_init_error_fails_pending_and_later_invocations(
        self, emulator: RuntimeEmulator
    ) -> None:
        pending = emulator.submit({})
        document = {"errorMessage": "no module", "errorType": "Runtime.ImportModuleError"}
        status, _, _ = call(
            emulator,
            "POST",
            f"{RUNTIME}/init/error",
            json.dumps(document).encode(),
            {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"},
        )
        assert status == 202
        assert emulator.wait_for_init_error() == document
        assert pending.result().error == document
        assert emulator.invoke({}).json() == document

    def test_waiting_for_an_init_error_or_a_call_times_out(self, emulator: RuntimeEmulator) -> None:
        with pytest.raises(EmulatorError, match="no init error"):
            emulator.wait_for_init_error(timeout=0.01)
        with pytest.raises(EmulatorError, match="did not call GET /runtime/restore/next"):
            emulator.wait_for_call("GET /runtime/restore/next", timeout=0.01)

    def test_restore(self, emulator: RuntimeEmulator) -> None:
        assert call(emulator, "GET", f"{RUNTIME}/restore/next")[0] == 200
        emulator.wait_for_call("GET /runtime/restore/next")
        document = {"errorMessage": "hook failed", "errorType": "Runtime.AfterRestoreError"}
        status, _, _ = call(
            emulator, "POST", f"{RUNTIME}/restore/error", json.dumps(document).encode()
        )
        assert (status, emulator.restore_error) == (202, document)

    def test_environ(self) -> None:
        with RuntimeEmulator(initialization_type="snap-start", region="eu-west-1") as emulator:
            env = emulator.environ("app.handler", task_root="/var/task")
            assert env == {
                "AWS_LAMBDA_RUNTIME_API": emulator.address,
                "AWS_EXECUTION_ENV": "AWS_Lambda_python{}.{}".format(*sys.version_info),
                "_HANDLER": "app.handler",
                "AWS_LAMBDA_FUNCTION_NAME": "function",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
                "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/function",
                "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef",
                "AWS_REGION": "eu-west-1",
                "AWS_DEFAULT_REGION": "eu-west-1",
                "LAMBDA_TASK_ROOT": "/var/task",
            }
            assert "LAMBDA_TASK_ROOT" not in emulator.environ("app.handler")

    def test_close_ends_a_waiting_next(self) -> None:
        emulator = RuntimeEmulator()
        outcome: list[BaseException] = []

        def runtime() -> None:
            try:
                call(emulator, "GET", f"{RUNTIME}/invocation/next")
            except (http.client.HTTPException, OSError) as exc:
                outcome.append(exc)

        thread = threading.Thread(target=runtime)
        thread.start()
        emulator.wait_for_call("GET /runtime/invocation/next")
        emulator.close()
        thread.join(10)
        assert isinstance(outcome[0], http.client.RemoteDisconnected)


def register(
    emulator: RuntimeEmulator, events: object, name: str | None = "lambda-asgi"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    headers = {} if name is None else {"Lambda-Extension-Name": name}
    body = json.dumps({"events": events}).encode()
    return call(emulator, "POST", f"{EXTENSION}/register", body, headers)


def extension_next(
    emulator: RuntimeEmulator, identifier: str, out: list[object]
) -> threading.Thread:
    def wait() -> None:
        try:
            status, _, body = call(
                emulator,
                "GET",
                f"{EXTENSION}/event/next",
                headers={"Lambda-Extension-Identifier": identifier},
            )
            out.append((status, json.loads(body)))
        except (http.client.HTTPException, OSError) as exc:
            out.append(exc)

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread


SLEEPER = "import signal, sys, time\n{setup}\nprint('ready', flush=True)\ntime.sleep(30)\n"


def sleeper(setup: str = "") -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", SLEEPER.format(setup=setup)], stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    process.stdout.close()
    return process


class TestExtensions:
    def test_register_validates(self, emulator: RuntimeEmulator) -> None:
        status, _, body = register(emulator, [], name=None)
        assert (status, json.loads(body)["errorType"]) == (400, "InvalidExtensionName")
        for events in (["BOGUS"], "INVOKE"):
            status, _, body = register(emulator, events)
            assert (status, json.loads(body)["errorType"]) == (400, "InvalidEventType")
        status, _, body = call(
            emulator,
            "POST",
            f"{EXTENSION}/register",
            b"not json",
            {"Lambda-Extension-Name": "x"},
        )
        assert status == 400
        assert emulator.extensions == []

    def test_unknown_identifier(self, emulator: RuntimeEmulator) -> None:
        out: list[object] = []
        extension_next(emulator, "nobody", out).join(10)
        assert out == [
            (
                403,
                {
                    "errorMessage": "unknown extension identifier 'nobody'",
                    "errorType": "UnknownExtensionIdentifier",
                },
            )
        ]

    def test_invocations_wait_for_extensions_then_invoke_and_shutdown_events(
        self, emulator: RuntimeEmulator
    ) -> None:
        emulator.environ("app.handler")
        status, headers, body = register(emulator, ["INVOKE", "SHUTDOWN"])
        assert status == 200
        assert json.loads(body) == {
            "functionName": "shop",
            "functionVersion": "$LATEST",
            "handler": "app.handler",
        }
        identifier = headers["Lambda-Extension-Identifier"]
        invocation = emulator.submit({}, request_id="r1", trace_id="Root=1-a-b")
        got: list[str] = []
        runtime = threading.Thread(target=lambda: got.append(next_invocation(emulator)[0]))
        runtime.start()
        runtime.join(0.2)
        assert got == []  # held back: the extension has not called event/next yet
        events: list[Any] = []
        extension_next(emulator, identifier, events).join(10)
        runtime.join(10)
        assert got == ["r1"]
        ((status, event),) = events
        assert status == 200
        assert event == {
            "eventType": "INVOKE",
            "deadlineMs": event["deadlineMs"],
            "requestId": "r1",
            "invokedFunctionArn": emulator.function_arn,
            "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-a-b"},
        }
        assert invocation.done is False
        waiter = extension_next(emulator, identifier, events)
        process = sleeper()
        assert emulator.shutdown(process) == (True, True, -15)
        waiter.join(10)
        assert events[1] == (
            200,
            {
                "eventType": "SHUTDOWN",
                "shutdownReason": "spindown",
                "deadlineMs": events[1][1]["deadlineMs"],
            },
        )

    def test_an_extension_without_invoke_gets_no_invoke_events(
        self, emulator: RuntimeEmulator
    ) -> None:
        _, headers, _ = register(emulator, [])
        events: list[Any] = []
        extension_next(emulator, headers["Lambda-Extension-Identifier"], events)
        emulator.submit({})
        next_invocation(emulator)
        assert (emulator.extensions[0]["inbox"], events) == ([], [])

    def test_an_answer_for_an_invocation_already_failed_is_dropped(
        self, emulator: RuntimeEmulator
    ) -> None:
        # An init error fails every active invocation; a worker may still answer one of them.
        invocation = emulator.submit({})
        request_id, _, _ = next_invocation(emulator)
        call(emulator, "POST", f"{RUNTIME}/init/error", b'{"errorMessage": "x"}')
        emulator.complete(request_id, "success", payload=b"late")
        assert (invocation.outcome.status, invocation.outcome.payload) == ("error", b"")

    def test_registration_after_init_is_refused(self, emulator: RuntimeEmulator) -> None:
        emulator.submit({})
        next_invocation(emulator)
        status, _, body = register(emulator, [])
        assert (status, json.loads(body)) == (
            403,
            {
                "errorMessage": "Extension registration closed already",
                "errorType": "Extension.RegistrationClosed",
            },
        )
        assert emulator.extensions == []

    def test_a_name_registers_once_per_environment(self, emulator: RuntimeEmulator) -> None:
        # What the second worker process of a Lambda Managed Instances environment gets when
        # it registers the extension the first one already did.
        first, _, _ = register(emulator, [])
        second, _, body = register(emulator, [])
        assert (first, second, json.loads(body)) == (
            200,
            403,
            {
                "errorMessage": "Extension with this name already registered",
                "errorType": "Extension.InvalidExtensionState",
            },
        )
        assert [extension["name"] for extension in emulator.extensions] == ["lambda-asgi"]
        status, _, _ = register(emulator, [], name="another")
        assert status == 200

    def test_close_ends_a_waiting_event_next(self) -> None:
        emulator = RuntimeEmulator()
        _, headers, _ = register(emulator, [])
        out: list[object] = []
        thread = extension_next(emulator, headers["Lambda-Extension-Identifier"], out)
        emulator.wait_for_call("GET /extension/event/next")
        emulator.close()
        thread.join(10)
        assert isinstance(out[0], http.client.RemoteDisconnected)


# A leader that forks workers, as awslambdaric does under AWS_LAMBDA_MAX_CONCURRENCY: each
# worker notes the SIGTERM in a file named by its pid, after a pause the grace must cover.
GROUP = """
import os, signal, sys, time
from pathlib import Path

def worker():
    def stop(signum, frame):
        time.sleep(0.2)
        Path(sys.argv[1], str(os.getpid())).write_text("SIGTERM")
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    os.write(1, f"{os.getpid()}\\n".encode())  # one write: workers print at once
    while True:
        time.sleep(1)

for _ in range(3):
    if os.fork() == 0:
        worker()
time.sleep(30)
"""


class TestShutdown:
    def test_without_an_extension_the_process_is_killed(self, emulator: RuntimeEmulator) -> None:
        assert emulator.shutdown(sleeper()) == (False, False, -9)

    def test_a_process_group_gets_the_sigterm_and_its_grace(
        self, emulator: RuntimeEmulator, tmp_path: Path
    ) -> None:
        register(emulator, [])
        process = subprocess.Popen(
            [sys.executable, "-c", GROUP, str(tmp_path)],
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            assert process.stdout is not None
            workers = {process.stdout.readline().strip().decode() for _ in range(3)}
            process.stdout.close()
            assert emulator.shutdown(process, grace=10) == (True, True, -15)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        assert {path.name: path.read_text() for path in tmp_path.iterdir()} == dict.fromkeys(
            workers, "SIGTERM"
        )

    def test_a_worker_still_running_after_the_grace_is_killed(
        self, emulator: RuntimeEmulator, tmp_path: Path
    ) -> None:
        register(emulator, [])
        stubborn = GROUP.replace(
            "signal.signal(signal.SIGTERM, stop)", "signal.signal(signal.SIGTERM, signal.SIG_IGN)"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", stubborn, str(tmp_path)],
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            assert process.stdout is not None
            workers = [int(process.stdout.readline()) for _ in range(3)]
            process.stdout.close()
            # The leader dies of the SIGTERM at once; its workers ignore it and are killed.
            assert emulator.shutdown(process, grace=0.3) == (True, False, -15)
            for pid in workers:
                stat = Path(f"/proc/{pid}/stat")
                assert not stat.exists() or stat.read_text().rpartition(")")[2].split()[0] == "Z"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def test_a_runtime_that_already_ended(self, emulator: RuntimeEmulator) -> None:
        process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
        process.wait()
        assert emulator.shutdown(process) == (False, False, 3)

    def test_a_process_group_without_an_extension_is_killed_whole(
        self, emulator: RuntimeEmulator, tmp_path: Path
    ) -> None:
        process = subprocess.Popen(
            [sys.executable, "-c", GROUP, str(tmp_path)],
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            assert process.stdout is not None
            workers = [int(process.stdout.readline()) for _ in range(3)]
            process.stdout.close()
            assert emulator.shutdown(process) == (False, False, -9)
            for pid in workers:
                # Killed; maybe a zombie nobody reaps, but no longer running.
                stat = Path(f"/proc/{pid}/stat")
                assert not stat.exists() or stat.read_text().rpartition(")")[2].split()[0] == "Z"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        assert list(tmp_path.iterdir()) == []

    def test_a_process_ignoring_sigterm_is_killed_after_the_grace(
        self, emulator: RuntimeEmulator
    ) -> None:
        register(emulator, [])
        process = sleeper("signal.signal(signal.SIGTERM, signal.SIG_IGN)")
        assert emulator.shutdown(process, grace=0.2) == (True, False, -9)


def wait_for_accept_queue(port: int, count: int, timeout: float = 10.0) -> int:
    """How many connections wait in the accept queue of the socket listening on ``port``
    (Linux reports it in /proc/net/tcp), once ``count`` do or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        queued = 0
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # LISTEN
                queued = int(fields[4].split(":")[1], 16)
        if queued >= count or time.monotonic() > deadline:
            return queued
        time.sleep(0.01)


def package_imports(path: str) -> list[str]:
    """The imports of lambda_asgi modules in the source file at ``path``, as written."""
    found = []
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.ImportFrom):
            name = "." * node.level + (node.module or "")
            if node.level or name.startswith("lambda_asgi"):
                found.append(name)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("lambda_asgi")]
    return found


class TestServer:
    def test_every_worker_of_a_large_environment_connects_at_once(
        self, emulator: RuntimeEmulator
    ) -> None:
        """AWS_LAMBDA_MAX_CONCURRENCY workers (64 and more) all connect for their first
        ``next`` at once: the listen backlog must take every connection even before the
        server accepts, rather than drop SYNs for the kernel to retry (a second and more
        later, past the connect timeout of awslambdaric's client)."""
        workers = 128
        server = Server(("127.0.0.1", 0), emulator)  # listening, not yet accepting
        port = server.server_address[1]
        sockets = [socket.socket() for _ in range(workers)]
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        try:
            for client in sockets:
                client.setblocking(False)
                client.connect_ex(server.server_address)
            queued = wait_for_accept_queue(port, workers)
            assert queued == workers, f"the backlog took {queued} of {workers} connections"
            ids = {emulator.submit({"n": n}).request_id for n in range(workers)}
            thread.start()
            answered = set()
            for client in sockets:
                client.setblocking(True)
                client.settimeout(10)
                client.sendall(
                    f"GET {RUNTIME}/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                )
                response = http.client.HTTPResponse(client)
                response.begin()
                assert response.status == 200
                answered.add(response.headers["Lambda-Runtime-Aws-Request-Id"])
                response.read()
                response.close()
            assert answered == ids
        finally:
            for client in sockets:
                client.close()
            if thread.is_alive():
                server.shutdown()
            server.server_close()

    def test_the_http_side_imports_nothing_of_the_core(self) -> None:
        """One-way: the core imports the HTTP side, which runs alone (loaded outside its
        package, where a relative import would fail) without a module of lambda_asgi."""
        script = (
            "import importlib.util, sys\n"
            "spec = importlib.util.spec_from_file_location('alone', sys.argv[1])\n"
            "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
            "print(sorted(name for name in sys.modules if name.startswith('lambda_asgi')))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, _http.__file__],
            capture_output=True,
            check=True,
            text=True,
        )
        assert done.stdout == "[]\n"
        # Not even for type checking: no relative import at all, nor of lambda_asgi; while
        # the core imports the HTTP side.
        assert package_imports(_http.__file__) == []
        assert package_imports(_core.__file__) == ["..exceptions", "._http"]
