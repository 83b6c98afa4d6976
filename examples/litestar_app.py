"""The Litestar example: the contract in examples/README.md, served on Lambda by lambda_asgi.

Point Lambda at ``examples.litestar_app.handler``. Litestar's ``lifespan`` context manager
opens the store once per execution environment (Lambda's init phase) and keeps it in
``app.state``, which handlers receive as ``state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, delete, get, post, put
from litestar.datastructures import Cookie, State, UploadFile
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.response import Redirect, Stream
from litestar.status_codes import HTTP_307_TEMPORARY_REDIRECT, HTTP_422_UNPROCESSABLE_ENTITY

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


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    store = Store.open()
    app.state.store = store
    try:
        yield
    finally:
        store.close()


def _store(state: State) -> Store:
    store: Store = state.store
    return store


def _json(content: Any, status_code: int = 200, **options: Any) -> Response[Any]:
    return Response(content, status_code=status_code, media_type=MediaType.JSON, **options)


def _as_detail(request: Request[Any, Any, State], exc: HTTPException) -> Response[Any]:
    """Every HTTP error as ``{"detail": ...}``, the contract's error shape."""
    return _json({"detail": exc.detail}, exc.status_code, headers=exc.headers)


def _parse(data: Any) -> Item:
    try:
        return parse_item(data)
    except InvalidItemError as exc:
        raise HTTPException(str(exc), status_code=HTTP_422_UNPROCESSABLE_ENTITY) from exc


def _missing(item_id: int) -> NotFoundException:
    return NotFoundException(detail=not_found(item_id)["detail"])


@get("/items", name="list_items")
async def list_items(state: State, tag: FromQuery[list[str] | None] = None) -> list[dict[str, Any]]:
    return _store(state).list(tag or ())


@post("/items")
async def create_item(request: Request[Any, Any, State], data: JSONBody[Any]) -> Response[Any]:
    item = _parse(data)
    item_id = _store(request.app.state).add(item)
    return _json(
        item.to_json(item_id),
        201,
        headers={"Location": str(request.url_for("get_item", item_id=item_id))},
        cookies=[Cookie(key="last_created", value=str(item_id))],
    )


@get("/items/{item_id:int}", name="get_item")
async def get_item(request: Request[Any, Any, State], item_id: FromPath[int]) -> Response[Any]:
    item = _store(request.app.state).get(item_id)
    if item is None:
        raise _missing(item_id)
    url = str(request.url_for("get_item", item_id=item_id))
    return _json({**item.to_json(item_id), "url": url})


@put("/items/{item_id:int}")
async def replace_item(state: State, item_id: FromPath[int], data: JSONBody[Any]) -> Response[Any]:
    item = _parse(data)
    if not _store(state).replace(item_id, item):
        raise _missing(item_id)
    return _json(item.to_json(item_id))


@delete("/items/{item_id:int}")
async def delete_item(state: State, item_id: FromPath[int]) -> None:
    if not _store(state).delete(item_id):
        raise _missing(item_id)


@post("/upload", status_code=200)
async def upload(
    data: MultipartBody[dict[str, Any]],
) -> dict[str, Any]:
    file, note = data["file"], data["note"]
    if not isinstance(file, UploadFile) or not isinstance(note, str):
        raise HTTPException(
            "expected a file 'file' and a text field 'note'",
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return upload_summary(file.filename, file.content_type, await file.read(), note)


@get("/cookies/set")
async def set_cookies() -> Response[Any]:
    cookies = [
        Cookie(key="session", value="abc123", httponly=True, secure=True),
        Cookie(key="theme", value="dark"),
    ]
    return _json({"set": ["session", "theme"]}, cookies=cookies)


@get("/cookies", sync_to_thread=True)  # a plain def, run on a worker thread
def echo_cookies(request: Request[Any, Any, State]) -> dict[str, dict[str, str]]:
    return {"cookies": request.cookies}


@get("/old", status_code=HTTP_307_TEMPORARY_REDIRECT)
async def old(request: Request[Any, Any, State]) -> Redirect:
    return Redirect(str(request.url_for("list_items")), status_code=HTTP_307_TEMPORARY_REDIRECT)


@get("/download")
async def download() -> Response[bytes]:
    headers = {"Content-Disposition": CONTENT_DISPOSITION}
    return Response(PIXEL_PNG, media_type="image/png", headers=headers)


@get("/stream")
async def stream() -> Stream:
    return Stream(stream_chunks(), media_type=MediaType.TEXT)


app = Litestar(
    route_handlers=[
        list_items,
        create_item,
        get_item,
        replace_item,
        delete_item,
        upload,
        set_cookies,
        echo_cookies,
        old,
        download,
        stream,
    ],
    lifespan=[lifespan],
    exception_handlers={HTTPException: _as_detail},
)

handler = Adapter(app)
