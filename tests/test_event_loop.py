"""One event loop per process, kept across invocations: whatever the lifespan startup created
(HTTP clients with pooled connections, locks, queues, worker tasks) keeps working on every
later invocation; the Adapter refuses to be called from inside a running loop."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from lambda_asgi import Adapter, ConfigurationError, EventLoopError, LambdaAsgiError
from lambda_asgi import _loop as loop_module
from lambda_asgi import lifespan as lifespan_module
from lambda_asgi._loop import event_loop
from lambda_asgi._model import Config
from lambda_asgi._types import Message, Receive, Scope, Send
from lambda_asgi.testing import FakeContext, http_api_event
from tests.conftest import AdapterFactory

T = TypeVar("T")

START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain")],
}


def ok(body: str) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "cookies": [],
        "body": body,
        "isBase64Encoded": False,
    }


async def respond(send: Send, body: str) -> None:
    await send(START)
    await send({"type": "http.response.body", "body": body.encode()})


@dataclass
class Upstream:
    """A keep-alive HTTP/1.1 server on 127.0.0.1 that records the peer of every request."""

    url: str
    peers: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    peers: list[tuple[str, int]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def do_GET(self) -> None:
            peers.append(self.client_address)
            body = f"pong {len(peers)}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield Upstream(f"http://127.0.0.1:{server.server_address[1]}", peers)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class TestOneLoopAcrossInvocations:
    def test_httpx_client_from_startup_works_on_the_1000th_invocation(
        self, make_adapter: AdapterFactory, context: FakeContext, upstream: Upstream
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "lifespan":
                await receive()
                scope["state"]["client"] = httpx.AsyncClient(base_url=upstream.url)
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await scope["state"]["client"].aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
            response = await scope["state"]["client"].get("/ping")
            await respond(send, response.text)

        adapter = make_adapter(app, lifespan="on")
        results = [adapter(http_api_event(), context) for _ in range(1000)]
        assert results == [ok(f"pong {number}") for number in range(1, 1001)]
        assert len(upstream.peers) == 1000
        assert len(set(upstream.peers)) == 1  # one pooled keep-alive connection throughout
        adapter.shutdown()

    def test_lock_queue_and_worker_task_from_startup_keep_working(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def worker(queue: asyncio.Queue[int], done: list[int]) -> None:
            while True:
                done.append(await queue.get())
                queue.task_done()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            state = scope["state"]
            if scope["type"] == "lifespan":
                await receive()
                state["lock"] = asyncio.Lock()
                state["queue"] = queue = asyncio.Queue[int]()
                state["done"] = done = list[int]()
                task = asyncio.create_task(worker(queue, done))
                await send({"type": "lifespan.startup.complete"})
                await receive()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await send({"type": "lifespan.shutdown.complete"})
                return

            async def enqueue(item: int) -> None:
                async with state["lock"]:  # contended, so the lock needs its loop
                    await asyncio.sleep(0)
                    await state["queue"].put(item)

            base = len(state["done"])
            await asyncio.gather(enqueue(base), enqueue(base + 1))
            await state["queue"].join()  # the worker from startup processes the items
            await respond(send, ",".join(map(str, state["done"])))

        adapter = make_adapter(app, lifespan="on")
        assert [adapter(http_api_event(), context) for _ in range(3)] == [
            ok("0,1"),
            ok("0,1,2,3"),
            ok("0,1,2,3,4,5"),
        ]
        adapter.shutdown()

    def test_asyncio_run_at_import_time_does_not_break_the_handler(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "lifespan":
                await receive()
                scope["state"]["ready"] = asyncio.Event()
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await send({"type": "lifespan.shutdown.complete"})
                return
            ready = scope["state"]["ready"]
            waiter = asyncio.create_task(ready.wait())  # binds the event to the running loop
            await asyncio.sleep(0)
            ready.set()
            await waiter
            ready.clear()
            await respond(send, "ready")

        async def migrate() -> str:
            await asyncio.sleep(0)
            return "migrated"

        assert asyncio.run(migrate()) == "migrated"
        adapter = make_adapter(app, lifespan="on")
        assert asyncio.run(migrate()) == "migrated"
        assert adapter(http_api_event(), context) == ok("ready")
        assert asyncio.run(migrate()) == "migrated"
        assert adapter(http_api_event(), context) == ok("ready")

    def test_calling_inside_a_running_loop_asks_for_await_handle(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await respond(send, "handled")

        adapter = make_adapter(app, lifespan="off")
        event = http_api_event()

        async def main() -> Any:
            with pytest.raises(LambdaAsgiError) as caught:
                adapter(event, context)
            assert type(caught.value) is EventLoopError
            assert str(caught.value) == (
                "the Adapter was called from inside a running event loop; "
                "use 'await adapter.handle(event, context)' there instead"
            )
            return await adapter.handle(event, context)

        assert asyncio.run(main()) == ok("handled")

    def test_receive_on_a_foreign_loop_neither_hangs_nor_cuts_the_response(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        events: list[str] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await receive()
            with anyio.fail_after(1):
                events.append(f"lone: {(await receive())['type']}")

            async def listen() -> None:
                events.append(f"listener: {(await receive())['type']}")

            listener = asyncio.create_task(listen())
            await send(START)
            for chunk in (b"a", b"b"):
                await asyncio.sleep(0.005)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"c"})
            events.append("complete")
            await listener

        adapter = make_adapter(app, lifespan="off")

        async def main() -> Any:
            background = asyncio.create_task(asyncio.sleep(60))  # older tasks never answer
            try:
                return await adapter.handle(http_api_event(), context)
            finally:
                background.cancel()

        assert asyncio.run(main()) == ok("abc")
        assert events == ["lone: http.disconnect", "complete", "listener: http.disconnect"]

    def test_a_closed_process_loop_is_replaced_by_a_fresh_one(
        self, context: FakeContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A throwaway loop stands in for the process loop, so other tests keep theirs.
        closed = asyncio.new_event_loop()
        monkeypatch.setattr(loop_module, "process_loop", closed)
        monkeypatch.setattr(lifespan_module, "_pending", [])
        assert event_loop() is closed
        event_loop().close()
        loops: list[asyncio.AbstractEventLoop] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            loops.append(asyncio.get_running_loop())
            if scope["type"] == "lifespan":
                await receive()
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await send({"type": "lifespan.shutdown.complete"})
                return
            await respond(send, "fresh")

        adapter = Adapter(app, lifespan="on")
        fresh = event_loop()
        try:
            assert fresh is not closed
            assert not fresh.is_closed()
            assert adapter(http_api_event(), context) == ok("fresh")
            assert event_loop() is fresh
            assert loops == [fresh, fresh]
            adapter.shutdown()
        finally:
            fresh.close()


class LoopRecorder:
    """An app with a lifespan that records the loop of every lifespan event and request;
    ``/wait`` waits 50 ms first, ``/hang`` hangs."""

    def __init__(self) -> None:
        self.loops: list[asyncio.AbstractEventLoop] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.loops.append(asyncio.get_running_loop())
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"] == "/wait":
            await asyncio.sleep(0.05)
        elif scope["path"] == "/hang":
            await asyncio.sleep(5)
        await respond(send, scope["path"])


@pytest.fixture
def own_process_loop(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process loop of the test's own, made on first use and closed afterwards, so other
    tests keep theirs (and no lifespan of this test is left for exit)."""
    monkeypatch.setattr(loop_module, "process_loop", None)
    monkeypatch.setattr(lifespan_module, "_pending", [])
    yield
    if loop_module.process_loop is not None:
        loop_module.process_loop.close()


