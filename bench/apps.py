"""The ASGI applications the benchmark drives, and the JSON each one answers per event.

A raw ASGI callable, where the adapter's own cost dominates, in three forms: answering at once,
after one ``await asyncio.sleep(0)``, and after a round trip over a pooled connection (what
any database or HTTP call does); a small Starlette app; and a FastAPI app whose routes await
the same kind of round trip through a "repository", as real services do.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Cookie, FastAPI, Query
from pydantic import BaseModel
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


class _Echo(asyncio.Protocol):
    """The far end of a repository connection: sends every byte straight back."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


class Repository:
    """A stand-in for a database client: one pooled connection per event loop, opened on
    first use, and each query a round trip through a socket pair to an echo peer on the same
    loop. The answer arrives the way a real one does: the loop's poll reports the socket
    readable, the transport feeds the stream, and the waiting request resumes."""

    def __init__(self) -> None:
        self._connections: dict[asyncio.AbstractEventLoop, _Connection] = {}

    async def fetch(self, key: str) -> str:
        loop = asyncio.get_running_loop()
        connection = self._connections.get(loop)
        if connection is None:
            connection = self._connections[loop] = await _Connection.open(loop)
        connection.writer.write(key.encode() + b"\n")
        return (await connection.reader.readline()).decode().rstrip("\n")

    def close(self) -> None:
        """Close every connection, each on its own (idle) loop."""
        for loop, connection in self._connections.items():
            if not loop.is_closed():
                loop.run_until_complete(connection.close())
        self._connections.clear()


@dataclass(frozen=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer: asyncio.BaseTransport

    @classmethod
    async def open(cls, loop: asyncio.AbstractEventLoop) -> _Connection:
        near, far = socket.socketpair()
        peer, _ = await loop.connect_accepted_socket(_Echo, sock=far)
        reader, writer = await asyncio.open_connection(sock=near)
        return cls(reader, writer, peer)

    async def close(self) -> None:
        self.writer.close()
        self.peer.close()
        await self.writer.wait_closed()
        await asyncio.sleep(0)  # the peer's transport finishes closing in the next iteration


REPOSITORY = Repository()


async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
    """A plain ASGI app: read the whole body, answer 200 with a small JSON document."""
    await _raw(scope, receive, send, None)


async def _yield(method: str) -> None:
    await asyncio.sleep(0)


async def raw_await_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The raw app, yielding to the loop once (``await asyncio.sleep(0)``) before answering."""
    await _raw(scope, receive, send, _yield)


async def raw_io_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The raw app, awaiting one repository round trip before answering."""
    await _raw(scope, receive, send, REPOSITORY.fetch)


async def _raw(
    scope: Scope, receive: Receive, send: Send, wait: Callable[[str], Awaitable[Any]] | None
) -> None:
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
    if wait is not None:
        await wait(scope["method"])
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


class _Item(BaseModel):
    id: int
    name: str
    price: float
    tags: list[str]


class _Items(BaseModel):
    items: list[_Item]


def fastapi_app() -> FastAPI:
    """A FastAPI app with one route per benchmark event, each awaiting the repository."""
    app = FastAPI(openapi_url=None)

    @app.get("/items/{item_id}")
    async def get_item(
        item_id: int,
        limit: int,
        tag: Annotated[list[str], Query()],
        session: Annotated[str | None, Cookie()] = None,
    ) -> dict[str, Any]:
        name = await REPOSITORY.fetch(f"item-{item_id}")
        return {"id": item_id, "name": name, "limit": limit, "tags": tag, "session": session}

    @app.post("/items")
    async def create_items(document: _Items) -> dict[str, Any]:
        stored = await REPOSITORY.fetch(str(len(document.items)))
        return {"items": int(stored)}

    return app


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


def _fastapi_answer(event: BenchEvent) -> dict[str, Any]:
    if event.scope["method"] == "GET":
        return {
            "id": ITEM_ID,
            "name": f"item-{ITEM_ID}",
            "limit": LIMIT,
            "tags": list(TAGS),
            "session": SESSION,
        }
    return {"items": event.items}


@dataclass(frozen=True)
class BenchApp:
    """An app under test and the JSON body it must answer to a given event."""

    name: str
    app: ASGIApp
    answer: Callable[[BenchEvent], dict[str, Any]]


def build_apps() -> list[BenchApp]:
    """The raw ASGI apps first (answering at once, after a yield, after I/O), then the
    Starlette app and the FastAPI app."""
    return [
        BenchApp("raw", raw_app, _raw_answer),
        BenchApp("raw+await", raw_await_app, _raw_answer),
        BenchApp("raw+io", raw_io_app, _raw_answer),
        BenchApp("starlette", starlette_app(), _starlette_answer),
        BenchApp("fastapi+io", fastapi_app(), _fastapi_answer),
    ]
