"""lambda_asgi.runtime end to end: a real runtime subprocess (ours, or the official
awslambdaric) serving tests/runtime_app.py against the Runtime API emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lambda_asgi.emulator import Result, RuntimeEmulator
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
)

ROOT = Path(__file__).resolve().parent.parent
HANDLER = "tests.runtime_app.handler"
COOKIES = {"session": "abc", "theme": "dark"}


class Runtime:
    """A runtime subprocess and the emulator it talks to."""

    def __init__(self, emulator: RuntimeEmulator, process: subprocess.Popen[bytes], log: Path):
        self.emulator = emulator
        self.process = process
        self.log = log

    def invoke(self, event: Any, **options: Any) -> Result:
        return self.emulator.invoke(event, timeout=30, **options)

    def logs(self) -> str:
        return self.log.read_text()

    def peak_rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1])


@contextmanager
def start_runtime(
    tmp_path: Path,
    *,
    official: bool = False,
    env: dict[str, str] | None = None,
    handler: str = HANDLER,
    command: list[str] | None = None,
    session: bool = False,
    **emulator_options: Any,
) -> Iterator[Runtime]:
    """``session``: start the runtime in a process group of its own, which the emulator
    signals whole at shutdown, as Lambda signals a runtime's."""
    with RuntimeEmulator(**emulator_options) as emulator:
        environ = {**os.environ, **emulator.environ(handler, task_root=str(ROOT)), **(env or {})}
        if command is None and official:
            command = [sys.executable, "-m", "awslambdaric", handler]
        elif command is None:
            command = [sys.executable, "-m", "lambda_asgi.runtime"]
        log = tmp_path / f"runtime-{len(list(tmp_path.glob('runtime-*')))}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                env=environ,
                cwd=ROOT,
                stdout=stderr,
                stderr=subprocess.STDOUT,
                start_new_session=session,
            )
        try:
            yield Runtime(emulator, process, log)
        finally:
            if process.poll() is None:
                emulator.shutdown(process, grace=10)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runtime")


@pytest.fixture(scope="module")
def ours(module_tmp: Path) -> Iterator[Runtime]:
    with start_runtime(module_tmp, env={"LAMBDA_ASGI_INVOKE_MODE": "buffered"}) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def official(module_tmp: Path) -> Iterator[Runtime]:
    with start_runtime(module_tmp, official=True) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def streaming(module_tmp: Path) -> Iterator[Runtime]:
    env = {"LAMBDA_ASGI_INVOKE_MODE": "response_stream"}
    with start_runtime(module_tmp, env=env, max_stream_bytes=60 * 1024 * 1024) as runtime:
        yield runtime


def request(build: Callable[..., dict[str, Any]], **options: Any) -> dict[str, Any]:
    return build(
        method="POST",
        path="/echo/caf%C3%A9",
        query="a=1&a=2&b=x%20y",
        headers={"Content-Type": "text/plain", "X-Custom": "yes"},
        cookies=COOKIES,
        body="hello runtime",
        **options,
    )


EVENTS = {
    "rest": lambda: request(rest_event),
    "http_api_v1": lambda: request(http_api_event, payload_version="1.0"),
    "http_api_v2": lambda: request(http_api_event),
    "function_url": lambda: request(function_url_event),
    "alb": lambda: request(alb_event),
    "alb_multi_value": lambda: request(alb_event, multi_value=True),
    "edge": lambda: request(edge_event),
    "lattice_v1": lambda: request(lattice_event, version=1),
    "lattice_v2": lambda: request(lattice_event),
}


