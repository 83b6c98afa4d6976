"""The deadline guard: a request still running ``timeout_margin`` seconds before Lambda's
deadline is cancelled and answered 504, and the Adapter serves the next invocation as usual.

Deadlines here are tiny (``FakeContext(timeout_ms=60)`` with a 50 ms margin leaves the app
about 10 ms), so each test takes well under 0.1 s; an app that "hangs" sleeps for seconds,
which the guard cuts short.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from lambda_asgi import Adapter
from lambda_asgi import _loop as loop_module
from lambda_asgi._loop import event_loop
from lambda_asgi._types import Receive, Scope, Send
from lambda_asgi.testing import FakeContext, http_api_event, rest_event
from tests.conftest import AdapterFactory

TEXT_PLAIN = "text/plain; charset=utf-8"
REQUEST_ID = FakeContext().aws_request_id
HANG = 5.0  # seconds an app that hangs would sleep: the guard must cut it short
GATEWAY_TIMEOUT = {
    "statusCode": 504,
    "headers": {"content-type": TEXT_PLAIN, "content-length": "15"},
    "cookies": [],
    "body": "Gateway Timeout",
    "isBase64Encoded": False,
}


def ok(text: str) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"content-length": str(len(text)), "content-type": TEXT_PLAIN},
        "cookies": [],
        "body": text,
        "isBase64Encoded": False,
    }


def deadline_log(records: list[tuple[str, int, str]], route: str, margin_ms: int) -> int:
    """The elapsed milliseconds of the one deadline log line, checked word for word."""
    assert len(records) == 1, records
    name, level, message = records[0]
    assert (name, level) == ("lambda_asgi", logging.ERROR)
    pattern = r"request still running (\d+) ms after it started, " + re.escape(
        f"{margin_ms} ms before the Lambda deadline: cancelled it and answered 504 "
        f"({route}, aws_request_id={REQUEST_ID})"
    )
    match = re.fullmatch(pattern, message)
    assert match is not None, message
    return int(match.group(1))


class Pool:
    """Stands in for a connection pool made at startup."""

    def __init__(self) -> None:
        self.name = "pool-1"
        self.served = 0


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    yield {"pool": Pool()}


async def slow(request: Request) -> PlainTextResponse:
    await asyncio.sleep(HANG)
    return PlainTextResponse("too late")


async def quick(request: Request) -> PlainTextResponse:
    await asyncio.sleep(0)
    pool: Pool = request.state.pool
    pool.served += 1
    return PlainTextResponse(f"{pool.name} served {pool.served}")


async def stubborn(request: Request) -> PlainTextResponse:
    """Catches the cancellation and answers anyway."""
    try:
        await asyncio.sleep(HANG)
    except asyncio.CancelledError:
        return PlainTextResponse("answered anyway")
    return PlainTextResponse("too late")


async def wait(request: Request) -> PlainTextResponse:
    await asyncio.sleep(0.03)
    return PlainTextResponse("waited")


STARLETTE_APP = Starlette(
    routes=[
        Route("/slow", slow),
        Route("/quick", quick),
        Route("/stubborn", stubborn),
        Route("/wait", wait),
    ],
    lifespan=lifespan,
)


@pytest.fixture
def adapter(make_adapter: AdapterFactory) -> Adapter:
    return make_adapter(STARLETTE_APP, timeout_margin=0.05)


@pytest.fixture
def timers(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.TimerHandle]:
    """The deadline timers set on the Adapter's loop by ``handle()`` (not the app's own
    sleeps; ``call_later`` goes through ``call_at``)."""
    loop = event_loop()
    armed: list[asyncio.TimerHandle] = []
    call_at = loop.call_at

    def spy(
        when: float, callback: Callable[..., object], *args: Any, **kwargs: Any
    ) -> asyncio.TimerHandle:
        handle = call_at(when, callback, *args, **kwargs)
        if getattr(callback, "__qualname__", "") == "Adapter._expire":
            armed.append(handle)
        return handle

    monkeypatch.setattr(loop, "call_at", spy)
    return armed


class _RecordingWatchdog(loop_module.Watchdog):
    """The process's watchdog, recording the delay of every guard published to it (in a
    list its ``delays`` attribute holds)."""

    @property
    def guarded(self) -> loop_module.Guard | None:
        guard: loop_module.Guard | None = self.__dict__["guarded"]
        return guard

    @guarded.setter
    def guarded(self, guard: loop_module.Guard | None) -> None:
        if guard is not None:
            self.__dict__["delays"].append(guard[2])
        self.__dict__["guarded"] = guard


@pytest.fixture
def arms(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the watchdog guarded synchronous invocations for."""
    watchdog = loop_module.watchdog
    delays: list[float] = []
    monkeypatch.setitem(watchdog.__dict__, "delays", delays)
    monkeypatch.setattr(watchdog, "__class__", _RecordingWatchdog)
    return delays


