"""What :mod:`lambda_asgi.websocket` needs from boto3, loaded only on first use.

Blocking boto3 calls run on a few daemon worker threads, so the event loop keeps serving other
invocations meanwhile, and a call stuck on the network never keeps the process from exiting:
``concurrent.futures.ThreadPoolExecutor`` joins its workers at interpreter exit, which turns one
hung request into a hung shutdown. Clients are created under one lock because boto3's default
session is not safe to use from several threads at once.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

from ..exceptions import WebSocketError

T = TypeVar("T")
P = ParamSpec("P")

WORKERS = 8
"""Threads running boto3 calls, and connections each client keeps open: enough for a broadcast
to overlap its round trips without one process opening dozens of sockets."""

_WorkItem = tuple["Future[Any]", Callable[[], Any]]


class DaemonExecutor(Executor):
    """A thread pool whose idle or stuck workers never delay the interpreter's exit.

    It lives as long as the process (the execution environment), so it has no shutdown of its
    own: daemon threads simply stop with the interpreter.
    """

    def __init__(self, max_workers: int, name: str) -> None:
        self._max_workers = max_workers
        self._name = name
        self._queue: queue.SimpleQueue[_WorkItem] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._counter = itertools.count(1)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._queue.put((future, functools.partial(fn, *args, **kwargs)))
            # A worker that finished its last call is waiting on the queue: let it take this one.
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max_workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{next(self._counter)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        return future

    def _work(self) -> None:
        while True:
            future, call = self._queue.get()
            if future.set_running_or_notify_cancel():
                try:
                    result = call()
                except BaseException as exc:  # handed to the awaiting coroutine, as the pool does
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            self._idle.release()


_EXECUTOR = DaemonExecutor(WORKERS, "lambda-asgi-websocket")
_CLIENT_LOCK = threading.Lock()


def environment_region() -> str | None:
    """The region Lambda runs the function in (``AWS_REGION``, else ``AWS_DEFAULT_REGION``)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


async def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` on a worker thread; the loop keeps running other tasks meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, fn, *args)


def make_client(service: str, *, attempts: int, **kwargs: Any) -> Any:
    """A boto3 client for ``service`` (importing boto3 on first use), made under the lock.

    ``attempts`` caps botocore's own tries of a call (1: no retries, for callers that retry
    themselves, so a throttled call cannot quietly outlast API Gateway's 29 seconds).
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    config = Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        connect_timeout=kwargs.pop("connect_timeout", 5),
        read_timeout=kwargs.pop("read_timeout", 10),
        max_pool_connections=WORKERS,
        user_agent_extra="lambda-asgi",
    )
    with _CLIENT_LOCK:
        try:
            return boto3.client(service, config=config, **kwargs)
        except NoRegionError:
            raise WebSocketError(
                f"no AWS region for the {service} client: set AWS_REGION (Lambda sets it) "
                "or AWS_DEFAULT_REGION"
            ) from None
