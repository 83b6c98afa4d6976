"""The handler the runtime benchmark serves: the raw benchmark app behind a default Adapter,
plus ``/stream``, which sends ``chunks`` body chunks ``gap_ms`` apart (time to first byte)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from lambda_asgi import Adapter

from .apps import Receive, Scope, Send, raw_app


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http" or scope["path"] != "/stream":
        await raw_app(scope, receive, send)
        return
    query = {k: int(v[0]) for k, v in parse_qs(scope["query_string"].decode()).items()}
    await receive()
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for number in range(query["chunks"]):
        if number:
            await asyncio.sleep(query["gap_ms"] / 1000)
        event = {"type": "http.response.body", "body": b"data: %d\n\n" % number}
        await send({**event, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


handler = Adapter(app)
