"""The lifespan protocol: startup once per execution environment (in the Adapter's
constructor), state copied into every request, shutdown once at Adapter.shutdown(), SIGTERM or
interpreter exit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from lambda_asgi import Adapter, LifespanError, LifespanMode
from lambda_asgi import lifespan as lifespan_module
from lambda_asgi._loop import event_loop
from lambda_asgi._types import ASGIApp, Message, Receive, Scope, Send
from lambda_asgi.testing import FakeContext, http_api_event
from tests.conftest import AdapterFactory

Logged = Callable[[], list[tuple[str, int, str]]]
ROOT = Path(__file__).resolve().parent.parent
COMPLETE: Message = {"type": "lifespan.startup.complete"}
TEXT_PLAIN = [(b"content-type", b"text/plain")]
ENDED = (
    "lambda_asgi",
    logging.WARNING,
    "lifespan shutdown skipped: the app's lifespan task already ended",
)
OK = {
    "statusCode": 200,
    "headers": {"content-type": "text/plain"},
    "cookies": [],
    "body": "ok",
    "isBase64Encoded": False,
}


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Logged:
    return lambda: [(r.name, r.levelno, r.getMessage()) for r in caplog.records]


@pytest.fixture(autouse=True)
def pending(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The lifespans waiting for SIGTERM or exit: a list of this test's own."""
    pending: list[Any] = []
    monkeypatch.setattr(lifespan_module, "_pending", pending)
    return pending


def raised(caplog: pytest.LogCaptureFixture) -> Any:
    """The exception type whose traceback the last log record carries."""
    exc_info = caplog.records[-1].exc_info
    return exc_info and exc_info[0]


def info(message: str) -> tuple[str, int, str]:
    return ("lambda_asgi", logging.INFO, message)


def error(message: str) -> tuple[str, int, str]:
    return ("lambda_asgi", logging.ERROR, message)


