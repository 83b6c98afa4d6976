"""The Falcon (ASGI) example: the contract in examples/README.md, served on Lambda by lambda_asgi.

Point Lambda at ``examples.falcon_app.handler``. Falcon runs lifespan events through
middleware: ``StoreMiddleware.process_startup`` opens the store once per execution environment
(Lambda's init phase) and ``process_request`` hands it to each request in ``req.context``.
"""

from __future__ import annotations

from typing import Any

import falcon
import falcon.asgi
from falcon.asgi import Request, Response

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


class RootPathMiddleware:
    """Routes on the path below ``root_path`` (the API Gateway stage, e.g. ``/prod``).

    Falcon routes on the whole ASGI ``path``, which includes ``root_path`` (as uvicorn and
    lambda_asgi send it); Starlette, Django, Litestar and Quart strip it themselves.
    ``req.prefix`` keeps the stage, so URLs built from it stay right.
    """

    async def process_request(self, req: Request, resp: Response) -> None:
        root = req.root_path
        if root and req.path.startswith(root + "/"):
            req.path = req.path[len(root) :]


class StoreMiddleware:
    """Opens the store at startup, closes it at shutdown, lends it to every request."""

    def __init__(self) -> None:
        self.store: Store | None = None

    async def process_startup(self, scope: dict[str, Any], event: dict[str, Any]) -> None:
        self.store = Store.open()

    async def process_shutdown(self, scope: dict[str, Any], event: dict[str, Any]) -> None:
        if self.store is not None:
            self.store.close()

    async def process_request(self, req: Request, resp: Response) -> None:
        req.context.store = self.store


def _store(req: Request) -> Store:
    store: Store = req.context.store
    return store


def _url(req: Request, path: str) -> str:
    # req.prefix is scheme, host and the stage (root_path) the client used.
    return f"{req.prefix}{path}"


async def _item(req: Request) -> Item:
    try:
        return parse_item(await req.get_media())
    except InvalidItemError as exc:
        raise falcon.HTTPUnprocessableEntity(description=str(exc)) from exc


def _missing(resp: Response, item_id: int) -> None:
    resp.status = falcon.HTTP_404
    resp.media = not_found(item_id)


class Items:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.media = _store(req).list(req.get_param_as_list("tag") or ())

    async def on_post(self, req: Request, resp: Response) -> None:
        item = await _item(req)
        item_id = _store(req).add(item)
        resp.status = falcon.HTTP_201
        resp.location = _url(req, f"/items/{item_id}")
        resp.media = item.to_json(item_id)
        # Falcon makes cookies Secure and HttpOnly unless told otherwise.
        resp.set_cookie(
            "last_created", str(item_id), path="/", same_site="Lax", secure=False, http_only=False
        )


class OneItem:
    async def on_get(self, req: Request, resp: Response, item_id: int) -> None:
        item = _store(req).get(item_id)
        if item is None:
            return _missing(resp, item_id)
        resp.media = {**item.to_json(item_id), "url": _url(req, f"/items/{item_id}")}

    async def on_put(self, req: Request, resp: Response, item_id: int) -> None:
        item = await _item(req)
        if not _store(req).replace(item_id, item):
            return _missing(resp, item_id)
        resp.media = item.to_json(item_id)

    async def on_delete(self, req: Request, resp: Response, item_id: int) -> None:
        if not _store(req).delete(item_id):
            return _missing(resp, item_id)
        resp.status = falcon.HTTP_204


class Upload:
    async def on_post(self, req: Request, resp: Response) -> None:
        fields: dict[str, tuple[str | None, str | None, bytes]] = {}
        form = await req.get_media()
        async for part in form:
            fields[part.name] = (part.filename, part.content_type, await part.get_data())
        if "file" not in fields or "note" not in fields:
            raise falcon.HTTPUnprocessableEntity(
                description="expected a file 'file' and a text field 'note'"
            )
        note = fields["note"][2].decode()
        resp.media = upload_summary(*fields["file"], note)


class SetCookies:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.media = {"set": ["session", "theme"]}
        resp.set_cookie("session", "abc123", path="/", same_site="Lax")
        resp.set_cookie("theme", "dark", path="/", same_site="Lax", secure=False, http_only=False)


class EchoCookies:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.media = {"cookies": req.cookies}


class Old:
    async def on_get(self, req: Request, resp: Response) -> None:
        raise falcon.HTTPTemporaryRedirect(_url(req, "/items"))


class Download:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.content_type = "image/png"
        resp.data = PIXEL_PNG
        resp.set_header("Content-Disposition", CONTENT_DISPOSITION)


class Stream:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.stream = stream_chunks()


def serialize_error(req: Request, resp: Response, exc: falcon.HTTPError) -> None:
    """Every HTTP error as ``{"detail": ...}``, the contract's error shape."""
    resp.content_type = falcon.MEDIA_JSON
    resp.media = {"detail": exc.description or exc.title}


store_middleware = StoreMiddleware()
app = falcon.asgi.App()
app.add_middleware(RootPathMiddleware())
app.add_middleware(store_middleware)
app.set_error_serializer(serialize_error)
app.add_route("/items", Items())
app.add_route("/items/{item_id:int}", OneItem())
app.add_route("/upload", Upload())
app.add_route("/cookies/set", SetCookies())
app.add_route("/cookies", EchoCookies())
app.add_route("/old", Old())
app.add_route("/download", Download())
app.add_route("/stream", Stream())

handler = Adapter(app)
