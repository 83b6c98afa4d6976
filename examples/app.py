"""A small FastAPI app served on Lambda through lambda_asgi.

``handler`` is what a SAM template or the Lambda console points at: ``examples.app.handler``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

from lambda_asgi import Adapter


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    # Runs once per Lambda execution environment, during the init phase.
    yield {"items": {1: Item(name="lamp", price=12.5, tags=["home"])}}


app = FastAPI(title="lambda_asgi example", lifespan=lifespan)


@app.get("/items")
async def list_items(request: Request, tag: list[str] | None = None) -> list[dict[str, Any]]:
    items: dict[int, Item] = request.state.items
    wanted = set(tag or ())
    return [
        {"id": item_id, **item.model_dump()}
        for item_id, item in sorted(items.items())
        if not wanted or wanted & set(item.tags)
    ]


@app.get("/items/{item_id}", name="get_item")
async def get_item(request: Request, item_id: int) -> dict[str, Any]:
    item = request.state.items.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"no item {item_id}")
    return {
        "id": item_id,
        **item.model_dump(),
        "url": str(request.url_for("get_item", item_id=item_id)),
    }


@app.post("/items", status_code=201)
async def create_item(request: Request, item: Item, response: Response) -> dict[str, Any]:
    items: dict[int, Item] = request.state.items
    item_id = max(items, default=0) + 1
    items[item_id] = item
    response.headers["Location"] = str(request.url_for("get_item", item_id=item_id))
    response.set_cookie("last_created", str(item_id))
    return {"id": item_id, **item.model_dump()}


handler = Adapter(app)