async def answer_ok(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": TEXT_PLAIN})
    await send({"type": "http.response.body", "body": b"ok"})


def lifespan_app(
    *,
    startup: Message = COMPLETE,
    shutdown: Message | None = None,
    on_startup: Callable[[Scope], None] = lambda scope: None,
    on_shutdown: Callable[[], None] = lambda: None,
    calls: list[str] | None = None,
) -> ASGIApp:
    """An app that answers the lifespan messages as told and serves 200 "ok" requests."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if calls is not None:
            calls.append(scope["type"])
        if scope["type"] == "http":
            return await answer_ok(send)
        assert await receive() == {"type": "lifespan.startup"}
        on_startup(scope)
        await send(startup)
        if startup is not COMPLETE:
            return  # as Starlette does after startup.failed
        assert await receive() == {"type": "lifespan.shutdown"}
        on_shutdown()
        await send(shutdown or {"type": "lifespan.shutdown.complete"})

    return app


async def no_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        raise RuntimeError("unsupported scope type 'lifespan'")
    await answer_ok(send)


async def returns_at_once(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await answer_ok(send)


# -- startup -------------------------------------------------------------------------------


def test_startup_runs_once_at_construction_not_per_invocation(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    calls: list[str] = []
    scopes: list[Scope] = []
    adapter = make_adapter(lifespan_app(calls=calls, on_startup=scopes.append))
    assert calls == ["lifespan"]
    assert scopes == [
        {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    ]
    assert scopes[0]["state"] is adapter.state
    assert [adapter(http_api_event(), context) for _ in range(5)] == [OK] * 5
    assert calls == ["lifespan"] + ["http"] * 5


def test_state_is_a_shallow_copy_per_request(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    """As in uvicorn, each request gets ``state.copy()``: keys a request adds stay in that
    request, but objects stored at startup are shared by every request."""
    seen: list[dict[str, Any]] = []

    def startup(scope: Scope) -> None:
        scope["state"].update(name="shop", counters={"hits": 0})

    inner = lifespan_app(on_startup=startup)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope["state"]
            seen.append({**state, "counters": dict(state["counters"])})
            state["request_only"] = True
            state["counters"]["hits"] += 1
        await inner(scope, receive, send)

    adapter = make_adapter(app)
    assert [adapter(http_api_event(), context) for _ in range(2)] == [OK] * 2
    assert seen == [
        {"name": "shop", "counters": {"hits": 0}},
        {"name": "shop", "counters": {"hits": 1}},
    ]
    assert adapter.state == {"name": "shop", "counters": {"hits": 2}}


@pytest.mark.parametrize(
    ("app", "why"),
    [
        (no_lifespan, "it raised RuntimeError: unsupported scope type 'lifespan'"),
        (returns_at_once, "it returned without answering"),
    ],
)
def test_auto_runs_an_app_without_lifespan_support(
    make_adapter: AdapterFactory, context: FakeContext, logged: Logged, app: ASGIApp, why: str
) -> None:
    adapter = make_adapter(app, lifespan="auto")
    assert adapter(http_api_event(), context) == OK
    assert logged() == [
        info(f"ASGI app does not support the lifespan protocol ({why}); running without it")
    ]


@pytest.mark.parametrize(
    ("app", "why", "cause"),
    [
        (no_lifespan, "it raised RuntimeError: unsupported scope type 'lifespan'", RuntimeError),
        (returns_at_once, "it returned without answering", type(None)),
    ],
)
def test_on_with_an_app_without_lifespan_support_is_an_error(
    app: ASGIApp, why: str, cause: type
) -> None:
    with pytest.raises(LifespanError) as caught:
        Adapter(app, lifespan="on")
    assert str(caught.value) == (
        f"lifespan='on' but the app does not support the lifespan protocol ({why})"
    )
    assert type(caught.value.__cause__) is cause


@pytest.mark.parametrize("mode", ["auto", "on"])
@pytest.mark.parametrize(
    ("failed", "text"),
    [
        ({"type": "lifespan.startup.failed", "message": "no database"}, "no database"),
        ({"type": "lifespan.startup.failed"}, "no reason"),
    ],
)
def test_startup_failed_is_an_error(mode: LifespanMode, failed: Message, text: str) -> None:
    with pytest.raises(LifespanError) as caught:
        Adapter(lifespan_app(startup=failed), lifespan=mode)
    assert str(caught.value) == f"lifespan startup failed: {text}"


def startup_answered_with(answer: Any, cancelled: list[str]) -> ASGIApp:
    """An app that answers lifespan.startup with ``answer``, then waits for the next message
    (which never comes), noting its cancellation."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert await receive() == {"type": "lifespan.startup"}
        await send(answer)
        try:
            await receive()
        except asyncio.CancelledError:
            cancelled.append("lifespan task cancelled")
            raise

    return app


BAD_ANSWER = "the app answered lifespan.startup with {} instead of lifespan.startup.complete or "
BAD_ANSWER += "lifespan.startup.failed"


@pytest.mark.parametrize("mode", ["auto", "on"])
@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ({"type": "http.response.start", "status": 200, "headers": []}, "'http.response.start'"),
        ({"type": "lifespan.shutdown.complete"}, "'lifespan.shutdown.complete'"),
        ({"type": "lifespan.startup.progress"}, "'lifespan.startup.progress'"),
        ({"status": 200}, "a message that is not a dict with a 'type' string ({'status': 200})"),
        (
            "lifespan.startup.complete",
            "a message that is not a dict with a 'type' string ('lifespan.startup.complete')",
        ),
    ],
    ids=["http", "shutdown", "unknown", "untyped", "not-a-dict"],
)
def test_startup_answered_with_another_message_is_an_error(
    mode: LifespanMode, answer: Any, named: str, logged: Logged
) -> None:
    cancelled: list[str] = []
    before = asyncio.all_tasks(event_loop())
    with pytest.raises(LifespanError) as caught:
        Adapter(startup_answered_with(answer, cancelled), lifespan=mode)
    assert str(caught.value) == BAD_ANSWER.format(named)
    assert cancelled == ["lifespan task cancelled"]
    assert asyncio.all_tasks(event_loop()) == before
    assert logged() == []


