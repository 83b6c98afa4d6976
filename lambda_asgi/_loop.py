"""The process's event loop, the driving of one synchronous invocation on it, and the deadline
guard of those invocations.

One loop per process, created on first use with the event loop policy in force (uvloop's, if
the user installed it) and kept across invocations, so clients and pools made at startup keep
working. Nothing here reaches into the loop's private state: an invocation is one
``run_forever()``, which the request's task ends itself when it finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from . import _exit
from ._tasks import task_factory
from .exceptions import EventLoopError

process_loop: asyncio.AbstractEventLoop | None = None
"""The loop :func:`event_loop` made; read it there, unless (per invocation) a closed or
missing loop is checked for and handled by calling :func:`event_loop`."""


def event_loop() -> asyncio.AbstractEventLoop:
    """The process's event loop, made on first use (and again only if someone closed it)."""
    global process_loop
    loop = process_loop
    if loop is None or loop.is_closed():
        loop = process_loop = asyncio.new_event_loop()
        loop.set_task_factory(task_factory)
        _exit.close_at_exit(loop)
    return loop


def outside_any_loop(doing: str, instead: str) -> None:
    """Raise EventLoopError if this thread is running an event loop, which running the
    process loop to completion now would need to block."""
    if asyncio._get_running_loop() is not None:
        raise EventLoopError(f"the Adapter was {doing} a running event loop; {instead}")


def run(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    """Run ``loop`` until ``task`` is done; the task stops the loop as it finishes, and
    should anything else stop it earlier (an app calling ``loop.stop()``), it runs on."""
    try:
        while not task.done():
            loop.run_forever()
    except BaseException:
        retrieve(task)
        raise


def retrieve(task: asyncio.Task[Any]) -> None:
    """For a KeyboardInterrupt or SystemExit out of the app's task, on its way up: mark the
    task's copy retrieved, as the exception propagating is the one to see."""
    if task.done() and not task.cancelled():
        task.exception()


Expire = Callable[[asyncio.Task[Any], float], None]
# What the watchdog guards: the task, the time.monotonic() it was armed at, the delay it was
# armed with (its deadline is their sum), its loop and what to call on that loop at the
# deadline. One tuple,
# written and read as one reference, so the thread never sees half of one invocation's guard
# and half of another's.
Guard = tuple[asyncio.Task[Any], float, float, asyncio.AbstractEventLoop, Expire]


class Watchdog:
    """The deadline guard of synchronous invocations, which run one at a time per process.

    A timer on the loop would cost every loop iteration of a request that waits for I/O a
    look at the timer heap, and a timer cancelled per invocation leaves a handle behind for
    later iterations to skip. The guard lives on a sleeping thread instead: an invocation only
    publishes its guard (one attribute write, no lock); the thread wakes at the deadline it
    last saw and, if the request it guards is still running past its own deadline, has the
    loop cancel it (``call_soon_threadsafe``). Lambda's deadlines move forward, so the thread
    usually wakes early, finds a later deadline and sleeps on: about once per function
    timeout. Only an earlier deadline than the one it sleeps towards needs a wake-up call.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._worker: threading.Thread | None = None
        self.guarded: Guard | None = None
        """The guard of the invocation running now; ``None`` between invocations."""
        self.wake = float("inf")
        """When the thread next looks (``time.monotonic()``): a guard due earlier needs
        :meth:`wake_up`. Infinite until the thread starts; 0 while it is looking."""

    def arm(
        self,
        loop: asyncio.AbstractEventLoop,
        task: asyncio.Task[Any],
        delay: float,
        expire: Expire,
    ) -> None:
        """Guard ``task`` for ``delay`` seconds: then, unless :meth:`disarm` came first, the
        loop calls ``expire(task, started)`` with the ``time.monotonic()`` of this call.

        The request path does the same inline (:func:`lambda_asgi._http.run_guarded`):
        publish the guard, then call :meth:`wake_up` if its deadline is before :attr:`wake`."""
        now = time.monotonic()
        self.guarded = (task, now, delay, loop, expire)
        if now + delay < self.wake:
            self.wake_up()

    def wake_up(self) -> None:
        """Have the thread look at the guard now (starting it, the first time)."""
        guarded = self.guarded
        if self._worker is None and guarded is not None:
            self._worker = threading.Thread(
                target=self._watch, args=(guarded[2],), name="lambda_asgi deadline", daemon=True
            )
            self._worker.start()
        else:
            with self._condition:
                self._condition.notify()

    def disarm(self) -> None:
        """The guarded task is done."""
        self.guarded = None

    def _watch(self, delay: float) -> None:
        # Between invocations it sleeps for as long as the last one had: about the function's
        # timeout, as the next one most likely has that much too.
        with self._condition:
            while True:
                self.wake = 0.0
                guarded = self.guarded
                now = time.monotonic()
                if guarded is not None:
                    delay = guarded[2]
                wake = now + delay
                if guarded is not None and not guarded[0].done():
                    at = guarded[1] + delay
                    if now < at:
                        wake = at
                    else:
                        self._cancel(guarded)
                self.wake = wake
                self._condition.wait(wake - now)

    def _cancel(self, guarded: Guard) -> None:
        with contextlib.suppress(RuntimeError):  # a loop closed meanwhile has nothing to cancel
            guarded[3].call_soon_threadsafe(self._fire, guarded)

    def _fire(self, guarded: Guard) -> None:
        # Still the guard of the running invocation: the same task, armed at the same time.
        # Compared by content, not as one object: compiled, a tuple is rebuilt when passed.
        task, started = guarded[0], guarded[1]
        current = self.guarded
        if current is not None and current[0] is task and current[1] == started and not task.done():
            guarded[4](task, started)


watchdog = Watchdog()


def _forget_watchdog() -> None:
    """In a forked child, the parent's watchdog thread does not exist: start afresh."""
    global watchdog
    watchdog = Watchdog()


os.register_at_fork(after_in_child=_forget_watchdog)
