"""A local AWS Lambda Runtime API, for testing runtimes and handlers without AWS.

AWS's own Runtime Interface Emulator is a Go binary that PyPI does not carry and that cannot
stream; this one is standard library only, runs in a thread of the test process, and speaks
the parts of the Runtime and Extensions APIs a Python runtime uses::

    from lambda_asgi.emulator import RuntimeEmulator

    with RuntimeEmulator() as emulator:            # listens on 127.0.0.1, a free port
        env = {**os.environ, **emulator.environ("app.handler")}
        runtime = subprocess.Popen([sys.executable, "-m", "lambda_asgi.runtime"], env=env)
        result = emulator.invoke(event, timeout=10.0)  # queue one event, wait for the answer
        result.status       # "success" | "error"
        result.payload      # the buffered response bytes, or the streamed body (after the prelude)
        result.json()       # the payload (or the error document) parsed
        result.error        # {"errorMessage", "errorType", "stackTrace"} from /error or trailers
        result.streamed, result.prelude, result.chunks  # streaming: prelude dict, timed chunks
        emulator.shutdown(runtime)  # SIGTERM first if an extension registered, as Lambda does

``emulator.address`` is the value for ``AWS_LAMBDA_RUNTIME_API``. ``submit(event)`` queues an
invocation without waiting; its ``wait_for_chunks(n)`` returns as soon as ``n`` streamed
chunks arrived, so a test can react to the first server-sent event while the app still runs.
``init_error`` holds the document posted to ``/runtime/init/error`` (see
``wait_for_init_error``); ``extensions`` lists the registered extensions; ``calls`` records
every request as ``"GET /runtime/invocation/next"`` and so on, in arrival order.

Served: ``invocation/next`` (any number of concurrent callers), ``invocation/{id}/response``
buffered (``max_response_bytes``, 6 MiB, answered 413 beyond) and streaming (chunked, with the
error trailers, ``max_stream_bytes``, 200 MiB), ``invocation/{id}/error``, ``init/error``,
``restore/next`` and ``restore/error``, and the Extensions API's ``register`` and
``event/next``. As on Lambda, invocations are handed out only once every registered
extension waits in ``event/next``, registration closes when the runtime first asks for an
invocation, and an extension name registers once per execution environment (a second
``register`` is answered 403, as a second worker process of Lambda Managed Instances sees).

The package is two modules with a one-way dependency: ``_http`` serves the HTTP side and
knows the state only through the ``Backend`` protocol; ``_core`` holds the state and starts
the server.
"""

from __future__ import annotations

from ._core import EmulatorError, Invocation, Result, RuntimeEmulator, ShutdownResult
from ._http import PRELUDE_DELIMITER, STREAM_CONTENT_TYPE, Chunk

__all__ = [
    "PRELUDE_DELIMITER",
    "STREAM_CONTENT_TYPE",
    "Chunk",
    "EmulatorError",
    "Invocation",
    "Result",
    "RuntimeEmulator",
    "ShutdownResult",
]