def startup_that_hangs(cancelled: list[str]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("lifespan task cancelled")
            raise

    return app


@pytest.mark.parametrize("mode", ["auto", "on"])
def test_startup_that_does_not_finish_in_time_is_an_error(
    mode: LifespanMode, logged: Logged
) -> None:
    cancelled: list[str] = []
    before = asyncio.all_tasks(event_loop())
    with pytest.raises(LifespanError) as caught:
        Adapter(startup_that_hangs(cancelled), lifespan=mode, lifespan_timeout=0.05)
    assert str(caught.value) == (
        "lifespan startup did not finish within 0.05 s (Adapter option lifespan_timeout); "
        "the app's lifespan task was cancelled"
    )
    assert caught.value.__cause__ is None
    assert cancelled == ["lifespan task cancelled"]
    assert asyncio.all_tasks(event_loop()) == before
    assert logged() == []


def test_a_lifespan_task_that_ignores_its_cancellation_is_left_and_logged(
    monkeypatch: pytest.MonkeyPatch, logged: Logged
) -> None:
    monkeypatch.setattr(lifespan_module, "STOP_TIMEOUT", 0.05)
    release = asyncio.Event()
    ended: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):  # the misbehaviour under test
                await release.wait()
        ended.append("released")

    with pytest.raises(LifespanError, match=r"did not finish within 0\.05 s"):
        Adapter(app, lifespan_timeout=0.05)
    assert logged() == [
        error("the app's lifespan task ignored its cancellation and is still running")
    ]
    release.set()
    event_loop().run_until_complete(asyncio.sleep(0.01))
    assert ended == ["released"]


@pytest.mark.parametrize("timeout", [None, 30])
def test_a_slow_startup_within_the_limit_completes(
    make_adapter: AdapterFactory, context: FakeContext, timeout: float | None
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            return await answer_ok(send)
        assert await receive() == {"type": "lifespan.startup"}
        await asyncio.sleep(0.01)
        scope["state"]["ready"] = True
        await send(COMPLETE)
        assert await receive() == {"type": "lifespan.shutdown"}
        await send({"type": "lifespan.shutdown.complete"})

    adapter = make_adapter(app, lifespan="on", lifespan_timeout=timeout)
    assert adapter.state == {"ready": True}
    assert adapter(http_api_event(), context) == OK


def test_off_never_sends_a_lifespan_scope(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    calls: list[str] = []
    adapter = make_adapter(lifespan_app(calls=calls), lifespan="off")
    assert adapter(http_api_event(), context) == OK
    adapter.shutdown()
    assert calls == ["http"]
    assert adapter.state == {}


def test_a_message_nobody_waits_for_is_logged(context: FakeContext, logged: Logged) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            return await answer_ok(send)
        await receive()
        await send(COMPLETE)
        await send({"type": "lifespan.startup.progress"})  # nobody waits for a message now
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        await send({"type": "lifespan.shutdown.complete"})

    adapter = Adapter(app)
    assert adapter(http_api_event(), context) == OK
    adapter.shutdown()
    assert logged() == [
        error("lifespan: unexpected message 'lifespan.startup.progress' from the app"),
        error("lifespan: unexpected message 'lifespan.shutdown.complete' from the app"),
    ]


# -- shutdown ------------------------------------------------------------------------------


def test_shutdown_runs_once(make_adapter: AdapterFactory) -> None:
    calls: list[str] = []
    adapter = make_adapter(lifespan_app(on_shutdown=lambda: calls.append("shutdown")))
    adapter.shutdown()
    adapter.shutdown()
    assert calls == ["shutdown"]


def close() -> None:
    raise OSError("socket already closed")


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"shutdown": {"type": "lifespan.shutdown.failed", "message": "busy"}}, "failed: busy"),
        ({"shutdown": {"type": "lifespan.shutdown.failed", "message": ""}}, "failed: no reason"),
        ({"on_shutdown": close}, "did not complete (it raised OSError: socket already closed)"),
    ],
)
def test_shutdown_failed_or_raising_is_logged(
    logged: Logged, options: dict[str, Any], text: str
) -> None:
    Adapter(lifespan_app(**options)).shutdown()
    assert logged() == [error(f"lifespan shutdown {text}")]


def test_shutdown_that_hangs_is_cut_off(logged: Logged, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifespan_module, "SHUTDOWN_TIMEOUT", 0.05)
    cancelled: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send(COMPLETE)
        await receive()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append("cancelled")
            raise

    Adapter(app).shutdown()
    event_loop().run_until_complete(asyncio.sleep(0))  # let the cancellation land
    assert cancelled == ["cancelled"]
    [(name, level, message)] = logged()
    assert (name, level) == ("lambda_asgi", logging.ERROR)
    assert message.startswith("lifespan shutdown did not finish within ")


def test_shutdown_answered_with_another_message_is_logged_and_the_task_stopped(
    logged: Logged,
) -> None:
    cancelled: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send(COMPLETE)
        assert await receive() == {"type": "lifespan.shutdown"}
        await send(COMPLETE)  # the startup's answer, again
        try:
            await receive()
        except asyncio.CancelledError:
            cancelled.append("lifespan task cancelled")
            raise

    Adapter(app).shutdown()
    assert cancelled == ["lifespan task cancelled"]
    assert logged() == [
        error(
            "the app answered lifespan.shutdown with 'lifespan.startup.complete' instead of "
            "lifespan.shutdown.complete or lifespan.shutdown.failed"
        )
    ]


