"""The ASGI lifespan protocol, run once per execution environment.

Startup runs when the Adapter is built, that is during Lambda's init phase: the first request
does not pay for it, provisioned concurrency and SnapStart snapshots include the started app,
and a failed startup becomes an init error instead of a broken function. Shutdown runs once,
when the process receives SIGTERM or exits. The lifespan task stays parked on the process's
event loop in between, so whatever startup created (pools, clients) lives on that loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any

from ._types import ASGIApp, LifespanMode, Message

if TYPE_CHECKING:
    from ._types import LifespanScope
from .exceptions import LifespanError

logger = logging.getLogger("lambda_asgi")

STARTUP_TIMEOUT = 5.0
"""Seconds startup may take by default: half of the 10 s Lambda allows its whole init phase,
imports included (provisioned concurrency and SnapStart allow more)."""

SHUTDOWN_TIMEOUT = 5.0
"""Seconds shutdown may take; Lambda itself allows about 0.5 s after SIGTERM."""

STOP_TIMEOUT = 1.0
"""Seconds a cancelled lifespan task may take to end."""

_ANSWERS = frozenset(
    {
        "lifespan.startup.complete",
        "lifespan.startup.failed",
        "lifespan.shutdown.complete",
        "lifespan.shutdown.failed",
    }
)


class Lifespan:
    """One app's lifespan: ``startup()`` once, ``shutdown()`` at most once."""

    def __init__(
        self, app: ASGIApp, mode: LifespanMode, timeout: float | None = STARTUP_TIMEOUT
    ) -> None:
        self.app = app
        self.mode = mode
        self.timeout = timeout
        self.state: dict[str, Any] = {}
        self.running = False
        self._task: asyncio.Task[None] | None = None
        self._inbox: asyncio.Queue[Message] | None = None
        self._outcome: asyncio.Future[Message] | None = None
        self._error: BaseException | None = None

    async def startup(self) -> None:
        """Run the app's startup; raise LifespanError when it fails, answers with anything but
        a startup message, does not finish within ``timeout`` seconds, or is unsupported with
        mode "on". Whenever it raises, the app's lifespan task has been cancelled."""
        if self.mode == "off":
            return
        loop = asyncio.get_running_loop()
        self._inbox = asyncio.Queue()
        self._outcome = loop.create_future()
        self._task = loop.create_task(self._main())
        self._inbox.put_nowait({"type": "lifespan.startup"})
        try:
            message = await asyncio.wait_for(self._next_outcome(), self.timeout)
        except asyncio.TimeoutError:
            await self._stop()
            raise LifespanError(
                f"lifespan startup did not finish within {self.timeout} s "
                "(Adapter option lifespan_timeout); the app's lifespan task was cancelled"
            ) from None
        kind = message.get("type") if isinstance(message, Mapping) else None
        if kind == "lifespan.startup.complete":
            self.running = True
            return
        if kind == "lifespan.startup.failed":
            await self._stop()
            raise LifespanError(f"lifespan startup failed: {message.get('message') or 'no reason'}")
        if kind != _ENDED:
            await self._stop()
            raise LifespanError(
                f"the app answered lifespan.startup with {_describe(message)} instead of "
                "lifespan.startup.complete or lifespan.startup.failed"
            )
        # The app never answered the startup: it raised or returned, so it has no lifespan.
        if self.mode == "on":
            raise LifespanError(
                "lifespan='on' but the app does not support the lifespan protocol "
                f"({self._describe_error()})"
            ) from self._error
        logger.info(
            "ASGI app does not support the lifespan protocol (%s); running without it",
            self._describe_error(),
        )

    async def shutdown(self) -> None:
        """Run the app's shutdown once; failures are logged (there is nobody left to raise to)."""
        if not self.running or self._inbox is None:
            return
        self.running = False
        if self._task is None or self._task.done():
            logger.warning("lifespan shutdown skipped: the app's lifespan task already ended")
            return
        self._outcome = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait({"type": "lifespan.shutdown"})
        try:
            message = await asyncio.wait_for(self._next_outcome(), SHUTDOWN_TIMEOUT)
        except asyncio.TimeoutError:
            logger.error("lifespan shutdown did not finish within %s s", SHUTDOWN_TIMEOUT)
            await self._stop()
            return
        kind = message.get("type") if isinstance(message, Mapping) else None
        if kind == "lifespan.shutdown.failed":
            logger.error("lifespan shutdown failed: %s", message.get("message") or "no reason")
        elif kind == _ENDED:
            logger.error("lifespan shutdown did not complete (%s)", self._describe_error())
        elif kind != "lifespan.shutdown.complete":
            logger.error(
                "the app answered lifespan.shutdown with %s instead of "
                "lifespan.shutdown.complete or lifespan.shutdown.failed",
                _describe(message),
            )
            await self._stop()

    async def _stop(self) -> None:
        """Cancel the lifespan task if it is still running, and let it finish (within
        STOP_TIMEOUT: a task that ignores its cancellation is left to the exit's)."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=STOP_TIMEOUT)
            if not task.done():
                logger.error(
                    "the app's lifespan task ignored its cancellation and is still running"
                )

    async def _next_outcome(self) -> Message:
        assert self._outcome is not None
        return await self._outcome

    def _resolve(self, message: Message) -> bool:
        """Make ``message`` the outcome awaited, if one is; whether it was."""
        if self._outcome is None or self._outcome.done():
            return False
        self._outcome.set_result(message)
        return True

    def _describe_error(self) -> str:
        if self._error is None:
            return "it returned without answering"
        return f"it raised {type(self._error).__name__}: {self._error}"

    async def _main(self) -> None:
        scope: LifespanScope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        try:
            await self.app(scope, self._receive, self._send)  # type: ignore[arg-type]
        except Exception as exc:
            self._error = exc
            if self.running:
                logger.exception("lifespan task raised while the app was running")
        finally:
            self._resolve({"type": _ENDED})

    async def _receive(self) -> Message:
        assert self._inbox is not None
        return await self._inbox.get()

    async def _send(self, message: Message) -> None:
        kind = message.get("type") if isinstance(message, Mapping) else None
        # Until startup completes, whatever comes is the answer to it, and judged there.
        if not ((kind in _ANSWERS or not self.running) and self._resolve(message)):
            logger.error("lifespan: unexpected message %s from the app", _describe(message))


_ENDED = "lifespan.ended"
"""The type of the outcome :meth:`Lifespan._main` reports when the app's lifespan returns or
raises; not an ASGI message."""


def _describe(message: Any) -> str:
    """A message as an error names it: its type, or what it is if it has none."""
    if isinstance(message, Mapping) and isinstance(message.get("type"), str):
        return repr(message["type"])
    return f"a message that is not a dict with a 'type' string ({message!r:.80})"


# -- running shutdown at SIGTERM and at exit ---------------------------------------------

_pending: list[tuple[Lifespan, asyncio.AbstractEventLoop]] = []
_installed = False


def register(lifespan: Lifespan, loop: asyncio.AbstractEventLoop) -> None:
    """Arrange for ``lifespan.shutdown()`` at SIGTERM or interpreter exit (lambda_asgi._exit
    calls :func:`shutdown_all` for the exit)."""
    global _installed
    _pending.append((lifespan, loop))
    if _installed:
        return
    _installed = True
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _sigterm_handler(previous))


# Held while shutting down: the SIGTERM handler and lambda_asgi.runtime's SIGTERM watcher
# thread may both get here, and the second must wait for the first to finish, not skip it.
_shutting_down = threading.RLock()


def shutdown_all() -> None:
    """Shut down every started lifespan whose loop is idle; safe to call repeatedly, from any
    thread (a call waits for one already running). Called while another event loop runs in
    this thread (a module-level Adapter imported by uvicorn, which then gets SIGTERM), it
    leaves them to the interpreter's exit, as no loop can be run to completion inside one."""
    running = asyncio._get_running_loop()
    if running is not None and all(loop is not running for _, loop in _pending):
        logger.info(
            "lifespan shutdown left for exit: another event loop is running in this thread "
            "(an ASGI server serving the app itself?)"
        )
        return
    with _shutting_down:
        while _pending:
            lifespan, loop = _pending.pop()
            if not lifespan.running or loop.is_closed():
                continue
            if loop.is_running():
                logger.warning("lifespan shutdown skipped: the event loop is busy with a request")
                continue
            loop.run_until_complete(lifespan.shutdown())


def _sigterm_handler(previous: Any) -> Any:
    def handle(signum: int, frame: FrameType | None) -> None:
        shutdown_all()
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            # Default action: die of SIGTERM as we would have without this handler.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    return handle
