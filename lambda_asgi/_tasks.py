"""Which tasks belong to which request: the Adapter's loop's task factory records every task
spawned while a request is served, so a lone ``receive()`` can tell whether anybody else could
still complete the response (see :mod:`lambda_asgi.cycle`).

Synchronous code only, compiled in the wheels for Lambda: the invocation path registers its
request's task here before running it, and forgets it after.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

# The tasks spawned while serving a request, so a lone receive() can tell whether anybody else
# could still complete the response: the request's task, and every task spawned from it (or
# from those) while it runs, -> the request's list of its tasks (its own first, then the
# spawned ones in order). Recorded by our loop's task factory, which looks up the spawning
# task; a request costs a key added and removed, less than setting a context variable
# (measured 0.4 us). On a loop that is not ours a snapshot of all tasks is the fallback.
_requests: Final[dict[asyncio.Task[Any], list[asyncio.Task[Any]]]] = {}
# On a loop without that factory: the tasks that existed when the request started, by its task.
_earlier: Final[dict[asyncio.Task[Any], set[asyncio.Task[Any]]]] = {}


def task_factory(
    loop: asyncio.AbstractEventLoop,
    # A coroutine (or, before Python 3.12, a generator-based one): Any, as typeshed's Task
    # takes the latter only on those versions and the compiled build is type-checked on each.
    coro: Any,
    **kwargs: Any,
) -> asyncio.Task[Any]:
    """The task factory of the Adapter's loop: a plain Task, remembered by its request."""
    task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
    if _requests:  # else no request is being served: nothing to remember
        spawner = asyncio.current_task(loop)  # None for a task made from a loop callback
        spawned = _requests.get(spawner) if spawner is not None else None
        if spawned is not None:
            spawned.append(task)
            _requests[task] = spawned
    return task


def register(task: asyncio.Task[Any], tasks: list[asyncio.Task[Any]]) -> None:
    """Make ``task`` a request's own task, before it runs, with ``tasks`` (empty) as the
    request's list of its tasks: its own first, then those the task factory sees it spawn."""
    tasks.append(task)
    _requests[task] = tasks
    loop = task.get_loop()
    if loop.get_task_factory() is not task_factory:
        # Without our task factory, every task that existed before this request (lifespan,
        # app background loops) is known not to answer it; anything newer might.
        _earlier[task] = asyncio.all_tasks(loop)


def forget(task: asyncio.Task[Any], tasks: list[asyncio.Task[Any]]) -> None:
    """The request whose own task is ``task`` is over: no task is its any more."""
    del _requests[task]
    if len(tasks) > 1:  # it spawned tasks
        for spawned in tasks:
            _requests.pop(spawned, None)
    if _earlier:
        _earlier.pop(task, None)