class TestBuffered:
    @pytest.mark.parametrize("source", sorted(EVENTS))
    def test_every_source_as_under_awslambdaric(
        self, source: str, ours: Runtime, official: Runtime
    ) -> None:
        from tests.runtime_app import handler

        event = EVENTS[source]()
        mine, theirs = ours.invoke(event), official.invoke(event)
        assert (mine.status, theirs.status) == ("success", "success")
        assert mine.json() == theirs.json() == json.loads(json.dumps(handler(event, FakeContext())))
        assert "hello runtime" in json.dumps(mine.json())

    def test_the_context_and_trace_id(self, ours: Runtime) -> None:
        trace = "Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938;Parent=53995c3f42cd8ad8;Sampled=1"
        result = ours.invoke(
            function_url_event(path="/context"),
            request_id="c0ffee00-0000-4000-8000-000000000001",
            trace_id=trace,
            identity={"cognitoIdentityId": "us-east-1:abc", "cognitoIdentityPoolId": "p"},
            client_context={"custom": {"tenant": "acme"}, "client": {}, "env": {}},
        )
        assert json.loads(result.json()["body"]) == {
            "request_id": "c0ffee00-0000-4000-8000-000000000001",
            "arn": "arn:aws:lambda:us-east-1:123456789012:function:function",
            "function_name": "function",
            "remaining_positive": True,
            "trace_id": trace,
            "env_trace_id": trace,
            "identity": "us-east-1:abc",
            "client_custom": {"tenant": "acme"},
        }

    def test_an_event_no_source_takes_is_an_invocation_error(self, ours: Runtime) -> None:
        result = ours.invoke({"Records": [{"eventSource": "aws:sqs"}]})
        assert result.status == "error"
        assert result.error is not None
        assert result.error["errorType"] == "UnsupportedEventError"
        assert result.error["errorMessage"].startswith("no event source recognises this event")
        assert any("adapter.py" in line for line in result.error["stackTrace"])
        assert result.json() == result.error

    def test_an_event_that_is_not_json_is_an_invocation_error(self, ours: Runtime) -> None:
        result = ours.invoke(b"{not json")
        assert result.error is not None and result.error["errorType"] == "JSONDecodeError"


class TestStreaming:
    def test_the_first_event_arrives_before_the_app_finishes(
        self, streaming: Runtime, tmp_path: Path
    ) -> None:
        gate = tmp_path / "gate"
        invocation = streaming.emulator.submit(
            function_url_event(path="/sse", query={"gate": str(gate)})
        )
        prelude, first = invocation.wait_for_chunks(2, timeout=30)[:2]
        assert first.data == b"data: first\n\n"
        assert not invocation.done  # the app is still waiting for the gate
        gate.touch()
        result = invocation.result(timeout=30)
        assert result.status == "success"
        assert result.prelude == {
            "statusCode": 200,
            "headers": {"content-type": "text/event-stream"},
            "cookies": ["stream=1"],
        }
        assert result.payload == b"data: first\n\ndata: 2\n\ndata: 3\n\n"
        assert result.delivered_at is not None and result.finished_at is not None
        assert result.delivered_at <= prelude.at <= first.at < result.finished_at

    def test_fifty_megabytes_stream_with_flat_memory(self, streaming: Runtime) -> None:
        streaming.invoke(function_url_event(path="/big", query={"mb": "1"}))  # warm up
        before = streaming.peak_rss_kb()
        result = streaming.invoke(function_url_event(path="/big", query={"mb": "50"}))
        growth_mb = (streaming.peak_rss_kb() - before) / 1024
        assert result.status == "success"
        assert len(result.payload) == 50 * 1024 * 1024
        assert growth_mb < 10, f"peak RSS grew by {growth_mb:.1f} MB"

    def test_a_failure_after_the_first_bytes_goes_to_the_trailers(self, streaming: Runtime) -> None:
        result = streaming.invoke(rest_event(path="/boom"))
        assert (result.status, result.error_type, result.payload) == (
            "error",
            "ValueError",
            b"partial",
        )
        assert result.error is not None
        assert result.error["errorMessage"] == "failed after the first bytes"
        assert any("runtime_app.py" in line for line in result.error["stackTrace"])
        assert result.prelude == {
            "statusCode": 200,
            "headers": {"content-type": "text/plain"},
            "multiValueHeaders": {"Set-Cookie": ["stream=1"]},
        }

    def test_a_failure_before_the_first_bytes_is_a_500(self, streaming: Runtime) -> None:
        result = streaming.invoke(function_url_event(path="/early"))
        assert (result.status, result.payload) == ("success", b"Internal Server Error")
        assert result.prelude == {
            "statusCode": 500,
            "headers": {"content-type": "text/plain; charset=utf-8", "content-length": "21"},
            "cookies": [],
        }

    def test_a_small_answer_is_one_prelude_and_body(self, streaming: Runtime) -> None:
        result = streaming.invoke(request(function_url_event))
        assert result.status == "success" and result.streamed
        assert result.prelude is not None
        assert result.prelude["cookies"] == ["session=abc; Path=/", "theme=dark"]
        assert result.prelude["headers"]["x-repeated"] == "one, two"
        assert json.loads(result.payload)["body"] == "hello runtime"

    def test_a_request_that_never_reaches_the_app_is_streamed_too(self, streaming: Runtime) -> None:
        event = function_url_event(path="/echo", body="not base64!", base64=True)
        result = streaming.invoke(event)
        assert result.prelude is not None and result.prelude["statusCode"] == 400
        assert result.payload.startswith(b"Bad Request")

    def test_head_streams_no_body(self, streaming: Runtime) -> None:
        result = streaming.invoke(function_url_event(method="HEAD", path="/big", query={"mb": "1"}))
        assert result.prelude is not None and result.prelude["statusCode"] == 200
        assert result.payload == b""

    def test_sources_that_cannot_stream_answer_buffered(self, streaming: Runtime) -> None:
        from tests.runtime_app import handler

        event = request(alb_event)
        result = streaming.invoke(event)
        assert not result.streamed
        assert result.json() == json.loads(json.dumps(handler(event, FakeContext())))