def test_lifespan_task_raising_while_running_is_logged(
    context: FakeContext, caplog: pytest.LogCaptureFixture, logged: Logged
) -> None:
    crash = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send(COMPLETE)
            await crash.wait()
            raise RuntimeError("background job died")
        crash.set()
        await asyncio.sleep(0)
        await answer_ok(send)

    adapter = Adapter(app)
    assert adapter(http_api_event(), context) == OK
    assert logged() == [error("lifespan task raised while the app was running")]
    assert raised(caplog) is RuntimeError
    adapter.shutdown()
    assert logged()[1:] == [ENDED]


def test_app_whose_lifespan_already_ended_shuts_down_at_once(logged: Logged) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send(COMPLETE)

    Adapter(app).shutdown()
    assert logged() == [ENDED]


# -- shutdown_all(), at SIGTERM or exit ----------------------------------------------------


def test_shutdown_all_shuts_down_each_registered_lifespan_once(pending: list[Any]) -> None:
    calls: list[str] = []
    first = Adapter(lifespan_app(on_shutdown=lambda: calls.append("first")))
    Adapter(lifespan_app(on_shutdown=lambda: calls.append("second")))
    Adapter(no_lifespan)  # nothing to shut down, so never registered
    assert len(pending) == 2
    first.shutdown()  # already shut down: skipped
    lifespan_module.shutdown_all()
    lifespan_module.shutdown_all()
    assert calls == ["first", "second"]
    assert pending == []


def test_shutdown_all_inside_another_running_loop_leaves_it_for_exit(
    pending: list[Any], logged: Logged
) -> None:
    """uvicorn importing a module with a module-level Adapter, then stopped by SIGTERM: the
    handler runs while uvicorn's own loop runs in the same thread."""
    calls: list[str] = []
    Adapter(lifespan_app(on_shutdown=lambda: calls.append("shutdown")))

    async def server() -> None:
        lifespan_module._sigterm_handler(signal.SIG_IGN)(signal.SIGTERM, None)

    asyncio.run(server())
    assert (calls, len(pending)) == ([], 1)
    assert logged()[-1] == info(
        "lifespan shutdown left for exit: another event loop is running in this thread "
        "(an ASGI server serving the app itself?)"
    )
    lifespan_module.shutdown_all()  # at exit, with no loop running
    assert (calls, pending) == (["shutdown"], [])


def test_shutdown_all_skips_a_closed_loop(pending: list[Any]) -> None:
    lifespan = lifespan_module.Lifespan(no_lifespan, "auto")
    lifespan.running = True
    loop = asyncio.new_event_loop()
    loop.close()
    pending.append((lifespan, loop))
    lifespan_module.shutdown_all()
    assert pending == []


def test_shutdown_all_skips_a_loop_busy_with_a_request(
    context: FakeContext, logged: Logged
) -> None:
    calls: list[str] = []
    inner = lifespan_app(on_shutdown=lambda: calls.append("shutdown"))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            lifespan_module.shutdown_all()  # what a SIGTERM mid-request would do
        await inner(scope, receive, send)

    adapter = Adapter(app)
    assert adapter(http_api_event(), context) == OK
    busy = "lifespan shutdown skipped: the event loop is busy with a request"
    assert logged() == [("lambda_asgi", logging.WARNING, busy)]
    assert calls == []
    adapter.shutdown()
    assert calls == ["shutdown"]


@pytest.mark.parametrize("main_thread", [True, False])
def test_register_installs_the_handlers_once(
    monkeypatch: pytest.MonkeyPatch, main_thread: bool
) -> None:
    installed: list[Any] = []
    monkeypatch.setattr(lifespan_module, "_installed", False)
    monkeypatch.setattr(signal, "signal", lambda signum, handler: installed.append(signum))
    lifespan = lifespan_module.Lifespan(no_lifespan, "auto")
    for _ in range(2):
        thread = threading.Thread(target=lifespan_module.register, args=(lifespan, event_loop()))
        if main_thread:
            thread.run()  # in this thread
        else:
            thread.start()
            thread.join()
    # SIGTERM handlers can only be installed from the main thread; the exit is
    # lambda_asgi._exit's, which runs shutdown_all() (tests/test_exit.py).
    assert installed == ([signal.SIGTERM] if main_thread else [])


