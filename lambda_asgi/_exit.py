"""Leaving the process: the lifespan shutdown, then the process event loop closed, before
Python waits for the process's threads.

Frameworks run plain ``def`` endpoints on worker threads that are not daemons (Starlette and
FastAPI through anyio, Quart and Django through executors). anyio tells its workers to stop
from a done callback of the task that started them, which is scheduled on the loop; the Adapter
stops its loop as soon as an invocation is answered, so that callback waits for a loop
iteration that never comes. At exit, Python joins every non-daemon thread *before* running
:mod:`atexit` handlers, so an unclosed loop keeps the process alive for ever. Hence this hook
runs where :mod:`concurrent.futures` runs its own, in ``threading._register_atexit``: after
``main`` returns and before threads are joined. It runs the lifespan shutdown, then ends the
loop the way :func:`asyncio.run` does (remaining tasks cancelled, asynchronous generators and
the default executor shut down, loop closed), which lets the pending callbacks stop the workers.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
from collections.abc import Callable

from . import lifespan

logger = logging.getLogger("lambda_asgi")

CANCEL_TIMEOUT = 5.0
"""Seconds the tasks still running at exit may take to finish once cancelled."""

_loops: list[asyncio.AbstractEventLoop] = []
_installed = False
_pid = 0  # the process that installed the hook


def close_at_exit(loop: asyncio.AbstractEventLoop) -> None:
    """Arrange for ``loop`` to be finished and closed when the interpreter exits."""
    _loops[:] = [known for known in _loops if not known.is_closed()]
    _loops.append(loop)
    _install()


def _install() -> None:
    global _installed, _pid
    if _installed:
        return
    _installed = True
    _pid = os.getpid()
    # Imported for its side effect: it registers its own exit hook, which closes the executors
    # that run_in_executor() hands work to. Registered before ours, it runs after ours, so a
    # lifespan shutdown may still use those executors.
    import concurrent.futures.thread  # noqa: F401

    # Private, but the one hook that runs before non-daemon threads are joined; it exists on
    # every Python this package supports (3.9+). Should it be gone, or should Python already
    # be shutting down, atexit is the next best place: the loop still gets closed, but a
    # worker thread left running would then hold up the exit.
    register: Callable[[Callable[[], None]], object] | None = getattr(
        threading, "_register_atexit", None
    )
    if register is not None:
        try:
            register(run)
            return
        except RuntimeError:  # "can't register atexit after shutdown"
            pass
    atexit.register(run)


def run() -> None:
    """Shut down the started lifespans, then finish and close every registered loop that is
    not running. Never raises: an exception here would skip the interpreter's own clean-up."""
    if os.getpid() != _pid:
        # A forked child (multiprocessing runs this hook as its processes end): the lifespan
        # and the loop it inherited are the parent's to end, not its own.
        return
    try:
        lifespan.shutdown_all()
    except Exception:
        logger.exception("lifespan shutdown at exit failed")
    while _loops:
        loop = _loops.pop()
        if loop.is_closed() or loop.is_running():
            continue
        try:
            finish(loop)
        except Exception:
            logger.exception("closing the event loop at exit failed")


def finish(loop: asyncio.AbstractEventLoop) -> None:
    """End ``loop`` as :func:`asyncio.run` ends its own, with the cancelled tasks' wait bounded."""
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        # Runs the loop at least once, which also runs the callbacks left pending when the
        # last invocation stopped it, such as anyio's "stop this worker thread".
        _, pending = loop.run_until_complete(_wait(tasks))
        for task in tasks - pending:
            if not task.cancelled() and task.exception() is not None:
                loop.call_exception_handler(
                    {
                        "message": "task raised while cancelled at exit",
                        "exception": task.exception(),
                        "task": task,
                    }
                )
        if pending:
            logger.error(
                "%d task(s) still running %s s after being cancelled at exit: %s",
                len(pending),
                CANCEL_TIMEOUT,
                ", ".join(sorted(task.get_name() for task in pending)),
            )
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


async def _wait(
    tasks: set[asyncio.Task[object]],
) -> tuple[set[asyncio.Task[object]], set[asyncio.Task[object]]]:
    if not tasks:
        return set(), set()
    return await asyncio.wait(tasks, timeout=CANCEL_TIMEOUT)
