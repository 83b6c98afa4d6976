"""A process that used an Adapter exits promptly and cleanly, lifespan shutdown included,
whatever its last request ran: in particular a plain ``def`` endpoint, which FastAPI and
Starlette run on a non-daemon anyio worker thread (lambda_asgi._exit).

Each test runs a real interpreter; ``timeout`` is the hang detector, and a process that had
to be killed fails the test with ``subprocess.TimeoutExpired``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambda_asgi import _exit
from lambda_asgi import lifespan as lifespan_module
from lambda_asgi.testing import http_api_event

from .test_cli_serve import CONSOLE_SCRIPT, fetch
from .test_runtime import start_runtime

ROOT = Path(__file__).resolve().parent.parent
HANG = 60  # seconds: far beyond what a clean exit takes, so only a hang reaches it
FRAMEWORKS = ["fastapi", "starlette"]


def python(code: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter, every warning an error."""
    command = [sys.executable, "-W", "error", "-c", textwrap.dedent(code), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=HANG)


def answer(*, sync: bool) -> dict[str, Any]:
    """The HTTP API result of ``GET /sync`` or ``GET /async`` of tests/exit_apps.py."""
    body = json.dumps({"sync": sync, "worker_thread": sync}, separators=(",", ":"))
    return {
        "statusCode": 200,
        "headers": {"content-length": str(len(body)), "content-type": "application/json"},
        "cookies": [],
        "body": body,
        "isBase64Encoded": False,
    }


HANDLER_SCRIPT = """
    import json, sys
    from lambda_asgi import Adapter
    from lambda_asgi.testing import FakeContext, http_api_event
    from tests import exit_apps

    handler = Adapter(getattr(exit_apps, sys.argv[1] + "_app"), lifespan=sys.argv[2])
    for path in sys.argv[3:]:
        print(json.dumps(handler(http_api_event(path=path), FakeContext())))
"""


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "paths", [["/sync"], ["/async", "/sync"], ["/sync", "/async"]], ids="-then-".join
)
def test_a_handler_script_exits_after_a_sync_endpoint(framework: str, paths: list[str]) -> None:
    done = python(HANDLER_SCRIPT, framework, "auto", *paths)
    assert (done.returncode, done.stderr) == (0, f"{framework}: startup\n{framework}: shutdown\n")
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        answer(sync=path == "/sync") for path in paths
    ]


def test_without_lifespan_the_sync_endpoint_exits_too() -> None:
    done = python(HANDLER_SCRIPT, "fastapi", "off", "/sync")
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == answer(sync=True)


def test_lambda_asgi_invoke_exits_after_a_sync_endpoint() -> None:
    command = [str(CONSOLE_SCRIPT), "invoke", "tests.exit_apps:fastapi_app", "--path", "/sync"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=HANG)
    assert (done.returncode, done.stderr) == (0, "fastapi: startup\nfastapi: shutdown\n")
    assert json.loads(done.stdout) == answer(sync=True)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_first_ctrl_c_stops_serve_after_a_sync_endpoint(framework: str) -> None:
    app = f"tests.exit_apps:{framework}_app"
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", app, "--port", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert process.stderr.readline() == f"{framework}: startup\n"
        port = int(process.stderr.readline().split(" on http://127.0.0.1:")[1].split(" ")[0])
        status, _, _, body = fetch(port, "GET", "/sync")
        assert (status, json.loads(body)) == (200, {"sync": True, "worker_thread": True})
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=HANG)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert err.splitlines()[1:] == [f"{framework}: shutdown"]


PYTEST_FILE = """
    from fastapi import FastAPI
    from lambda_asgi import Adapter
    from lambda_asgi.testing import FakeContext, http_api_event

    app = FastAPI()

    @app.get("/sync")
    def sync() -> dict[str, bool]:
        return {"sync": True}

    handler = Adapter(app)

    def test_sync_endpoint() -> None:
        assert handler(http_api_event(path="/sync"), FakeContext())["body"] == '{"sync":true}'
"""


def test_a_pytest_session_that_used_a_sync_endpoint_exits(tmp_path: Path) -> None:
    (tmp_path / "test_sync.py").write_text(textwrap.dedent(PYTEST_FILE))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_sync.py"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=HANG)
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1].startswith("1 passed")


@pytest.mark.parametrize("official", [False, True], ids=["ours", "awslambdaric"])
def test_the_runtime_exits_at_sigterm_after_a_sync_endpoint(tmp_path: Path, official: bool) -> None:
    handler = "tests.exit_handler.handler"
    with start_runtime(tmp_path, official=official, handler=handler) as runtime:
        result = runtime.invoke(http_api_event(path="/sync"))
        assert result.json() == answer(sync=True)
        runtime.emulator.wait_for_call("GET /runtime/invocation/next")
        outcome = runtime.emulator.shutdown(runtime.process, grace=10)
        assert outcome.sigterm and outcome.graceful
        assert runtime.logs().splitlines()[-1] == "fastapi: shutdown"


# -- the hook itself, in this process ----------------------------------------------------


@pytest.fixture
def loops(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.AbstractEventLoop]:
    """The loops to close at exit: a list of this test's own."""
    loops: list[asyncio.AbstractEventLoop] = []
    monkeypatch.setattr(_exit, "_loops", loops)
    monkeypatch.setattr(lifespan_module, "_pending", [])
    return loops


