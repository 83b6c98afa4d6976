"""The ASGI applications the benchmark drives, and the JSON each one answers per event.

Two shapes on purpose: a raw ASGI callable, where the adapter's own cost dominates, and a
small Starlette app, where routing and request parsing make it a realistic minority.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .events import ITEM_ID, LIMIT, SESSION, TAGS, BenchEvent

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
    """A plain ASGI app: read the whole body, answer 200 with a small JSON document."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    more_body = True
    while more_body:
        message = await receive()
        body += message.get("body", b"")
        more_body = message.get("more_body", False)
    payload = json.dumps(
        {
            "method": scope["method"],
            "query": scope["query_string"].decode("latin-1"),
            "received": len(body),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _get_item(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "id": request.path_params["item_id"],
            "limit": int(request.query_params["limit"]),
            "tags": request.query_params.getlist("tag"),
            "session": request.cookies.get("session"),
        }
    )


async def _create_item(request: Request) -> JSONResponse:
    body = await request.body()
    document = json.loads(body)
    return JSONResponse({"items": len(document["items"]), "bytes": len(body)})


def starlette_app() -> Starlette:
    """A Starlette app with one route per benchmark event."""
    return Starlette(
        routes=[
            Route("/items/{item_id:int}", _get_item, methods=["GET"]),
            Route("/items", _create_item, methods=["POST"]),
        ]
    )


def _raw_answer(event: BenchEvent) -> dict[str, Any]:
    return {
        "method": event.scope["method"],
        "query": event.scope["query_string"].decode(),
        "received": len(event.body),
    }


def _starlette_answer(event: BenchEvent) -> dict[str, Any]:
    if event.scope["method"] == "GET":
        return {"id": ITEM_ID, "limit": LIMIT, "tags": list(TAGS), "session": SESSION}
    return {"items": event.items, "bytes": len(event.body)}


@dataclass(frozen=True)
class BenchApp:
    """An app under test and the JSON body it must answer to a given event."""

    name: str
    app: ASGIApp
    answer: Callable[[BenchEvent], dict[str, Any]]


def build_apps() -> list[BenchApp]:
    """The raw ASGI app first, then the Starlette app."""
    return [
        BenchApp("raw", raw_app, _raw_answer),
        BenchApp("starlette", starlette_app(), _starlette_answer),
    ]