class TestInitErrors:
    @pytest.mark.parametrize(
        ("handler", "env", "error_type", "message"),
        [
            (
                "tests.no_such_module.handler",
                {},
                "Runtime.ImportModuleError",
                "Unable to import module 'tests.no_such_module': "
                "No module named 'tests.no_such_module'",
            ),
            (
                "tests.runtime_app.nothing",
                {},
                "Runtime.HandlerNotFound",
                "Handler 'nothing' missing on module 'tests.runtime_app'",
            ),
            (
                "handler",
                {},
                "Runtime.MalformedHandlerName",
                "Bad handler 'handler': not module.attr",
            ),
            (
                HANDLER,
                {"RUNTIME_APP_FAIL_STARTUP": "1"},
                "LifespanError",
                "lifespan startup failed: no database",
            ),
            (
                HANDLER,
                {"AWS_LAMBDA_MAX_CONCURRENCY": "zero"},
                "Runtime.InvalidConcurrency",
                "AWS_LAMBDA_MAX_CONCURRENCY must be >= 1, got 'zero'",
            ),
        ],
    )
    def test_init_errors_are_reported(
        self, tmp_path: Path, handler: str, env: dict[str, str], error_type: str, message: str
    ) -> None:
        with start_runtime(tmp_path, handler=handler, env=env) as runtime:
            document = runtime.emulator.wait_for_init_error(timeout=30)
            assert runtime.process.wait(30) == 1
        assert (document["errorType"], document["errorMessage"]) == (error_type, message)
        assert isinstance(document["stackTrace"], list)

    def test_a_failing_before_snapshot_hook(self, tmp_path: Path) -> None:
        env = {"RUNTIME_APP_FAIL_SNAPSHOT": "1"}
        with start_runtime(tmp_path, env=env, initialization_type="snap-start") as runtime:
            document = runtime.emulator.wait_for_init_error(timeout=30)
            assert runtime.process.wait(30) == 1
        assert document["errorType"] == "Runtime.BeforeSnapshotError"
        assert "GET /runtime/restore/next" not in runtime.emulator.calls

    def test_no_runtime_api(self) -> None:
        environ = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
        done = subprocess.run(
            [sys.executable, "-m", "lambda_asgi.runtime"], env=environ, capture_output=True
        )
        assert (done.returncode, done.stderr) == (
            2,
            b"lambda_asgi.runtime: AWS_LAMBDA_RUNTIME_API is not set\n",
        )