def run_on(
    factory: Callable[[], asyncio.AbstractEventLoop], coroutine: Coroutine[Any, Any, T]
) -> T:
    """Run ``coroutine`` on a loop made by ``factory``, as ``asyncio.Runner(loop_factory=...)``
    does (Python 3.11+)."""
    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(coroutine)
    loop = factory()  # pragma: no cover - Python 3.10
    try:  # pragma: no cover
        return loop.run_until_complete(coroutine)
    finally:  # pragma: no cover
        loop.close()


BUILT_INSIDE = (
    "the Adapter was built inside a running event loop; its lifespan startup has to run to "
    "completion before it returns. Build it outside (at module level, Lambda's init phase), "
    "or pass lifespan='off' to await adapter.handle(event, context) on that loop"
)


@pytest.mark.usefixtures("own_process_loop")
class TestLoopsTheUserChose:
    """A loop the user chose is used for everything, or refused with EventLoopError saying
    what to do: lifespan and requests never end up on two loops."""

    def test_uvloop_by_policy_runs_lifespan_and_every_request(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        uvloop = pytest.importorskip("uvloop")
        policy = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        try:
            app = LoopRecorder()
            adapter = Adapter(app, lifespan="on", timeout_margin=0.05)
            results = [
                adapter(http_api_event(path="/now"), FakeContext()),
                adapter(http_api_event(path="/wait"), FakeContext()),
                adapter(http_api_event(path="/hang"), FakeContext(timeout_ms=100)),
            ]
            adapter.shutdown()
        finally:
            asyncio.set_event_loop_policy(policy)
        assert results[:2] == [ok("/now"), ok("/wait")]
        assert results[2]["statusCode"] == 504  # the deadline guard works on uvloop too
        loop = event_loop()
        assert type(loop) is uvloop.Loop
        assert app.loops == [loop] * 4  # the lifespan (startup to shutdown), three requests
        assert len(caplog.record_tuples) == 1
        assert caplog.record_tuples[0][2].startswith("request still running")

    def test_built_inside_a_running_loop_with_a_lifespan_is_refused(self) -> None:
        uvloop = pytest.importorskip("uvloop")
        app = LoopRecorder()

        async def main() -> None:
            with pytest.raises(EventLoopError) as caught:
                Adapter(app)
            assert str(caught.value) == BUILT_INSIDE

        run_on(uvloop.new_event_loop, main())
        assert app.loops == []  # neither on the running loop nor on another one

    def test_built_inside_a_running_loop_without_lifespan_serves_on_it(
        self, context: FakeContext
    ) -> None:
        uvloop = pytest.importorskip("uvloop")
        app = LoopRecorder()

        async def main() -> tuple[Any, asyncio.AbstractEventLoop]:
            adapter = Adapter(app, lifespan="off")
            result = await adapter.handle(http_api_event(path="/wait"), context)
            return result, asyncio.get_running_loop()

        result, loop = run_on(uvloop.new_event_loop, main())
        assert result == ok("/wait")
        assert type(loop) is uvloop.Loop
        assert app.loops == [loop]
        assert loop_module.process_loop is None  # the process loop was never needed

    def test_handle_on_another_loop_than_the_lifespans_is_refused(
        self, context: FakeContext
    ) -> None:
        app = LoopRecorder()
        adapter = Adapter(app, lifespan="on")
        with pytest.raises(EventLoopError) as caught:
            asyncio.run(adapter.handle(http_api_event(), context))
        assert str(caught.value) == (
            "handle() was awaited on another event loop than the one this Adapter's lifespan "
            "started on, where what the startup made (clients, pools) belongs. Await it on the "
            "loop the Adapter was built for (lambda_asgi.runtime does), or build the Adapter "
            "with lifespan='off' inside the loop that serves it"
        )
        assert event_loop().run_until_complete(adapter.handle(http_api_event(), context)) == ok("/")
        assert app.loops == [event_loop()] * 2
        adapter.shutdown()

    def test_shutdown_inside_a_running_loop_is_refused(self) -> None:
        adapter = Adapter(LoopRecorder(), lifespan="on")

        async def main() -> None:
            adapter.shutdown()

        with pytest.raises(EventLoopError) as caught:
            asyncio.run(main())
        assert str(caught.value) == (
            "the Adapter was shut down inside a running event loop; call shutdown() outside it"
        )
        adapter.shutdown()

    def test_a_closed_lifespan_loop_is_not_replaced_under_the_adapter(
        self, context: FakeContext
    ) -> None:
        app = LoopRecorder()
        adapter = Adapter(app, lifespan="on")
        adapter.shutdown()  # so that closing the loop destroys no pending lifespan task
        event_loop().close()
        with pytest.raises(EventLoopError) as caught:
            adapter(http_api_event(), context)
        assert str(caught.value) == (
            "the event loop this Adapter's lifespan started on was closed, and with it what "
            "the startup made; build a new Adapter"
        )
        adapter.shutdown()  # its loop is gone: nothing to do, no error
        assert len(app.loops) == 1  # the lifespan only


async def never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the app must not be started")


class TestConstructorChecks:
    """Options are checked before the lifespan starts on the loop."""

    @pytest.mark.parametrize(
        ("app", "options", "option", "message"),
        [
            ("app:app", {}, "app", "expected an ASGI application, got 'app:app'"),
            (
                never_called,
                {"lifespan": True},
                "lifespan",
                "must be 'auto', 'on' or 'off', got True",
            ),
            (never_called, {"base_path": 7}, "base_path", "must be a string, got 7"),
            (
                never_called,
                {"base_path": "/api?v=1"},
                "base_path",
                "must be a path, got '/api?v=1'",
            ),
            (never_called, {"base_path": "/a#b"}, "base_path", "must be a path, got '/a#b'"),
            (
                never_called,
                {"text_mime_types": "text/csv"},
                "text_mime_types",
                "must be a list of content types, not a single string",
            ),
            (
                never_called,
                {"text_mime_types": ["csv"]},
                "text_mime_types",
                "entries must look like 'type/subtype' or 'type/', got 'csv'",
            ),
            (
                never_called,
                {"text_mime_types": [None]},
                "text_mime_types",
                "entries must look like 'type/subtype' or 'type/', got None",
            ),
        ],
    )
    def test_invalid_options(
        self, app: Any, options: dict[str, Any], option: str, message: str
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            Adapter(app, **options)
        assert caught.value.option == option
        assert str(caught.value) == f"{option}: {message}"

    @pytest.mark.parametrize(
        ("options", "config"),
        [
            ({}, Config()),
            ({"base_path": None}, Config()),
            ({"base_path": "/"}, Config()),
            ({"base_path": "api/v1/"}, Config(base_path="/api/v1")),
            (
                {"text_mime_types": [" Application/Vnd.Acme ", "font/"]},
                Config(text_mime_types=frozenset({"application/vnd.acme", "font/"})),
            ),
        ],
    )
    def test_normalised_options(
        self, make_adapter: AdapterFactory, options: dict[str, Any], config: Config
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            raise RuntimeError("no lifespan")

        assert make_adapter(app, **options).config == config


class TestLoopDriving:
    """Each invocation runs the loop until its own task is done, whatever else stops it."""

    def test_an_app_stopping_the_loop_still_gets_its_answer(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            asyncio.get_running_loop().stop()
            await asyncio.sleep(0)
            headers = [(b"content-type", b"text/plain")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"still here"})

        adapter = make_adapter(app, lifespan="off")
        first = adapter(http_api_event(), context)
        second = adapter(http_api_event(), context)
        assert (
            first
            == second
            == {
                "statusCode": 200,
                "headers": {"content-type": "text/plain"},
                "cookies": [],
                "body": "still here",
                "isBase64Encoded": False,
            }
        )

    @pytest.mark.parametrize("timeout_margin", [0.5, None], ids=["guarded", "unguarded"])
    def test_keyboard_interrupt_in_the_app_propagates(
        self, make_adapter: AdapterFactory, context: FakeContext, timeout_margin: float | None
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            raise KeyboardInterrupt

        adapter = make_adapter(app, lifespan="off", timeout_margin=timeout_margin)
        with pytest.raises(KeyboardInterrupt):
            adapter(http_api_event(), context)

    def test_keyboard_interrupt_from_a_loop_callback_leaves_the_next_invocation_working(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        calls = 0

        def interrupt() -> None:
            raise KeyboardInterrupt

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                asyncio.get_running_loop().call_soon(interrupt)
            await asyncio.sleep(0)
            headers = [(b"content-type", b"text/plain")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"ok"})

        adapter = make_adapter(app, lifespan="off")
        with pytest.raises(KeyboardInterrupt):
            adapter(http_api_event(), context)
        # The interrupted invocation's task finishes on the next run; it must not cut it short.
        assert adapter(http_api_event(), context)["body"] == "ok"
        assert calls == 2


class TestWhatTheAppSees:
    """Each invocation runs the loop as ``run_forever()`` does, until the request's task ends
    it: the app sees a running loop with its async generator hooks, callbacks it schedules
    keep their order, and the loop is left idle and usable afterwards."""

    def test_the_app_runs_in_its_task_on_a_running_loop(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        seen: dict[str, Any] = {}

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            loop = asyncio.get_running_loop()
            seen.update(
                loop=loop,
                running=loop.is_running(),
                task=asyncio.current_task() is not None,
                hooks=tuple(sys.get_asyncgen_hooks()),
            )
            await respond(send, "ok")

        adapter = make_adapter(app, lifespan="off")
        mine = (lambda agen: None, lambda agen: None)
        previous = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(*mine)
        try:
            assert adapter(http_api_event(), context) == ok("ok")
            assert tuple(sys.get_asyncgen_hooks()) == mine  # restored afterwards
        finally:
            sys.set_asyncgen_hooks(*previous)
        loop = event_loop()
        assert seen == {
            "loop": loop,
            "running": True,
            "task": True,
            "hooks": (loop._asyncgen_firstiter_hook, loop._asyncgen_finalizer_hook),  # type: ignore[attr-defined]
        }
        assert not loop.is_running()
        assert asyncio._get_running_loop() is None
        assert loop.run_until_complete(asyncio.sleep(0, "usable")) == "usable"

    def test_an_async_generator_left_open_is_closed_on_the_loop(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        closed: list[str] = []

        async def numbers() -> Any:
            try:
                yield 1
                yield 2
            finally:
                await asyncio.sleep(0)  # only possible when the loop's finalizer closes it
                closed.append("closed")

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if not closed:
                generator = numbers()
                await generator.__anext__()
                del generator  # unfinished: the loop's finalizer hook schedules aclose()
            await respond(send, "ok")

        adapter = make_adapter(app, lifespan="off")
        assert adapter(http_api_event(), context) == ok("ok")
        # aclose() then takes the next invocations' iterations: one to start its task, one
        # more for each await in the generator's finally.
        for _ in range(3):
            assert adapter(http_api_event(), context) == ok("ok")
        assert closed == ["closed"]

    def test_pending_callbacks_and_timers_get_their_iteration(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        ran: list[str] = []
        timer: list[asyncio.TimerHandle] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            loop = asyncio.get_running_loop()
            if scope["path"] == "/soon":
                loop.call_soon(ran.append, "callback")
            elif scope["path"] == "/later":
                timer.append(loop.call_later(3600, ran.append, "timer"))
            await respond(send, scope["path"])

        adapter = make_adapter(app, lifespan="off")
        assert adapter(http_api_event(path="/soon"), context) == ok("/soon")
        assert ran == []  # left for the next invocation, as one loop iteration leaves it
        assert adapter(http_api_event(path="/"), context) == ok("/")
        assert ran == ["callback"]
        assert adapter(http_api_event(path="/later"), context) == ok("/later")
        assert adapter(http_api_event(path="/"), context) == ok("/")  # a timer is pending
        timer[0].cancel()
        assert adapter(http_api_event(path="/"), context) == ok("/")  # drops the cancelled one
        assert adapter(http_api_event(path="/"), context) == ok("/")

    def test_a_request_still_waiting_after_its_first_step_runs_on_to_its_answer(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await asyncio.sleep(0.01)
            await respond(send, "late")

        adapter = make_adapter(app, lifespan="off")
        assert adapter(http_api_event(), context) == ok("late")
        assert adapter(http_api_event(), context) == ok("late")
        assert not event_loop().is_running()

    def test_keyboard_interrupt_in_the_app_leaves_the_loop_idle(
        self, make_adapter: AdapterFactory, context: FakeContext
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["path"] == "/stop":
                raise KeyboardInterrupt
            await respond(send, "ok")

        adapter = make_adapter(app, lifespan="off")
        with pytest.raises(KeyboardInterrupt):
            adapter(http_api_event(path="/stop"), context)
        assert not event_loop().is_running()
        assert asyncio._get_running_loop() is None
        assert adapter(http_api_event(), context) == ok("ok")
