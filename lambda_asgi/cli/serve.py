"""``lambda-asgi serve``: uvicorn in front, one Lambda execution environment behind.

uvicorn (the ``serve`` extra, imported only here and only when a server is made) accepts the
connections and runs the bridge apps of :mod:`._bridge` (HTTP) and :mod:`._websocket`
(WebSocket APIs) on its own event loop, in a thread of its own. The user's handler is
synchronous and owns its event loop, so it never runs on uvicorn's: every invocation goes
through a queue to the one thread that called :meth:`LocalServer.serve` and runs there, one
at a time, like a single execution environment. A bridge awaits the outcome without blocking
uvicorn's loop, so requests keep arriving (and ``@connections`` calls keep being answered)
while the handler runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .. import __version__
from .._types import Receive, Scope, Send
from ..testing import FakeContext
from ._app import CliError, Handler
from ._bridge import HttpBridge
from ._http import ServerStoppingError
from ._sources import CliSource

if TYPE_CHECKING:
    from ._websocket import WebSocketAPI

logger = logging.getLogger("lambda_asgi.cli")

INSTALL_HINT = "lambda-asgi serve needs uvicorn: pip install 'lambda-asgi[serve]'"
GRACE_SECONDS = 1
"""How long a stop waits for open connections (a streamed response, a WebSocket's
``$disconnect``) before uvicorn cancels them."""

Settle = Callable[[Any, BaseException | None], None]
Run = Callable[[Handler, Any], Any]


class _Invocation:
    __slots__ = ("event", "run", "settle")

    def __init__(self, event: Any, run: Run, settle: Settle) -> None:
        self.event = event
        self.run = run
        self.settle = settle


def call_handler(handler: Handler, event: Any) -> Any:
    """One ordinary invocation: the handler's result, or its exception."""
    return handler(event, FakeContext())


class LocalServer:
    """uvicorn on ``host:port`` (or on an already listening ``sock``) answering every request
    through ``handler`` as ``source`` would, or as a WebSocket API with ``websocket``."""

    def __init__(
        self,
        handler: Handler,
        source: CliSource | None,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        sock: socket.socket | None = None,
        websocket: WebSocketAPI | None = None,
    ) -> None:
        try:
            import uvicorn
        except ImportError as exc:
            raise CliError(INSTALL_HINT) from exc
        self.handler = handler
        self.source = source
        self._pending: queue.SimpleQueue[_Invocation] = queue.SimpleQueue()
        self._closed = False
        self.sock = listen(host, port) if sock is None else sock
        self.websocket = websocket
        app: Callable[[Scope, Receive, Send], Awaitable[None]]
        if websocket is not None:
            websocket.bind(self)
            app = websocket
        else:
            assert source is not None, "an HTTP server plays a source"
            app = HttpBridge(self, source)
        config = uvicorn.Config(
            app,
            lifespan="off",  # the Adapter runs the app's lifespan itself, as on Lambda
            http="h11",
            ws="websockets-sansio",
            log_config=None,
            log_level="warning",
            proxy_headers=False,  # this server is the front door: nothing in front to trust
            access_log=False,  # the bridges write their own access-log lines
            server_header=False,
            headers=[("Server", f"lambda-asgi/{__version__}")],
            timeout_graceful_shutdown=GRACE_SECONDS,
        )
        self._uvicorn = uvicorn.Server(config)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def host(self) -> str:
        return str(self.sock.getsockname()[0])

    @property
    def url(self) -> str:
        scheme = "http" if self.websocket is None else "ws"
        return f"{scheme}://{authority(self.host, self.port)}"

    def serve(self, stop: threading.Event) -> None:
        """Run uvicorn on a thread and the invocations here until ``stop`` is set or Ctrl-C;
        then let open connections finish (still invoking: a WebSocket's ``$disconnect``) for
        up to :data:`GRACE_SECONDS`. A second Ctrl-C stops without waiting for them."""
        thread = threading.Thread(target=self._run_uvicorn, name="lambda-asgi-uvicorn")
        thread.start()
        interrupted = False
        try:
            try:
                while not stop.is_set() and thread.is_alive():
                    self._step()
            except KeyboardInterrupt:
                interrupted = True
            self._uvicorn.should_exit = True
            while thread.is_alive():
                self._step()
        except BaseException:  # a second Ctrl-C: open connections are not waited for
            self._uvicorn.force_exit = True
            raise
        finally:
            # What still waits for the handler is refused; uvicorn stops within its grace
            # period (cancelling what still runs then), at once when forced.
            self._closed = True
            self._uvicorn.should_exit = True
            self._refuse_pending()
            thread.join()
            self.sock.close()
        if interrupted:
            raise KeyboardInterrupt

    def _run_uvicorn(self) -> None:
        asyncio.run(self._uvicorn.serve(sockets=[self.sock]))

    def _step(self) -> None:
        try:
            invocation = self._pending.get(timeout=0.05)
        except queue.Empty:
            return
        try:
            result = invocation.run(self.handler, invocation.event)
        except Exception as exc:
            invocation.settle(None, exc)
        except BaseException:  # Ctrl-C in the handler: its client is told, then we stop
            invocation.settle(None, ServerStoppingError("the server is stopping"))
            raise
        else:
            invocation.settle(result, None)

    def _refuse_pending(self) -> None:
        while True:
            try:
                invocation = self._pending.get_nowait()
            except queue.Empty:
                return
            invocation.settle(None, ServerStoppingError("the server is stopping"))

    async def invoke(self, event: Any, run: Run = call_handler) -> Any:
        """``run(handler, event)`` on the serving thread; its result (or exception) here,
        on uvicorn's loop, which keeps serving meanwhile."""
        if self._closed:
            raise ServerStoppingError("the server is stopping")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def settle(result: Any, error: BaseException | None) -> None:
            # RuntimeError: uvicorn's loop is already closed, so nobody is waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)

        self._pending.put(_Invocation(event, run, settle))
        return await future


def authority(host: str, port: int) -> str:
    """``host:port`` for a URL (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say so, and with Nagle on, each response waits for the client's delayed ACK (~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # uvicorn cancelled the request, stopping without waiting
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
