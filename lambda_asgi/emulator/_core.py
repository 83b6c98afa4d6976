"""The emulator's state: queued and active invocations, registered extensions, and what the
test sees of them. :class:`RuntimeEmulator` is the :class:`~._http.Backend` the HTTP side serves.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from ..exceptions import LambdaAsgiError
from ._http import (
    STREAM_CONTENT_TYPE,
    Chunk,
    Delivery,
    Refusal,
    Server,
    error_document,
    parse_error_body,
    split_prelude,
)

_ACCOUNT = "123456789012"
_KILL_WAIT = 10.0  # seconds to wait for SIGKILLed workers to be gone
_POLL = 0.05  # seconds between checks: a closed emulator, a process group gone


class EmulatorError(LambdaAsgiError):
    """Raised when the emulator cannot produce what a test asked for: no answer in time, or a
    runtime that failed its init."""


class Result:
    """The outcome of one invocation, as the caller of ``Invoke`` would see it."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.status = "success"
        self.payload = b""
        self.error: dict[str, Any] | None = None
        self.error_type: str | None = None  # the Lambda-Runtime-Function-Error-Type header
        self.content_type: str | None = None
        self.streamed = False
        self.prelude: dict[str, Any] | None = None
        self.chunks: list[Chunk] = []
        self.delivered_at: float | None = None  # when the runtime got it from /next
        self.finished_at: float | None = None

    def json(self) -> Any:
        """The payload parsed as JSON, or the error document for a failed invocation."""
        if self.status == "error" and self.error is not None:
            return self.error
        return json.loads(self.payload)

    def __repr__(self) -> str:
        return f"<Result {self.request_id} {self.status} {self.payload[:40]!r}>"


class Invocation:
    """An invocation queued with ``submit``; ``result()`` waits for its answer."""

    def __init__(self, emulator: RuntimeEmulator, payload: bytes, headers: dict[str, str]) -> None:
        self.request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        self.payload = payload
        self.headers = headers
        self.outcome = Result(self.request_id)
        self.done = False
        self._emulator = emulator

    def wait_for_chunks(self, count: int = 1, timeout: float = 10.0) -> list[Chunk]:
        """The streamed chunks once at least ``count`` arrived (or the invocation ended)."""
        self._emulator._wait(lambda: self.done or len(self.outcome.chunks) >= count, timeout)
        return list(self.outcome.chunks)

    def result(self, timeout: float = 10.0) -> Result:
        """Wait for the runtime's answer; raise EmulatorError if none comes in time."""
        if not self._emulator._wait(lambda: self.done, timeout):
            raise EmulatorError(f"invocation {self.request_id} got no answer within {timeout} s")
        return self.outcome


class ShutdownResult(NamedTuple):
    """How the runtime process ended: was it sent SIGTERM, did it (and, signalled as a
    group, every process of its group) exit within the grace period, and its return code."""

    sigterm: bool
    graceful: bool
    returncode: int


class _Process(Protocol):
    pid: int

    def send_signal(self, sig: int) -> None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def kill(self) -> None: ...


