"""The custom runtime's main loop: init (import the handler, lifespan startup, SnapStart), then
``next`` / answer for ever, until SIGTERM runs the lifespan shutdown.

Everything runs on the Adapter's process event loop, so the lifespan state made during init
is the one every invocation sees. ``AWS_LAMBDA_MAX_CONCURRENCY`` workers (1 unless Lambda
Managed Instances sets more) each hold one connection and one ``next`` call at a time.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import signal
import sys
from typing import Any

from .. import logs
from .._loop import event_loop
from ..adapter import Adapter
from ..exceptions import RuntimeAPIError
from . import extension, snapstart
from .client import Connection, error_document
from .context import Context, install_trace_environ
from .log_format import configure_runtime_logging
from .streaming import stream_invocation

logger = logging.getLogger("lambda_asgi.runtime")

NEXT = "/2018-06-01/runtime/invocation/next"
INVOCATION = "/2018-06-01/runtime/invocation/"


class InitError(Exception):
    """An init failure with Lambda's error type, reported to ``/runtime/init/error``."""

    def __init__(self, error_type: str, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.document = error_document(cause or self, error_type, message)


def load_handler(name: str) -> Adapter:
    """Import ``module.attr`` (an Adapter or a plain ASGI app, wrapped in a default Adapter)."""
    module_name, _, attr = name.rpartition(".")
    if not module_name or not attr:
        raise InitError("Runtime.MalformedHandlerName", f"Bad handler {name!r}: not module.attr")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise InitError(
            "Runtime.ImportModuleError", f"Unable to import module {module_name!r}: {exc}", exc
        ) from exc
    except SyntaxError as exc:
        raise InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module {module_name!r}: {exc}", exc
        ) from exc
    except Exception as exc:  # the module's own init failed, e.g. a LifespanError
        raise InitError(type(exc).__name__, str(exc), exc) from exc
    target = getattr(module, attr, None)
    if target is None:
        raise InitError(
            "Runtime.HandlerNotFound", f"Handler {attr!r} missing on module {module_name!r}"
        )
    if isinstance(target, Adapter):
        return target
    if not callable(target):
        raise InitError(
            "Runtime.HandlerNotFound",
            f"{name} is neither an Adapter nor an ASGI app: {type(target).__name__}",
        )
    try:
        return Adapter(target)
    except Exception as exc:
        raise InitError(type(exc).__name__, str(exc), exc) from exc


class Runtime:
    """Serve invocations for ``adapter`` from the Runtime API at ``address``."""

    def __init__(self, adapter: Adapter, address: str, *, concurrency: int = 1) -> None:
        self.adapter = adapter
        self.address = address
        self.concurrency = concurrency
        self.streaming = adapter.invoke_mode == "response_stream"
        # What the context reads from the environment does not change within a process.
        self._environ = dict(os.environ)
        self._workers: list[asyncio.Task[None]] = []

    async def serve(self) -> None:
        """Run the workers until ``stop()``; a worker that fails ends them all."""
        self._workers = [asyncio.ensure_future(self._work()) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*self._workers)
        except asyncio.CancelledError:
            pass
        finally:
            for worker in self._workers:
                worker.cancel()

    def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()

    async def _work(self) -> None:
        connection = Connection(self.address)
        try:
            while True:
                status, headers, body = await connection.request("GET", NEXT)
                if status != 200:
                    raise RuntimeAPIError(f"next answered {status}: {body[:200]!r}")
                await self.invoke(connection, headers, body)
        finally:
            connection.close()

    async def invoke(self, connection: Connection, headers: dict[str, str], body: bytes) -> None:
        """Handle one invocation and post its answer."""
        context = Context(headers, self._environ)
        path = INVOCATION + context.aws_request_id
        token = logs.trace_id.set(context.trace_id)
        request_token = logs.request_id.set(context.aws_request_id)
        if self.concurrency == 1:
            if context.trace_id:
                os.environ["_X_AMZN_TRACE_ID"] = context.trace_id
            else:
                os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            event = json.loads(body)
            if self.streaming and await stream_invocation(self.adapter, connection, event, context):
                return
            result = await self.adapter.handle(event, context)
            payload = json.dumps(result).encode("utf-8")
        except Exception as exc:
            logger.exception("invocation failed (aws_request_id=%s)", context.aws_request_id)
            document = error_document(exc)
            status, _, answer = await connection.request(
                "POST",
                path + "/error",
                {"Lambda-Runtime-Function-Error-Type": document["errorType"]},
                json.dumps(document).encode("utf-8"),
            )
        else:
            status, _, answer = await connection.request(
                "POST", path + "/response", {"Content-Type": "application/json"}, payload
            )
        finally:
            logs.trace_id.reset(token)
            logs.request_id.reset(request_token)
        if status != 202:
            request_id = context.aws_request_id
            logger.error("Lambda refused the answer to %s (%d): %.200r", request_id, status, answer)


def _concurrency() -> int:
    raw = os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY", "1")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InitError(
            "Runtime.InvalidConcurrency", f"AWS_LAMBDA_MAX_CONCURRENCY must be >= 1, got {raw!r}"
        )
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the runtime; the handler is ``argv[0]`` or ``$_HANDLER``. Returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        print("lambda_asgi.runtime: AWS_LAMBDA_RUNTIME_API is not set", file=sys.stderr)
        return 2
    configure_runtime_logging()
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    loop = event_loop()
    connection = Connection(address)
    extension.ensure_registered(address, native=True)  # before the app's Adapter would
    try:
        adapter = load_handler(args[0] if args else os.environ.get("_HANDLER", ""))
        concurrency = _concurrency()
    except InitError as exc:
        logger.error("init failed: %s: %s", exc.document["errorType"], exc)
        loop.run_until_complete(_init_error(connection, exc.document))
        return 1
    snap_start = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"
    if snap_start and not loop.run_until_complete(snapstart.checkpoint(connection)):
        return 1
    connection.close()
    if concurrency > 1:
        install_trace_environ()  # one process-wide _X_AMZN_TRACE_ID cannot serve them all
    runtime = Runtime(adapter, address, concurrency=concurrency)
    loop.add_signal_handler(signal.SIGTERM, runtime.stop)
    try:
        loop.run_until_complete(runtime.serve())
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
    adapter.shutdown()
    return 0


async def _init_error(connection: Connection, document: dict[str, Any]) -> None:
    headers = {"Lambda-Runtime-Function-Error-Type": document["errorType"]}
    await connection.request(
        "POST", "/2018-06-01/runtime/init/error", headers, json.dumps(document).encode("utf-8")
    )
