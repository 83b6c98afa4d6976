"""The process's event loop and the driving of one invocation on it.

One loop per process, created on first use and kept across invocations, so clients and pools
made at startup keep working; the Adapter runs each synchronous invocation on it.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

from .cycle import task_factory

_loop: asyncio.AbstractEventLoop | None = None


def event_loop() -> asyncio.AbstractEventLoop:
    """The process's event loop, made on first use (and again only if someone closed it)."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        _loop.set_task_factory(task_factory)
    return _loop


def run(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    try:
        loop.run_forever()
    except BaseException:
        retrieve(task)
        raise


def retrieve(task: asyncio.Task[Any]) -> None:
    """For a KeyboardInterrupt or SystemExit out of the app's task, on its way up: mark the
    task's copy retrieved, as the exception propagating is the one to see."""
    if task.done() and not task.cancelled():
        task.exception()


# Exactly the stock loop: its internals are known, so that one iteration can be shortened.
_STOCK_LOOP: type[Any] = asyncio.SelectorEventLoop


def idle(loop: Any) -> bool:
    """Whether the next loop iteration is sure to find nothing to do but the new task's
    first step: no callbacks ready, no timers, no file descriptor watched but the loop's own
    wake-up pipe (so its poll cannot report anything), and no debug mode."""
    return (
        type(loop) is _STOCK_LOOP
        and not loop._ready
        and not loop._scheduled
        and len(loop._selector._fd_to_key) == 1
        and not loop._debug
    )


def first_step(loop: Any) -> None:
    """One loop iteration for an :func:`idle` loop: run the only ready callback, the task's
    first step, in the state ``run_forever()`` sets up (running loop, thread, async generator
    hooks), without the poll and timer bookkeeping that would find nothing. Saves about a
    third of what driving the loop costs an invocation."""
    handle = loop._ready.popleft()
    hooks = _hooks.get(loop)
    if hooks is None:
        _hooks.clear()  # one process loop: a replaced one's hooks are not needed again
        hooks = _hooks[loop] = (loop._asyncgen_firstiter_hook, loop._asyncgen_finalizer_hook)
    previous = sys.get_asyncgen_hooks()
    loop._thread_id = _get_ident()
    sys.set_asyncgen_hooks(*hooks)
    _set_running_loop(loop)
    try:
        handle._run()
    finally:
        loop._stopping = False  # as run_forever() leaves it: the task stopped the loop
        loop._thread_id = None
        _set_running_loop(None)
        sys.set_asyncgen_hooks(*previous)


# The loop's async generator hooks, as bound methods made once rather than per invocation.
_hooks: dict[Any, tuple[Any, Any]] = {}
_set_running_loop = asyncio.events._set_running_loop
_get_ident = threading.get_ident