class RuntimeEmulator:
    """The Runtime API on ``127.0.0.1``; use as a context manager (or call ``close()``)."""

    def __init__(
        self,
        *,
        function_name: str = "function",
        function_timeout: float = 30.0,
        max_response_bytes: int = 6 * 1024 * 1024,
        max_stream_bytes: int = 200 * 1024 * 1024,
        initialization_type: str = "on-demand",
        region: str = "us-east-1",
        port: int = 0,
    ) -> None:
        self.function_name = function_name
        self.function_timeout = function_timeout
        self.max_response_bytes = max_response_bytes
        self.max_stream_bytes = max_stream_bytes
        self.initialization_type = initialization_type
        self.region = region
        self.function_arn = f"arn:aws:lambda:{region}:{_ACCOUNT}:function:{function_name}"
        self.init_error: dict[str, Any] | None = None
        self.restore_error: dict[str, Any] | None = None
        self.extensions: list[dict[str, Any]] = []
        self.calls: list[str] = []
        # One lock, three conditions, so each change wakes only the threads it concerns:
        # the test waiting for results, the runtime's next calls, the extensions' event/next.
        lock = threading.RLock()
        self._cond = threading.Condition(lock)
        self._work = threading.Condition(lock)
        self._events = threading.Condition(lock)
        self._call_waiters = 0
        self._queue: list[Invocation] = []
        self._active: dict[str, Invocation] = {}
        self._waiting_extensions: set[str] = set()
        self._initialized = False  # the runtime asked for its first invocation
        self._shutting_down = False
        self._closed = False
        self.handler = ""
        self._server = Server(("127.0.0.1", port), self)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(_POLL,), name="runtime-emulator", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> RuntimeEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving; requests still blocked in ``next`` are dropped."""
        with self._cond:
            self._closed = True
            for condition in (self._cond, self._work, self._events):
                condition.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def environ(self, handler: str, *, task_root: str | None = None) -> dict[str, str]:
        """The environment Lambda gives a runtime process (merge it into ``os.environ``)."""
        self.handler = handler
        env = {
            "AWS_LAMBDA_RUNTIME_API": self.address,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
            "_HANDLER": handler,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_INITIALIZATION_TYPE": self.initialization_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        if task_root is not None:
            env["LAMBDA_TASK_ROOT"] = task_root
        return env

    # -- the test's side ---------------------------------------------------------------

    def submit(
        self,
        event: Any,
        *,
        request_id: str | None = None,
        trace_id: str | None = None,
        client_context: dict[str, Any] | None = None,
        identity: dict[str, Any] | None = None,
    ) -> Invocation:
        """Queue one event (any JSON value, or raw ``bytes``) for the runtime's next ``next``."""
        payload = event if isinstance(event, bytes) else json.dumps(event).encode("utf-8")
        headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id or str(uuid.uuid4()),
            "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
            "Lambda-Runtime-Trace-Id": trace_id or _trace_id(),
        }
        if client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = json.dumps(client_context)
        if identity is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(identity)
        invocation = Invocation(self, payload, headers)
        with self._cond:
            self._queue.append(invocation)
            self._active[invocation.request_id] = invocation
            if self.init_error is not None:
                self._finish(invocation, "error", error=self.init_error)
            self._work.notify_all()
        return invocation

    def invoke(self, event: Any, timeout: float = 10.0, **options: Any) -> Result:
        """Queue one event and wait for the runtime's answer (``submit(...).result()``)."""
        return self.submit(event, **options).result(timeout)

    def wait_for_init_error(self, timeout: float = 10.0) -> dict[str, Any]:
        """The document the runtime posts to ``/runtime/init/error``, once it arrives."""
        if not self._wait(lambda: self.init_error is not None, timeout):
            raise EmulatorError(f"no init error was reported within {timeout} s")
        assert self.init_error is not None
        return self.init_error

    def wait_for_call(self, call: str, timeout: float = 10.0) -> None:
        """Wait until the runtime made ``call`` (e.g. ``"GET /runtime/invocation/next"``)."""
        with self._cond:
            self._call_waiters += 1
            try:
                made = self._cond.wait_for(lambda: call in self.calls, timeout)
            finally:
                self._call_waiters -= 1
        if not made:
            raise EmulatorError(f"the runtime did not call {call} within {timeout} s")

    def shutdown(self, process: _Process, grace: float = 0.5) -> ShutdownResult:
        """End the runtime process as Lambda does: when an extension registered, send SIGTERM
        and SHUTDOWN events and allow ``grace`` seconds; then SIGKILL.

        A process that leads its own process group (started with ``start_new_session=True``)
        is signalled as a group, as Lambda signals the runtime's: every worker process
        awslambdaric forks gets the SIGTERM, and the grace period lasts until they all exit.
        """
        with self._cond:
            self._shutting_down = True
            sigterm = bool(self.extensions)
            self._events.notify_all()
        group = _own_group(process.pid)
        deadline = time.monotonic() + grace
        if sigterm:
            _signal(process.pid, group, signal.SIGTERM)
            try:
                returncode = process.wait(grace)
            except Exception:  # subprocess.TimeoutExpired, without importing subprocess
                pass
            else:
                if group is None or _wait_for_group(group, deadline):
                    return ShutdownResult(True, True, returncode)
        _signal(process.pid, group, signal.SIGKILL)
        returncode = process.wait()
        if group is not None:  # SIGKILL cannot be refused, but it takes a moment to land
            _wait_for_group(group, time.monotonic() + _KILL_WAIT)
        return ShutdownResult(sigterm, False, returncode)

    def _wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def _finish(self, invocation: Invocation, status: str, **fields: Any) -> None:
        """Record an invocation's outcome; the caller holds the lock."""
        outcome = invocation.outcome
        outcome.status = status
        for name, value in fields.items():
            setattr(outcome, name, value)
        outcome.finished_at = time.monotonic()
        invocation.done = True
        self._active.pop(invocation.request_id, None)
        if invocation in self._queue:
            self._queue.remove(invocation)
        self._cond.notify_all()

    # -- the runtime's side: the Backend the HTTP server calls, from its threads -------

    def record_call(self, call: str) -> None:
        with self._cond:
            self.calls.append(call)
            if call == "GET /runtime/invocation/next":
                self._initialized = True
            if self._call_waiters:
                self._cond.notify_all()

    def next_invocation(self) -> Delivery | None:
        def ready() -> bool:
            extensions_ready = len(self._waiting_extensions) == len(self.extensions)
            return self._closed or (bool(self._queue) and extensions_ready)

        with self._work:
            self._work.wait_for(ready)
            if self._closed:
                return None
            invocation = self._queue.pop(0)
            deadline = int((time.time() + self.function_timeout) * 1000)
            invocation.headers["Lambda-Runtime-Deadline-Ms"] = str(deadline)
            invocation.outcome.delivered_at = time.monotonic()
            for extension in self.extensions:
                if "INVOKE" in extension["events"]:
                    extension["inbox"].append(
                        {
                            "eventType": "INVOKE",
                            "deadlineMs": deadline,
                            "requestId": invocation.request_id,
                            "invokedFunctionArn": self.function_arn,
                            "tracing": {
                                "type": "X-Amzn-Trace-Id",
                                "value": invocation.headers["Lambda-Runtime-Trace-Id"],
                            },
                        }
                    )
                    self._events.notify_all()
            return Delivery(invocation.payload, invocation.headers)

    def is_delivered(self, request_id: str) -> bool:
        with self._cond:
            invocation = self._active.get(request_id)
            return invocation is not None and invocation.outcome.delivered_at is not None

    def complete(self, request_id: str, status: str, **fields: Any) -> None:
        with self._cond:
            invocation = self._active.get(request_id)
            if invocation is not None:
                self._finish(invocation, status, **fields)

    def stream_started(self, request_id: str, content_type: str | None) -> None:
        with self._cond:
            outcome = self._active[request_id].outcome
            outcome.streamed = True
            outcome.content_type = content_type

    def stream_chunk(self, request_id: str, data: bytes) -> None:
        with self._cond:
            self._active[request_id].outcome.chunks.append(Chunk(time.monotonic(), data))
            self._cond.notify_all()

    def stream_ended(
        self, request_id: str, size: int, error_type: str | None, error_body: str | None
    ) -> dict[str, Any] | None:
        with self._cond:
            invocation = self._active[request_id]
        outcome = invocation.outcome
        body = b"".join(chunk.data for chunk in outcome.chunks)
        prelude = None
        if outcome.content_type == STREAM_CONTENT_TYPE:
            prelude, body = split_prelude(body)
        fields: dict[str, Any] = {"payload": body, "prelude": prelude}
        status, refusal = "success", None
        if size > self.max_stream_bytes:
            status = "error"
            refusal = fields["error"] = error_document(
                "Response payload size exceeded maximum allowed payload size "
                f"({self.max_stream_bytes} bytes).",
                "Function.ResponseSizeTooLarge",
            )
        elif error_type:
            status = "error"
            fields["error"] = parse_error_body(error_body, error_type)
            fields["error_type"] = error_type
        with self._cond:
            self._finish(invocation, status, **fields)
        return refusal

    def init_failed(self, document: dict[str, Any]) -> None:
        with self._cond:
            self.init_error = document
            for invocation in list(self._active.values()):
                self._finish(invocation, "error", error=document)
            self._cond.notify_all()

    def restore_failed(self, document: dict[str, Any]) -> None:
        with self._cond:
            self.restore_error = document

    def register_extension(self, name: str, events: list[str]) -> str | Refusal:
        """As Lambda's Extensions API: during init only, and one extension per name in the
        execution environment (the answers to a second worker of Lambda Managed Instances
        that registers what the first already did)."""
        with self._cond:
            if self._initialized:
                return Refusal(
                    403, "Extension registration closed already", "Extension.RegistrationClosed"
                )
            if any(extension["name"] == name for extension in self.extensions):
                return Refusal(
                    403,
                    "Extension with this name already registered",
                    "Extension.InvalidExtensionState",
                )
            identifier = str(uuid.uuid4())
            self.extensions.append({"name": name, "id": identifier, "events": events, "inbox": []})
            self._work.notify_all()
        return identifier

    def extension_metadata(self) -> dict[str, Any]:
        return {
            "functionName": self.function_name,
            "functionVersion": "$LATEST",
            "handler": self.handler,
        }

    def next_extension_event(self, identifier: str) -> dict[str, Any] | None:
        extension = next((e for e in self.extensions if e["id"] == identifier), None)
        if extension is None:
            return None
        inbox: list[dict[str, Any]] = extension["inbox"]

        def ready() -> bool:
            shutdown = self._shutting_down and "SHUTDOWN" in extension["events"]
            return self._closed or bool(inbox) or shutdown

        with self._events:
            self._waiting_extensions.add(identifier)
            self._work.notify_all()
            self._events.wait_for(ready)
            self._waiting_extensions.discard(identifier)
            if inbox:
                return inbox.pop(0)
            if self._closed:
                return {}
            return {
                "eventType": "SHUTDOWN",
                "shutdownReason": "spindown",
                "deadlineMs": int((time.time() + 2) * 1000),
            }


def _own_group(pid: int) -> int | None:
    """The process group ``pid`` leads, or None when it shares its parent's (the test's)."""
    try:
        return pid if os.getpgid(pid) == pid else None
    except ProcessLookupError:
        return None


def _signal(pid: int, group: int | None, sig: int) -> None:
    try:
        if group is None:
            os.kill(pid, sig)
        else:
            os.killpg(group, sig)
    except ProcessLookupError:
        pass  # already gone


def _wait_for_group(group: int, deadline: float) -> bool:
    """Wait until no live process is left in ``group``, or ``deadline``; whether none is."""
    while _group_alive(group):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)
    return True


def _group_alive(group: int) -> bool:
    """Whether a process of ``group`` still runs. Zombies do not count: orphaned workers are
    not always reaped (a container's init may not), and they have ended all the same."""
    try:
        entries = os.listdir("/proc")
    except OSError:  # pragma: no cover - Linux has /proc; elsewhere ask the kernel
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # pragma: no cover - a process that ended since listdir()
            continue
        # Fields after the parenthesized command: state, ppid, pgrp, ...
        state, _, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state != "Z":
            return True
    return False


def _trace_id() -> str:
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=0;Lineage=1:{_ACCOUNT[:8]}:0"
