"""The ASGI app the runtime tests serve from a real runtime subprocess (ours or awslambdaric).

Its paths exercise what a runtime must carry: ``/echo`` answers with what it received
(identical under every runtime), ``/sse`` streams events and waits for the test between the
first and the rest, ``/big`` streams ``mb`` megabytes, ``/boom`` fails after its first bytes,
``/early`` before any, ``/context`` reports the Lambda context and trace id, ``/together``
waits until ``n`` invocations are in flight at once, ``/restored`` tells which SnapStart
hooks ran. Lifespan startup can be made to fail (``RUNTIME_APP_FAIL_STARTUP``), and the
before-snapshot hooks (``RUNTIME_APP_FAIL_SNAPSHOT``); shutdown
writes ``RUNTIME_APP_SHUTDOWN_FILE`` (its ``{pid}`` replaced by the process id).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from lambda_asgi import Adapter
from lambda_asgi._types import Message, Receive, Scope, Send
from lambda_asgi.runtime import trace_id

hooks: list[str] = []
in_flight = 0
CHUNK = b"x" * 65536

# snapshot-restore-py (installed with awslambdaric) ships no type information.
snapshot = importlib.import_module("snapshot_restore_py")
snapshot.register_before_snapshot(hooks.append, "before_snapshot")
snapshot.register_after_restore(hooks.append, "after_restore")
if os.environ.get("RUNTIME_APP_FAIL_SNAPSHOT"):
    snapshot.register_before_snapshot(os.path.join)  # TypeError: no arguments


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if os.environ.get("RUNTIME_APP_FAIL_STARTUP"):
                await send({"type": "lifespan.startup.failed", "message": "no database"})
                return
            await send({"type": "lifespan.startup.complete"})
        else:
            target = os.environ.get("RUNTIME_APP_SHUTDOWN_FILE")
            if target:  # "{pid}" in it tells the worker processes of awslambdaric apart
                Path(target.format(pid=os.getpid())).write_text("lifespan shutdown ran")
            await send({"type": "lifespan.shutdown.complete"})
            return


async def answer(send: Send, document: Any, status: int = 200) -> None:
    body = json.dumps(document, sort_keys=True).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"set-cookie", b"session=abc; Path=/"),
                (b"set-cookie", b"theme=dark"),
                (b"x-repeated", b"one"),
                (b"x-repeated", b"two"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def start(send: Send, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"set-cookie", b"stream=1")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})


def part(body: bytes) -> Message:
    return {"type": "http.response.body", "body": body, "more_body": True}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    global in_flight
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    request = await receive()
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    path = scope["path"][len(scope["root_path"]) :]
    if path == "/sse":
        await start(send, b"text/event-stream")
        await send(part(b"data: first\n\n"))
        gate = Path(query["gate"])
        for _ in range(1000):  # the test opens the gate once the first event reached it
            if gate.exists():
                break
            await asyncio.sleep(0.01)
        for number in range(2, 4):
            await send(part(b"data: %d\n\n" % number))
        await send({"type": "http.response.body", "body": b""})
    elif path == "/big":
        await start(send, b"application/octet-stream")
        for _ in range(int(query["mb"]) * 16):
            await send(part(CHUNK))
        await send({"type": "http.response.body", "body": b""})
    elif path == "/boom":
        await start(send, b"text/plain")
        await send(part(b"partial"))
        raise ValueError("failed after the first bytes")
    elif path == "/context":
        context = scope["aws.context"]
        await answer(
            send,
            {
                "request_id": context.aws_request_id,
                "arn": context.invoked_function_arn,
                "function_name": context.function_name,
                "remaining_positive": context.get_remaining_time_in_millis() > 0,
                "trace_id": trace_id.get(),
                "env_trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
                "identity": getattr(context.identity, "cognito_identity_id", None),
                "client_custom": getattr(context.client_context, "custom", None),
            },
        )
    elif path == "/together":
        in_flight += 1
        try:
            for _ in range(500):
                if in_flight >= int(query["n"]):
                    break
                await asyncio.sleep(0.01)
            together = in_flight >= int(query["n"])
            await asyncio.sleep(0.05)  # let the others see the count too
        finally:
            in_flight -= 1
        request_id = scope["aws.context"].aws_request_id
        await answer(
            send,
            {
                "together": together,
                "trace": trace_id.get(),
                "env_trace": os.environ.get("_X_AMZN_TRACE_ID"),
                "lambda_trace": scope["extensions"]["aws.lambda"]["trace_id"],
                "id": request_id,
            },
        )
    elif path == "/early":
        raise ValueError("failed before responding")
    elif path == "/restored":
        await answer(send, {"hooks": hooks})
    else:
        await answer(
            send,
            {
                "method": scope["method"],
                "path": path,
                "root_path": scope["root_path"],
                "query": scope["query_string"].decode(),
                "body": request["body"].decode(),
                "cookie": dict(scope["headers"]).get(b"cookie", b"").decode(),
                "state": sorted(scope["state"]),
            },
        )


handler = Adapter(app, lifespan="on")