def test_run_finishes_a_loop_as_asyncio_run_does(
    loops: list[asyncio.AbstractEventLoop], caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.new_event_loop()
    _exit.close_at_exit(loop)
    seen: list[str] = []

    async def parked() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.append("parked: cancelled")
            raise

    async def failing() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            raise ValueError("broke while cancelled")

    async def generator() -> Any:
        try:
            yield 1
        finally:
            seen.append("generator: closed")

    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(loop.create_task(parked(), name="parked"))
        tasks.append(loop.create_task(failing(), name="failing"))
        await generator().__anext__()  # left suspended, for shutdown_asyncgens()
        loop.run_in_executor(None, seen.append, "executor: ran")

    loop.run_until_complete(start())
    loop.call_soon(seen.append, "pending callback: ran")
    _exit.run()
    assert loop.is_closed()
    assert loops == []
    assert sorted(seen) == [
        "executor: ran",
        "generator: closed",
        "parked: cancelled",
        "pending callback: ran",
    ]
    [record] = caplog.records
    assert (record.name, record.levelno, record.getMessage()) == (
        "asyncio",  # the loop's exception handler, as asyncio.run() reports it
        logging.ERROR,
        f"task raised while cancelled at exit\ntask: {tasks[1]!r}",
    )
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_run_gives_a_loop_without_tasks_the_iteration_its_callbacks_wait_for(
    loops: list[asyncio.AbstractEventLoop],
) -> None:
    # The shape anyio leaves behind: the request's task is done, and the callback that stops
    # its worker thread is scheduled on the stopped loop.
    loop = asyncio.new_event_loop()
    _exit.close_at_exit(loop)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    loop.call_soon(stop.set)
    _exit.run()
    worker.join(timeout=HANG)
    assert (loop.is_closed(), worker.is_alive()) == (True, False)


def test_run_gives_up_on_a_task_that_ignores_its_cancellation(
    loops: list[asyncio.AbstractEventLoop],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_exit, "CANCEL_TIMEOUT", 0.05)
    loop = asyncio.new_event_loop()
    never = asyncio.Event()

    async def stubborn() -> None:
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await never.wait()

    stubborn_task = loop.create_task(stubborn(), name="stubborn")
    loop.run_until_complete(asyncio.sleep(0))
    _exit.close_at_exit(loop)
    _exit.run()
    assert loop.is_closed()
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "1 task(s) still running 0.05 s after being cancelled at exit: stubborn")
    ]
    # Still pending, as reported: the closed loop can never finish it, so let it go quietly.
    stubborn_task._log_destroy_pending = False  # type: ignore[attr-defined]


def test_run_skips_closed_and_running_loops_and_survives_failures(
    loops: list[asyncio.AbstractEventLoop],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = asyncio.new_event_loop()
    closed.close()
    running = asyncio.new_event_loop()
    failing = asyncio.new_event_loop()
    loops.extend([closed, failing])

    def shutdown_all() -> None:
        raise RuntimeError("shutdown broke")

    def finish(loop: asyncio.AbstractEventLoop) -> None:
        assert loop is failing
        loop.close()
        raise RuntimeError("close broke")

    monkeypatch.setattr(lifespan_module, "shutdown_all", shutdown_all)
    monkeypatch.setattr(_exit, "finish", finish)

    async def exit_while_running() -> None:
        _exit.close_at_exit(running)  # skips `closed`, which is forgotten there
        _exit.run()

    running.run_until_complete(exit_while_running())
    assert loops == []
    assert not running.is_closed()
    running.close()
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "lifespan shutdown at exit failed"),
        (logging.ERROR, "closing the event loop at exit failed"),
    ]


def test_a_forked_child_leaves_the_parents_lifespan_and_loop_alone(
    loops: list[asyncio.AbstractEventLoop], monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.new_event_loop()
    _exit.close_at_exit(loop)
    shut_down: list[str] = []
    monkeypatch.setattr(lifespan_module, "shutdown_all", lambda: shut_down.append("shut down"))
    monkeypatch.setattr(_exit, "_pid", os.getpid() + 1)  # as a child sees its parent's
    _exit.run()
    assert (loops, loop.is_closed(), shut_down) == ([loop], False, [])
    loop.close()


@pytest.mark.parametrize(
    "register", ["threading", "shutting down", "missing"], ids=lambda name: f"hook-{name}"
)
def test_the_hook_runs_before_threads_are_joined_else_at_atexit(
    monkeypatch: pytest.MonkeyPatch, register: str
) -> None:
    installed: list[tuple[str, Callable[[], None]]] = []

    def threading_hook(function: Callable[[], None]) -> None:
        if register == "shutting down":
            raise RuntimeError("can't register atexit after shutdown")
        installed.append(("threading", function))

    if register == "missing":
        monkeypatch.delattr(threading, "_register_atexit")
    else:
        monkeypatch.setattr(threading, "_register_atexit", threading_hook)
    monkeypatch.setattr(atexit, "register", lambda function: installed.append(("atexit", function)))
    monkeypatch.setattr(_exit, "_installed", False)
    monkeypatch.setattr(_exit, "_loops", [])
    for _ in range(2):
        _exit.close_at_exit(asyncio.new_event_loop())
    kind = "threading" if register == "threading" else "atexit"
    assert installed == [(kind, _exit.run)]
    for loop in _exit._loops:
        loop.close()
