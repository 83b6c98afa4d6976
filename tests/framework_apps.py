"""The same realistic app twice, in Starlette and in FastAPI, for tests/test_frameworks.py.

Both apps answer identically on every shared route, so the tests hold one expectation per
feature. The lifespan puts a hit counter, an event log and a job list in the state; each
request reads them, background tasks append to the job list.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import BackgroundTasks, FastAPI, Form, Request, UploadFile
from fastapi import Response as FastAPIResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.requests import Request as StarletteRequest
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
STREAM_CHUNKS = [f"chunk {i}\n".encode() for i in range(5)]
SSE_EVENTS = [f'id: {i}\nevent: tick\ndata: {{"n": {i}}}\n\n'.encode() for i in range(4)]


class Hits:
    """Shared by every request through the (shallow-copied) lifespan state."""

    def __init__(self) -> None:
        self.count = 0


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
    events = ["startup"]
    yield {"hits": Hits(), "events": events, "jobs": []}
    events.append("shutdown")


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(0.001)
        yield part


async def _record_job(jobs: list[str], name: str) -> None:
    await asyncio.sleep(0.001)
    jobs.append(name)


def _item_payload(request: StarletteRequest, item_id: int) -> dict[str, Any]:
    return {
        "id": item_id,
        "url": str(request.url_for("get_item", item_id=item_id)),
        "request_url": str(request.url),
        "root_path": request.scope["root_path"],
    }


def _query_payload(request: StarletteRequest) -> dict[str, Any]:
    return {
        "tag": request.query_params.getlist("tag"),
        "q": request.query_params.get("q"),
        "raw": request.scope["query_string"].decode(),
    }


def _upload_payload(
    data: bytes, filename: str | None, content_type: str | None, note: Any
) -> dict[str, Any]:
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "filename": filename,
        "content_type": content_type,
        "note": note,
    }


def _with_cookies(response: Response) -> Response:
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    return response


def _hit(request: StarletteRequest) -> dict[str, Any]:
    hits: Hits = request.state.hits
    hits.count += 1
    return {"hits": hits.count, "events": request.state.events}


# -- Starlette ---------------------------------------------------------------------------


def starlette_app() -> ASGIApp:
    async def hello(request: StarletteRequest) -> Response:
        return PlainTextResponse("hello, world", headers={"X-Demo": "yes"})

    async def get_item(request: StarletteRequest) -> Response:
        return JSONResponse(_item_payload(request, request.path_params["item_id"]))

    async def create_item(request: StarletteRequest) -> Response:
        return JSONResponse({"created": await request.json()}, status_code=201)

    async def echo_path(request: StarletteRequest) -> Response:
        return JSONResponse({"name": request.path_params["name"], "path": request.url.path})

    async def echo_query(request: StarletteRequest) -> Response:
        return JSONResponse(_query_payload(request))

    async def upload(request: StarletteRequest) -> Response:
        async with request.form() as form:
            blob = form["blob"]
            assert isinstance(blob, StarletteUploadFile)
            data = await blob.read()
            payload = _upload_payload(data, blob.filename, blob.content_type, form["note"])
        return JSONResponse(payload)

    async def cookies(request: StarletteRequest) -> Response:
        return _with_cookies(JSONResponse({"cookies": request.cookies}))

    async def redirect(request: StarletteRequest) -> Response:
        return RedirectResponse(str(request.url_for("get_item", item_id=1)), status_code=307)

    async def logo(request: StarletteRequest) -> Response:
        return Response(PNG, media_type="image/png")

    async def stream(request: StarletteRequest) -> Response:
        return StreamingResponse(_chunks(STREAM_CHUNKS), media_type="text/plain")

    async def events(request: StarletteRequest) -> Response:
        return StreamingResponse(_chunks(SSE_EVENTS), media_type="text/event-stream")

    async def jobs(request: StarletteRequest) -> Response:
        name = request.query_params["name"]
        task = BackgroundTask(_record_job, request.state.jobs, name)
        return JSONResponse({"queued": name}, status_code=202, background=task)

    async def state(request: StarletteRequest) -> Response:
        return JSONResponse(_hit(request))

    routes = [
        Route("/hello", hello),
        Route("/items/{item_id:int}", get_item, name="get_item"),
        Route("/items", create_item, methods=["POST"]),
        Route("/paths/{name}", echo_path),
        Route("/query", echo_query),
        Route("/upload", upload, methods=["POST"]),
        Route("/cookies", cookies),
        Route("/redirect", redirect),
        Route("/logo.png", logo),
        Route("/stream", stream),
        Route("/events", events),
        Route("/jobs", jobs, methods=["POST"]),
        Route("/state", state),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


# -- FastAPI -----------------------------------------------------------------------------


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


def fastapi_app() -> ASGIApp:
    app = FastAPI(title="framework tests", lifespan=lifespan)

    @app.api_route("/hello", methods=["GET", "HEAD"], include_in_schema=False)
    async def hello() -> PlainTextResponse:
        return PlainTextResponse("hello, world", headers={"X-Demo": "yes"})

    @app.get("/items/{item_id}", name="get_item")
    async def get_item(request: Request, item_id: int) -> dict[str, Any]:
        return _item_payload(request, item_id)

    @app.post("/items", status_code=201)
    async def create_item(item: Item) -> dict[str, Any]:
        return {"created": item.model_dump()}

    @app.get("/paths/{name}")
    async def echo_path(request: Request, name: str) -> dict[str, Any]:
        return {"name": name, "path": request.url.path}

    @app.get("/query")
    async def echo_query(request: Request) -> dict[str, Any]:
        return _query_payload(request)

    @app.post("/upload")
    async def upload(blob: UploadFile, note: Annotated[str, Form()]) -> dict[str, Any]:
        return _upload_payload(await blob.read(), blob.filename, blob.content_type, note)

    @app.get("/cookies")
    async def cookies(request: Request, response: FastAPIResponse) -> dict[str, Any]:
        _with_cookies(response)
        return {"cookies": request.cookies}

    @app.get("/redirect")
    async def redirect(request: Request) -> RedirectResponse:
        return RedirectResponse(str(request.url_for("get_item", item_id=1)), status_code=307)

    @app.get("/logo.png")
    async def logo() -> Response:
        return Response(PNG, media_type="image/png")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(_chunks(STREAM_CHUNKS), media_type="text/plain")

    @app.get("/events")
    async def events() -> StreamingResponse:
        return StreamingResponse(_chunks(SSE_EVENTS), media_type="text/event-stream")

    @app.post("/jobs", status_code=202)
    async def jobs(request: Request, name: str, tasks: BackgroundTasks) -> dict[str, Any]:
        tasks.add_task(_record_job, request.state.jobs, name)
        return {"queued": name}

    @app.get("/state")
    async def state(request: Request) -> dict[str, Any]:
        return _hit(request)

    return app


APPS: dict[str, Callable[[], ASGIApp]] = {"starlette": starlette_app, "fastapi": fastapi_app}
