"""The Starlette example: the contract in examples/README.md, served on Lambda by lambda_asgi.

Point Lambda at ``examples.starlette_app.handler``. The lifespan opens the store once per
execution environment (Lambda's init phase) and hands it to every request in
``request.state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from lambda_asgi import Adapter

from .store import (
    CONTENT_DISPOSITION,
    PIXEL_PNG,
    Item,
    Store,
    not_found,
    parse_item,
    stream_chunks,
    upload_summary,
)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    store = Store.open()
    yield {"store": store}
    store.close()


def _store(request: Request) -> Store:
    store: Store = request.state.store
    return store


async def _item_or_422(request: Request) -> Item | Response:
    """The request's item, or the 422 answer; invalid JSON is a ValueError too."""
    try:
        return parse_item(await request.json())
    except ValueError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)


async def items(request: Request) -> Response:
    if request.method == "GET":
        return JSONResponse(_store(request).list(request.query_params.getlist("tag")))
    item = await _item_or_422(request)
    if isinstance(item, Response):
        return item
    item_id = _store(request).add(item)
    location = str(request.url_for("item", item_id=item_id))
    response = JSONResponse(item.to_json(item_id), status_code=201, headers={"Location": location})
    response.set_cookie("last_created", str(item_id))
    return response


async def item(request: Request) -> Response:
    store, item_id = _store(request), request.path_params["item_id"]
    if request.method == "PUT":
        new = await _item_or_422(request)
        if isinstance(new, Response):
            return new
        if store.replace(item_id, new):
            return JSONResponse(new.to_json(item_id))
    elif request.method == "DELETE":
        if store.delete(item_id):
            return Response(status_code=204)
    elif (found := store.get(item_id)) is not None:
        url = str(request.url_for("item", item_id=item_id))
        return JSONResponse({**found.to_json(item_id), "url": url})
    return JSONResponse(not_found(item_id), status_code=404)


async def upload(request: Request) -> Response:
    async with request.form() as form:
        file, note = form["file"], form["note"]
        assert isinstance(file, UploadFile) and isinstance(note, str)
        data = await file.read()
        return JSONResponse(upload_summary(file.filename, file.content_type, data, note))


async def set_cookies(request: Request) -> Response:
    response = JSONResponse({"set": ["session", "theme"]})
    response.set_cookie("session", "abc123", httponly=True, secure=True)
    response.set_cookie("theme", "dark")
    return response


def echo_cookies(request: Request) -> Response:
    # A plain def: Starlette runs it on a worker thread.
    return JSONResponse({"cookies": request.cookies})


async def old(request: Request) -> Response:
    return RedirectResponse(str(request.url_for("items")), status_code=307)


async def download(request: Request) -> Response:
    headers = {"Content-Disposition": CONTENT_DISPOSITION}
    return Response(PIXEL_PNG, media_type="image/png", headers=headers)


async def stream(request: Request) -> Response:
    return StreamingResponse(stream_chunks(), media_type="text/plain")


app = Starlette(
    routes=[
        Route("/items", items, methods=["GET", "POST"], name="items"),
        Route("/items/{item_id:int}", item, methods=["GET", "PUT", "DELETE"], name="item"),
        Route("/upload", upload, methods=["POST"]),
        Route("/cookies/set", set_cookies),
        Route("/cookies", echo_cookies),
        Route("/old", old),
        Route("/download", download),
        Route("/stream", stream),
    ],
    lifespan=lifespan,
)

handler = Adapter(app)