@pytest.mark.parametrize("previous", [signal.SIG_DFL, None])
def test_sigterm_handler_without_a_python_handler_dies_of_sigterm(
    monkeypatch: pytest.MonkeyPatch, previous: Any
) -> None:
    calls: list[tuple[str, int, Any]] = []
    monkeypatch.setattr(
        signal, "signal", lambda num, handler: calls.append(("signal", num, handler))
    )
    monkeypatch.setattr(os, "kill", lambda pid, num: calls.append(("kill", num, pid)))
    lifespan_module._sigterm_handler(previous)(signal.SIGTERM, None)
    assert calls == [
        ("signal", signal.SIGTERM, signal.SIG_DFL),
        ("kill", signal.SIGTERM, os.getpid()),
    ]


def test_sigterm_handler_chains_to_the_previous_handler_or_ignores() -> None:
    calls: list[int] = []

    def previous(signum: int, frame: FrameType | None) -> None:
        calls.append(signum)

    lifespan_module._sigterm_handler(previous)(signal.SIGTERM, None)
    lifespan_module._sigterm_handler(signal.SIG_IGN)(signal.SIGTERM, None)
    assert calls == [signal.SIGTERM]


# -- frameworks ----------------------------------------------------------------------------


def starlette_app(lifespan: Any) -> ASGIApp:
    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.state.greeting)

    return Starlette(routes=[Route("/", home)], lifespan=lifespan)


def fastapi_app(lifespan: Any) -> ASGIApp:
    app = FastAPI(lifespan=lifespan)

    @app.get("/", response_class=PlainTextResponse)
    async def home(request: Request) -> str:
        greeting: str = request.state.greeting
        return greeting

    return app


@pytest.mark.parametrize("build", [starlette_app, fastapi_app])
def test_framework_lifespan_context_manager(
    make_adapter: AdapterFactory, context: FakeContext, build: Callable[[Any], ASGIApp]
) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        events.append("startup")
        yield {"greeting": "hello"}
        events.append("shutdown")

    adapter = make_adapter(build(lifespan), lifespan="on")
    assert events == ["startup"]
    assert adapter(http_api_event(), context) == {
        "statusCode": 200,
        "headers": {"content-length": "5", "content-type": "text/plain; charset=utf-8"},
        "cookies": [],
        "body": "hello",
        "isBase64Encoded": False,
    }
    adapter.shutdown()
    assert events == ["startup", "shutdown"]


# -- a real process: shutdown at exit and at SIGTERM ---------------------------------------

APP_MODULE = """
import sys
from pathlib import Path

from lambda_asgi import Adapter

MARKER = Path(sys.argv[1])


async def app(scope, receive, send):
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    with MARKER.open("a") as marker:
        marker.write("shutdown\\n")
    await send({"type": "lifespan.shutdown.complete"})


handler = Adapter(app, lifespan="on")
"""


def run(tmp_path: Path, code: str) -> tuple[int, str, str]:
    """Run ``code`` in a child process that built the Adapter; (returncode, output, marker)."""
    (tmp_path / "lifespan_app.py").write_text(APP_MODULE)
    marker = tmp_path / "marker.txt"
    marker.touch()
    process = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), str(marker)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=10,
    )
    return process.returncode, process.stdout + process.stderr, marker.read_text()


def test_normal_exit_runs_shutdown_once(tmp_path: Path) -> None:
    code = """
        import lifespan_app
        print("ready")
    """
    assert run(tmp_path, code) == (0, "ready\n", "shutdown\n")


def test_sigterm_runs_shutdown_then_dies_of_sigterm(tmp_path: Path) -> None:
    code = """
        import os, signal, time
        import lifespan_app
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        print("still alive")
    """
    assert run(tmp_path, code) == (-signal.SIGTERM, "", "shutdown\n")


def test_sigterm_chains_to_an_existing_python_handler(tmp_path: Path) -> None:
    code = """
        import os, signal, sys, time

        def previous(signum, frame):
            print("previous handler, marker:", open(sys.argv[1]).read().strip())
            sys.exit(3)

        signal.signal(signal.SIGTERM, previous)
        import lifespan_app
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    """
    assert run(tmp_path, code) == (3, "previous handler, marker: shutdown\n", "shutdown\n")
