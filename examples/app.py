"""The FastAPI example: the contract in examples/README.md, served on Lambda by lambda_asgi.

``handler`` is what a SAM template or the Lambda console points at: ``examples.app.handler``.
The store is opened by the lifespan, which lambda_asgi runs once per execution environment in
Lambda's init phase, and reaches every request through ``request.state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

from lambda_asgi import Adapter

from .store import CONTENT_DISPOSITION, PIXEL_PNG, Item, Store, stream_chunks, upload_summary


class ItemIn(BaseModel):
    name: Annotated[str, Field(min_length=1)]
    price: Annotated[float, Field(strict=True)]  # true is no price
    tags: list[str] = []

    def to_item(self) -> Item:
        return Item(name=self.name, price=self.price, tags=self.tags)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    store = Store.open()
    yield {"store": store}
    store.close()


app = FastAPI(title="lambda_asgi example", lifespan=lifespan)


def _store(request: Request) -> Store:
    store: Store = request.state.store
    return store


def _missing(item_id: int) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no item {item_id}")


@app.get("/items", name="list_items")
async def list_items(
    request: Request, tag: Annotated[list[str] | None, Query()] = None
) -> list[dict[str, Any]]:
    return _store(request).list(tag or ())


@app.post("/items", status_code=201)
async def create_item(request: Request, item: ItemIn, response: Response) -> dict[str, Any]:
    item_id = _store(request).add(item.to_item())
    response.headers["Location"] = str(request.url_for("get_item", item_id=item_id))
    response.set_cookie("last_created", str(item_id))
    return item.to_item().to_json(item_id)


@app.get("/items/{item_id}", name="get_item")
def get_item(request: Request, item_id: int) -> dict[str, Any]:
    item = _store(request).get(item_id)
    if item is None:
        raise _missing(item_id)
    return {**item.to_json(item_id), "url": str(request.url_for("get_item", item_id=item_id))}


@app.put("/items/{item_id}")
async def replace_item(request: Request, item_id: int, item: ItemIn) -> dict[str, Any]:
    if not _store(request).replace(item_id, item.to_item()):
        raise _missing(item_id)
    return item.to_item().to_json(item_id)


@app.delete("/items/{item_id}", status_code=204)
async def delete_item(request: Request, item_id: int) -> Response:
    if not _store(request).delete(item_id):
        raise _missing(item_id)
    return Response(status_code=204)


@app.post("/upload")
async def upload(file: UploadFile, note: Annotated[str, Form()]) -> dict[str, Any]:
    return upload_summary(file.filename, file.content_type, await file.read(), note)


@app.get("/cookies/set")
async def set_cookies(response: Response) -> dict[str, list[str]]:
    response.set_cookie("session", "abc123", httponly=True, secure=True)
    response.set_cookie("theme", "dark")
    return {"set": ["session", "theme"]}


# A plain def, as in FastAPI's tutorial: FastAPI runs it on a worker thread.
@app.get("/cookies")
def echo_cookies(request: Request) -> dict[str, dict[str, str]]:
    return {"cookies": request.cookies}


@app.get("/old")
async def old(request: Request) -> RedirectResponse:
    # Absolute and built from the request, so it keeps the stage (/prod) a client went through.
    return RedirectResponse(str(request.url_for("list_items")), status_code=307)


@app.get("/download")
async def download() -> Response:
    headers = {"Content-Disposition": CONTENT_DISPOSITION}
    return Response(PIXEL_PNG, media_type="image/png", headers=headers)


@app.get("/stream")
async def stream() -> StreamingResponse:
    return StreamingResponse(stream_chunks(), media_type="text/plain")


handler = Adapter(app)