class TestLifecycle:
    @pytest.mark.parametrize("official", [False, True], ids=["ours", "awslambdaric"])
    def test_sigterm_runs_the_lifespan_shutdown(self, tmp_path: Path, official: bool) -> None:
        marker = tmp_path / "shutdown"
        env = {"RUNTIME_APP_SHUTDOWN_FILE": str(marker)}
        with start_runtime(tmp_path, official=official, env=env) as runtime:
            assert runtime.invoke(request(http_api_event)).status == "success"
            runtime.emulator.wait_for_call("GET /runtime/invocation/next")
            assert [e["name"] for e in runtime.emulator.extensions] == ["lambda-asgi"]
            outcome = runtime.emulator.shutdown(runtime.process, grace=10)
        assert outcome.sigterm and outcome.graceful
        assert marker.read_text() == "lifespan shutdown ran"

    def test_every_awslambdaric_worker_runs_its_lifespan_shutdown(self, tmp_path: Path) -> None:
        """Lambda Managed Instances: awslambdaric forks AWS_LAMBDA_MAX_CONCURRENCY workers,
        each importing the app and building its Adapter. One registers the extension; the
        others' 403 is expected, so no warning; and the SIGTERM that Lambda sends the runtime's
        process group reaches every worker, which runs its own lifespan shutdown."""
        workers = 4
        markers = tmp_path / "shutdown"
        markers.mkdir()
        env = {
            "AWS_LAMBDA_MAX_CONCURRENCY": str(workers),
            "RUNTIME_APP_SHUTDOWN_FILE": str(markers / "{pid}"),
        }
        with start_runtime(tmp_path, official=True, env=env, session=True) as runtime:
            emulator = runtime.emulator
            results = [runtime.invoke(request(http_api_event)) for _ in range(workers)]
            assert [result.status for result in results] == ["success"] * workers
            deadline = time.monotonic() + 60
            while emulator.calls.count("GET /runtime/invocation/next") < 2 * workers:
                assert time.monotonic() < deadline, emulator.calls
                time.sleep(0.05)
            assert emulator.calls.count("POST /extension/register") == workers
            assert [e["name"] for e in emulator.extensions] == ["lambda-asgi"]
            outcome = runtime.emulator.shutdown(runtime.process, grace=10)
        assert outcome.sigterm and outcome.graceful
        shutdowns = {path.name: path.read_text() for path in markers.iterdir()}
        assert list(shutdowns.values()) == ["lifespan shutdown ran"] * workers
        assert "WARNING" not in runtime.logs()

    def test_concurrent_invocations_each_have_their_own_context(self, tmp_path: Path) -> None:
        env = {"AWS_LAMBDA_MAX_CONCURRENCY": "3"}
        with start_runtime(tmp_path, env=env) as runtime:
            traces = [f"Root=1-6553f100-{n:024x};Sampled=1" for n in range(3)]
            invocations = [
                runtime.emulator.submit(
                    function_url_event(path="/together", query={"n": "3"}), trace_id=trace
                )
                for trace in traces
            ]
            answers = [json.loads(i.result(30).json()["body"]) for i in invocations]
        assert answers == [  # the environment variable too, read while the others ran
            {
                "together": True,
                "trace": trace,
                "env_trace": trace,
                "lambda_trace": trace,
                "id": invocation.request_id,
            }
            for trace, invocation in zip(traces, invocations, strict=True)
        ]

    def test_snapstart_checkpoint(self, tmp_path: Path) -> None:
        env = {"LAMBDA_ASGI_GRACEFUL_SHUTDOWN": "off"}
        with start_runtime(tmp_path, env=env, initialization_type="snap-start") as runtime:
            result = runtime.invoke(function_url_event(path="/restored"))
            calls = runtime.emulator.calls
            assert runtime.emulator.extensions == []  # graceful shutdown turned off
        assert json.loads(result.json()["body"]) == {"hooks": ["before_snapshot", "after_restore"]}
        assert calls.index("GET /runtime/restore/next") < calls.index(
            "GET /runtime/invocation/next"
        )


BOOTSTRAP = str(ROOT / "lambda_asgi" / "runtime" / "bootstrap")
VENV_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


class TestBootstrap:
    """The exec wrapper: Lambda runs it with the managed runtime's command line."""

    @pytest.mark.parametrize(
        ("arguments", "env", "runs"),
        [
            ([sys.executable, "-u", "/var/runtime/bootstrap.py"], {}, "-m lambda_asgi.runtime"),
            (["/var/runtime/bootstrap"], {"PATH": VENV_PATH}, "-m lambda_asgi.runtime"),
            (
                [sys.executable, "-m", "awslambdaric", HANDLER],
                {"LAMBDA_ASGI_RUNTIME": "off"},
                f"-m awslambdaric {HANDLER}",
            ),
        ],
        ids=["python-from-arguments", "python3-from-path", "turned-off"],
    )
    def test_the_wrapper_starts_our_runtime(
        self, tmp_path: Path, arguments: list[str], env: dict[str, str], runs: str
    ) -> None:
        with start_runtime(tmp_path, env=env, command=[BOOTSTRAP, *arguments]) as runtime:
            result = runtime.invoke(request(function_url_event))
            cmdline = Path(f"/proc/{runtime.process.pid}/cmdline").read_bytes()
        assert result.status == "success"
        assert cmdline.replace(b"\0", b" ").decode().strip().endswith(runs)

    def test_the_wrapper_is_executable(self) -> None:
        assert os.access(BOOTSTRAP, os.X_OK)