def test_hanging_request_answers_504(
    adapter: Adapter,
    caplog: pytest.LogCaptureFixture,
    timers: list[asyncio.TimerHandle],
    arms: list[float],
) -> None:
    result = adapter(http_api_event(path="/slow"), FakeContext(timeout_ms=60))
    assert result == GATEWAY_TIMEOUT
    elapsed = deadline_log(caplog.record_tuples, "GET /slow", 50)
    assert elapsed < HANG * 1000
    assert len(arms) == 1
    assert 0 <= arms[0] <= 0.01
    assert timers == []  # the watchdog thread guards it, not a timer on the loop


def test_next_invocation_works_and_sees_the_lifespan_state(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    assert adapter(http_api_event(path="/slow"), FakeContext(timeout_ms=60)) == GATEWAY_TIMEOUT
    caplog.clear()
    assert adapter(http_api_event(path="/quick"), FakeContext(timeout_ms=60)) == ok(
        "pool-1 served 1"
    )
    assert adapter(http_api_event(path="/slow"), FakeContext(timeout_ms=60)) == GATEWAY_TIMEOUT
    assert adapter(http_api_event(path="/quick"), FakeContext()) == ok("pool-1 served 2")
    deadline_log(caplog.record_tuples, "GET /slow", 50)
    assert adapter.state["pool"].served == 2


def fastapi_app() -> FastAPI:
    """FastAPI with an ``@app.middleware("http")``, whose anyio task group the cancellation
    has to cross."""
    app = FastAPI(lifespan=lifespan)

    @app.middleware("http")
    async def tag(request: Request, call_next: Callable[[Request], Any]) -> Any:
        response = await call_next(request)
        response.headers["x-tagged"] = "1"
        return response

    @app.get("/slow")
    async def slow_route() -> dict[str, bool]:
        await asyncio.sleep(HANG)
        return {"late": True}

    @app.get("/pool")
    async def pool_route(request: Request) -> dict[str, str]:
        return {"pool": request.state.pool.name}

    return app


def test_fastapi_with_middleware(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = make_adapter(fastapi_app(), timeout_margin=0.05)
    assert adapter(http_api_event(path="/slow"), FakeContext(timeout_ms=60)) == GATEWAY_TIMEOUT
    deadline_log(caplog.record_tuples, "GET /slow", 50)
    assert adapter(http_api_event(path="/pool"), FakeContext()) == {
        "statusCode": 200,
        "headers": {"content-length": "17", "content-type": "application/json", "x-tagged": "1"},
        "cookies": [],
        "body": '{"pool":"pool-1"}',
        "isBase64Encoded": False,
    }


def test_route_names_the_rest_stage(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = make_adapter(STARLETTE_APP, timeout_margin=0.05, base_path="/api")
    event = rest_event(path="/slow", domain_name="shop.example.com", base_path="/api")
    result = adapter(event, FakeContext(timeout_ms=60))
    assert result == {
        "statusCode": 504,
        "headers": {"content-type": TEXT_PLAIN, "content-length": "15"},
        "multiValueHeaders": {},
        "body": "Gateway Timeout",
        "isBase64Encoded": False,
    }
    deadline_log(caplog.record_tuples, "GET /api/slow", 50)


def watchdog_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "lambda_asgi deadline"]


def test_invocations_put_no_timer_on_the_loop(
    adapter: Adapter,
    caplog: pytest.LogCaptureFixture,
    timers: list[asyncio.TimerHandle],
    arms: list[float],
) -> None:
    """A loop timer per request would cost every loop iteration of a request waiting for
    I/O; one thread guards every synchronous invocation instead."""
    results = [adapter(http_api_event(path="/quick"), FakeContext()) for _ in range(3)]
    assert results == [ok(f"pool-1 served {number}") for number in (1, 2, 3)]
    assert timers == []
    assert len(arms) == 3
    # 30 s minus the margin, give or take the time the request took to start.
    assert all(29.0 < delay <= 29.95 for delay in arms)
    assert len(watchdog_threads()) == 1
    assert caplog.record_tuples == []


def test_the_guard_follows_each_invocations_deadline(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    """The watchdog wakes at the deadline of an earlier invocation while a later one, with
    time left, is running: it sleeps on instead of cancelling it."""
    assert adapter(http_api_event(path="/quick"), FakeContext(timeout_ms=60)) == ok(
        "pool-1 served 1"
    )  # its deadline is about 10 ms later; the next request takes 30 ms
    assert adapter(http_api_event(path="/wait"), FakeContext()) == ok("waited")
    assert caplog.record_tuples == []


def test_an_earlier_deadline_wakes_the_guard(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    """After a 30 s invocation the watchdog sleeps for about 30 s; a request with 10 ms left
    must not wait for that."""
    assert adapter(http_api_event(path="/quick"), FakeContext()) == ok("pool-1 served 1")
    assert adapter(http_api_event(path="/slow"), FakeContext(timeout_ms=60)) == GATEWAY_TIMEOUT
    elapsed = deadline_log(caplog.record_tuples, "GET /slow", 50)
    assert elapsed < HANG * 1000


def test_the_loop_running_between_invocations_is_left_alone(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    """Something else running the loop after a deadline passed (a lifespan shutdown, a
    test) is not cancelled: the guard only ever cancels the invocation it guards."""
    assert adapter(http_api_event(path="/quick"), FakeContext(timeout_ms=60)) == ok(
        "pool-1 served 1"
    )

    async def later() -> str:
        await asyncio.sleep(0.03)
        return "not cancelled"

    assert event_loop().run_until_complete(later()) == "not cancelled"
    assert adapter(http_api_event(path="/slow"), FakeContext(timeout_ms=60)) == GATEWAY_TIMEOUT
    deadline_log(caplog.record_tuples, "GET /slow", 50)


def test_a_request_waiting_on_nothing_the_loop_knows_is_woken_and_cancelled(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """No timer and no ready socket: the loop's poll would block for ever. The watchdog's
    call from its thread wakes the poll."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.get_running_loop().create_future()  # nobody ever resolves it

    adapter = make_adapter(app, lifespan="off", timeout_margin=0.05)
    result = adapter(http_api_event(), FakeContext(timeout_ms=60))
    assert result == GATEWAY_TIMEOUT
    assert deadline_log(caplog.record_tuples, "GET /", 50) < HANG * 1000


class TestWatchdog:
    """The corners an Adapter's invocation cannot reach on purpose."""

    def test_a_deadline_on_a_closed_loop_is_dropped(self) -> None:
        loop = asyncio.new_event_loop()
        task = loop.create_task(asyncio.sleep(0))
        expired: list[asyncio.Task[Any]] = []
        watchdog = loop_module.Watchdog()
        loop.run_until_complete(task)
        watchdog.arm(loop, task, 3600.0, lambda task, started: expired.append(task))
        guarded = watchdog.guarded
        assert guarded is not None
        loop.close()
        watchdog._cancel(guarded)  # what the thread does at the deadline: no error
        assert expired == []

    def test_a_task_done_or_no_longer_guarded_is_not_expired(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            expired: list[asyncio.Task[Any]] = []
            watchdog = loop_module.Watchdog()
            first = loop.create_task(asyncio.sleep(0))
            second = loop.create_task(asyncio.sleep(0))
            watchdog.arm(loop, first, 60.0, lambda task, started: expired.append(task))
            earlier = watchdog.guarded
            assert earlier is not None
            watchdog.arm(loop, second, 60.0, lambda task, started: expired.append(task))
            later = watchdog.guarded
            assert later is not None
            watchdog._fire(earlier)  # the thread's call for the earlier invocation
            # The same task guarded again (a later start): the older guard no longer holds.
            watchdog._fire((second, later[1] - 1.0, *later[2:]))
            loop.run_until_complete(second)
            watchdog._fire(later)
            watchdog.disarm()
            watchdog._fire(later)  # after the invocation ended
            assert expired == []
        finally:
            loop.close()

    def test_a_forked_child_starts_its_own_watchdog(self, monkeypatch: pytest.MonkeyPatch) -> None:
        parent = loop_module.watchdog
        monkeypatch.setattr(loop_module, "watchdog", parent)
        loop_module._forget_watchdog()
        assert loop_module.watchdog is not parent
        assert loop_module.watchdog._worker is None


class BareContext:
    """A context object without ``get_remaining_time_in_millis`` (a hand-made test double)."""

    aws_request_id = REQUEST_ID
    function_name = "f"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"


async def brief(request: Request) -> PlainTextResponse:
    await asyncio.sleep(0.02)
    return PlainTextResponse("done")


BRIEF_APP = Starlette(routes=[Route("/brief", brief)])


def test_context_without_remaining_time_disables_the_guard(
    make_adapter: AdapterFactory, timers: list[asyncio.TimerHandle], arms: list[float]
) -> None:
    adapter = make_adapter(BRIEF_APP, timeout_margin=0.05)
    assert adapter(http_api_event(path="/brief"), BareContext()) == ok("done")  # type: ignore[arg-type]
    assert timers == []
    assert arms == []


def test_timeout_margin_none_disables_the_guard(
    make_adapter: AdapterFactory, timers: list[asyncio.TimerHandle], arms: list[float]
) -> None:
    adapter = make_adapter(BRIEF_APP, timeout_margin=None)
    # 20 ms of work in a 10 ms budget: without the guard it simply runs to the end.
    assert adapter(http_api_event(path="/brief"), FakeContext(timeout_ms=10)) == ok("done")
    assert timers == []
    assert arms == []


def test_deadline_already_passed(adapter: Adapter, caplog: pytest.LogCaptureFixture) -> None:
    assert adapter(http_api_event(path="/slow"), FakeContext(timeout_ms=0)) == GATEWAY_TIMEOUT
    elapsed = deadline_log(caplog.record_tuples, "GET /slow", 50)
    assert elapsed < HANG * 1000


def test_app_that_catches_the_cancellation_answers(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    # Its answer is what it sent: the guard only reports a request that ended cancelled.
    result = adapter(http_api_event(path="/stubborn"), FakeContext(timeout_ms=60))
    assert result == ok("answered anyway")
    assert caplog.record_tuples == []
    assert adapter._expired == {}  # the guard's record of the task is not kept


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/slow", GATEWAY_TIMEOUT), ("/stubborn", ok("answered anyway"))],
)
def test_async_handle_leaves_the_callers_task_uncancelled(
    adapter: Adapter, path: str, expected: dict[str, Any]
) -> None:
    async def main() -> tuple[Any, int, bool]:
        result = await adapter.handle(http_api_event(path=path), FakeContext(timeout_ms=60))
        task = asyncio.current_task()
        assert task is not None
        cancelling = 0
        if sys.version_info >= (3, 11):
            cancelling = task.cancelling()
        await asyncio.sleep(0)  # the caller's task carries on: no cancellation is pending
        return result, cancelling, task.cancelled()

    # On the loop the lifespan started on, where the Adapter serves handle().
    assert event_loop().run_until_complete(main()) == (expected, 0, False)


def test_external_cancellation_is_not_a_timeout(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        handling = asyncio.ensure_future(
            adapter.handle(http_api_event(path="/slow"), FakeContext())
        )
        await asyncio.sleep(0.01)
        handling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await handling

    event_loop().run_until_complete(main())
    assert caplog.record_tuples == []


async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Starts its response, sends part of the body, then hangs."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"first part", "more_body": True})
    await asyncio.sleep(HANG)
    await send({"type": "http.response.body", "body": b"never sent"})


def test_streaming_app_cancelled_after_its_start(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Buffered: nothing reached the client yet, so it gets the 504, not half a body.
    adapter = make_adapter(streaming_app, lifespan="off", timeout_margin=0.05)
    result = adapter(http_api_event(path="/stream"), FakeContext(timeout_ms=60))
    assert result == GATEWAY_TIMEOUT
    deadline_log(caplog.record_tuples, "GET /stream", 50)


class SpawningApp:
    """``/await``: awaits a task it spawned; ``/forget``: spawns one and does not wait for
    it; ``/later``: a quick request, during which a forgotten task can run on."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []
        self.finished: list[str] = []

    async def work(self, name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.finished.append(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/await":
            self.tasks.append(asyncio.create_task(self.work("awaited", HANG)))
            await self.tasks[-1]
        elif path == "/forget":
            # Far beyond the deadline timer (10 ms in), well within the next request below,
            # so a loaded machine delaying either by tens of milliseconds changes nothing.
            self.tasks.append(asyncio.create_task(self.work("forgotten", 0.15)))
            await asyncio.sleep(HANG)
        else:
            await asyncio.sleep(0.3)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_task_the_request_awaits_is_cancelled_with_it(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = SpawningApp()
    adapter = make_adapter(app, lifespan="off", timeout_margin=0.05)
    assert adapter(http_api_event(path="/await"), FakeContext(timeout_ms=60)) == GATEWAY_TIMEOUT
    assert app.tasks[0].cancelled()
    assert app.finished == []


def test_task_the_request_left_running_carries_on(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Like any background task, it runs on whenever the loop runs: during later invocations.
    app = SpawningApp()
    adapter = make_adapter(app, lifespan="off", timeout_margin=0.05)
    assert adapter(http_api_event(path="/forget"), FakeContext(timeout_ms=60)) == GATEWAY_TIMEOUT
    assert not app.tasks[0].done()
    no_content = {
        "statusCode": 204,
        "headers": {},
        "cookies": [],
        "body": "",
        "isBase64Encoded": False,
    }
    assert adapter(http_api_event(path="/later"), FakeContext()) == no_content
    assert app.tasks[0].done()
    assert app.finished == ["forgotten"]


@pytest.mark.parametrize(
    ("margin", "context", "expected"),
    [
        (None, FakeContext(timeout_ms=10), ok("done")),  # no guard: runs to the end
        (0.05, BareContext(), ok("done")),  # no deadline to guard
        (0.05, FakeContext(timeout_ms=0), GATEWAY_TIMEOUT),  # already past it
    ],
)
def test_async_handle_guards_like_the_handler(
    make_adapter: AdapterFactory, margin: float | None, context: Any, expected: dict[str, Any]
) -> None:
    adapter = make_adapter(BRIEF_APP, timeout_margin=margin, lifespan="off")
    result = asyncio.run(adapter.handle(http_api_event(path="/brief"), context))
    assert result == expected
