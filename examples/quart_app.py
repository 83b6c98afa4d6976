"""The Quart example: the contract in examples/README.md, served on Lambda by lambda_asgi.

Point Lambda at ``examples.quart_app.handler``. A ``while_serving`` generator opens the store
once per execution environment (Lambda's init phase, through the ASGI lifespan) and keeps it
in ``app.extensions``, where handlers find it through ``current_app``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from quart import Quart, Response, current_app, jsonify, redirect, request, url_for
from quart.datastructures import FileStorage
from werkzeug.wrappers import Response as WerkzeugResponse

from lambda_asgi import Adapter

from .store import (
    CONTENT_DISPOSITION,
    PIXEL_PNG,
    InvalidItemError,
    Item,
    Store,
    not_found,
    parse_item,
    stream_chunks,
    upload_summary,
)

app = Quart(__name__)


@app.while_serving
async def open_store() -> AsyncGenerator[None, None]:
    store = Store.open()
    app.extensions["store"] = store
    yield
    store.close()


def _store() -> Store:
    store: Store = current_app.extensions["store"]
    return store


async def _item() -> Item | tuple[dict[str, str], int]:
    """The request's item, or the 422 answer."""
    try:
        return parse_item(await request.get_json(force=True))
    except InvalidItemError as exc:
        return {"detail": str(exc)}, 422


@app.get("/items")
async def list_items() -> list[dict[str, Any]]:
    return _store().list(request.args.getlist("tag"))


@app.post("/items")
async def create_item() -> Response | tuple[dict[str, str], int]:
    item = await _item()
    if not isinstance(item, Item):
        return item
    item_id = _store().add(item)
    response = jsonify(item.to_json(item_id))
    response.status_code = 201
    response.headers["Location"] = url_for("get_item", item_id=item_id, _external=True)
    response.set_cookie("last_created", str(item_id), samesite="Lax")
    return response


@app.get("/items/<int:item_id>")
async def get_item(item_id: int) -> tuple[dict[str, Any], int]:
    item = _store().get(item_id)
    if item is None:
        return not_found(item_id), 404
    url = url_for("get_item", item_id=item_id, _external=True)
    return {**item.to_json(item_id), "url": url}, 200


@app.put("/items/<int:item_id>")
async def replace_item(item_id: int) -> tuple[dict[str, Any], int]:
    item = await _item()
    if not isinstance(item, Item):
        return item
    if not _store().replace(item_id, item):
        return not_found(item_id), 404
    return item.to_json(item_id), 200


@app.delete("/items/<int:item_id>")
async def delete_item(item_id: int) -> tuple[dict[str, Any] | str, int]:
    if not _store().delete(item_id):
        return not_found(item_id), 404
    return "", 204


@app.post("/upload")
async def upload() -> dict[str, Any] | tuple[dict[str, str], int]:
    files, form = await request.files, await request.form
    file: FileStorage | None = files.get("file")
    note: str | None = form.get("note")
    if file is None or note is None:
        return {"detail": "expected a file 'file' and a text field 'note'"}, 422
    return upload_summary(file.filename, file.mimetype, file.read(), note)


@app.get("/cookies/set")
async def set_cookies() -> Response:
    response = jsonify({"set": ["session", "theme"]})
    response.set_cookie("session", "abc123", httponly=True, secure=True, samesite="Lax")
    response.set_cookie("theme", "dark", samesite="Lax")
    return response


@app.get("/cookies")
def echo_cookies() -> dict[str, dict[str, str]]:
    # A plain def: Quart runs it on the event loop's executor.
    return {"cookies": dict(request.cookies)}


@app.get("/old")
async def old() -> WerkzeugResponse:
    return redirect(url_for("list_items", _external=True), 307)


@app.get("/download")
async def download() -> Response:
    headers = {"Content-Disposition": CONTENT_DISPOSITION}
    return Response(PIXEL_PNG, mimetype="image/png", headers=headers)


@app.get("/stream")
async def stream() -> Response:
    return Response(stream_chunks(), mimetype="text/plain")


handler = Adapter(app)
