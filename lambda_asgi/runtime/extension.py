"""Graceful shutdown: an internal Lambda extension, registered from inside the function process.

Lambda sends the runtime SIGTERM (and allows about 500 ms before SIGKILL) only when at least
one extension is registered. An internal extension registers during init with
``POST /2020-01-01/extension/register`` (no events: internal extensions get no SHUTDOWN
event) and must then wait in ``GET /2020-01-01/extension/event/next`` for init to complete;
a daemon thread does that, on a small event loop of its own, for the life of the process.
Used by the Adapter on the managed runtime (``graceful_shutdown=True``, when the app has a
lifespan) and by the custom runtime; registered at most once per process.

Lambda Managed Instances run the managed Python runtime as several worker processes in one
execution environment (``AWS_LAMBDA_MAX_CONCURRENCY`` of them, forked by awslambdaric before
it imports the handler), each with its own Adapter. An extension name registers once per
environment: the first worker's registration succeeds and the others are answered 403 (name
taken, or registration closed once a worker asked for its first invocation). That is the
expected case, logged at DEBUG: with one extension registered, Lambda sends SIGTERM to the
runtime's whole process group, so every worker gets it and runs its own lifespan shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import threading

from ..exceptions import RuntimeAPIError
from .client import Connection

logger = logging.getLogger("lambda_asgi.runtime")

NAME = "lambda-asgi"
REGISTER = "/2020-01-01/extension/register"
EVENT_NEXT = "/2020-01-01/extension/event/next"
REGISTER_TIMEOUT = 2.0

_OFF = ("off", "0", "false")
_lock = threading.Lock()
_identifier: str | None = None
# Another worker process of this execution environment holds the registration.
_shared = False


# awslambdaric waits for the next event in a thread (leaving the main thread free to run
# Python signal handlers) only on these runtimes; elsewhere its main thread blocks in C.
_THREAD_POLLING = {f"AWS_Lambda_python3.{minor}" for minor in range(12, 16)}


def ensure_registered(address: str | None = None, *, native: bool = False) -> str | None:
    """Register the internal extension once; return its identifier, or None when there is no
    Runtime API (not on Lambda) or registration failed (logged: the function still works, it
    just gets no SIGTERM).

    ``LAMBDA_ASGI_GRACEFUL_SHUTDOWN=off`` in the environment turns it off everywhere.
    ``native`` is for the custom runtime, which handles SIGTERM on its own event loop. Under
    the managed runtime, where a Python SIGTERM handler may never get to run (see
    ``_watch_sigterm``), a watcher thread runs the lifespan shutdown instead.
    """
    global _identifier, _shared
    address = address or os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address or os.environ.get("LAMBDA_ASGI_GRACEFUL_SHUTDOWN", "").lower() in _OFF:
        return None
    with _lock:
        if _identifier is None and not _shared:
            _identifier, _shared = _register(address)
            blocking = os.environ.get("AWS_EXECUTION_ENV") not in _THREAD_POLLING
            if (_identifier is not None or _shared) and not native and blocking:
                _watch_sigterm()
        return _identifier


def _watch_sigterm() -> None:
    """Run the lifespan shutdown at SIGTERM from a thread, for a main thread blocked in C.

    awslambdaric's main thread waits for the next event inside a C call that does not return
    for signals, so the SIGTERM handler (lambda_asgi.lifespan's) would only run after the
    SIGKILL. Its C half still writes the signal number to the wakeup fd, which this thread
    watches: it runs the shutdown, then ends the process as SIGTERM would have.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if not callable(signal.getsignal(signal.SIGTERM)):
        return  # no Python handler: SIGTERM simply ends the process, nothing to run
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    if previous != -1:  # somebody else's wakeup fd (an event loop's): keep theirs
        signal.set_wakeup_fd(previous)
        reader.close()
        writer.close()
        return

    def watch() -> None:  # pragma: no cover - ends its process with os._exit, so no coverage
        # data; tested end to end by test_sigterm_runs_the_lifespan_shutdown[awslambdaric].
        _keep = writer  # the wakeup fd must stay open for as long as we watch
        while signal.SIGTERM not in reader.recv(64):
            pass
        from .. import lifespan

        lifespan.shutdown_all()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signal.SIGTERM)

    threading.Thread(target=watch, name=f"{NAME}-sigterm", daemon=True).start()


def _register(address: str) -> tuple[str | None, bool]:
    """The identifier Lambda gave the extension (None if it refused), and whether another
    worker process of this execution environment registered it instead."""
    registered = threading.Event()
    outcome: list[tuple[int, bytes] | str | BaseException] = []

    async def run() -> None:
        connection = Connection(address)
        try:
            status, headers, body = await connection.request(
                "POST", REGISTER, {"Lambda-Extension-Name": NAME}, b'{"events": []}'
            )
        except Exception as exc:
            connection.close()
            outcome.append(exc)
            registered.set()
            return
        identifier = headers.get("lambda-extension-identifier")
        if status != 200 or identifier is None:
            connection.close()
            outcome.append((status, body))
            registered.set()
            return
        outcome.append(identifier)
        registered.set()
        try:
            await _park(connection, identifier)
        finally:
            connection.close()

    thread = threading.Thread(target=asyncio.run, args=(run(),), name=NAME, daemon=True)
    thread.start()
    registered.wait(REGISTER_TIMEOUT)
    result = outcome[0] if outcome else RuntimeAPIError("no answer to extension register")
    if isinstance(result, str):
        return result, False
    if isinstance(result, tuple):
        status, body = result
        if status == 403 and os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY"):
            logger.debug(
                "another runtime worker of this execution environment registered the "
                "lambda-asgi extension (register answered 403: %.200r); Lambda sends SIGTERM "
                "to every worker all the same",
                body,
            )
            return None, True
        result = RuntimeAPIError(f"extension register answered {status}: {body[:200]!r}")
    logger.warning(
        "could not register the lambda-asgi extension, so Lambda will not send SIGTERM "
        "and the lifespan shutdown will not run: %s",
        result,
    )
    return None, False


async def _park(connection: Connection, identifier: str) -> None:
    """Wait in event/next for as long as Lambda hands out events: with no events registered,
    that is until the process ends."""
    headers = {"Lambda-Extension-Identifier": identifier}
    status = 200
    while status == 200:
        try:
            status, _, body = await connection.request("GET", EVENT_NEXT, headers)
        except RuntimeAPIError:
            return
    logger.warning("extension event/next answered %d: %.200r", status, body)
