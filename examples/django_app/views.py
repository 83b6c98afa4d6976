"""The contract's views, all async: Django runs them on the Adapter's event loop."""

from __future__ import annotations

import json

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.urls import reverse

from ..store import (
    CONTENT_DISPOSITION,
    PIXEL_PNG,
    InvalidItemError,
    Item,
    not_found,
    parse_item,
    stream_chunks,
    upload_summary,
)
from .apps import store


def _item(request: HttpRequest) -> Item | HttpResponse:
    """The request's item, or the 422 answer; invalid JSON is a ValueError too."""
    try:
        return parse_item(json.loads(request.body))
    except (InvalidItemError, ValueError) as exc:
        return JsonResponse({"detail": str(exc)}, status=422)


async def items(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return JsonResponse(store().list(request.GET.getlist("tag")), safe=False)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    item = _item(request)
    if not isinstance(item, Item):
        return item
    item_id = store().add(item)
    response = JsonResponse(item.to_json(item_id), status=201)
    response["Location"] = request.build_absolute_uri(reverse("item", args=[item_id]))
    response.set_cookie("last_created", str(item_id), samesite="Lax")
    return response


async def item(request: HttpRequest, item_id: int) -> HttpResponse:
    if request.method == "GET":
        found = store().get(item_id)
        if found is not None:
            url = request.build_absolute_uri(reverse("item", args=[item_id]))
            return JsonResponse({**found.to_json(item_id), "url": url})
    elif request.method == "PUT":
        new = _item(request)
        if not isinstance(new, Item):
            return new
        if store().replace(item_id, new):
            return JsonResponse(new.to_json(item_id))
    elif request.method == "DELETE":
        if store().delete(item_id):
            return HttpResponse(status=204)
    else:
        return HttpResponseNotAllowed(["GET", "PUT", "DELETE"])
    return JsonResponse(not_found(item_id), status=404)


async def upload(request: HttpRequest) -> HttpResponse:
    file, note = request.FILES.get("file"), request.POST.get("note")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if file is None or note is None:
        return JsonResponse(
            {"detail": "expected a file 'file' and a text field 'note'"}, status=422
        )
    return JsonResponse(upload_summary(file.name, file.content_type, file.read(), note))


async def set_cookies(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"set": ["session", "theme"]})
    response.set_cookie("session", "abc123", httponly=True, secure=True, samesite="Lax")
    response.set_cookie("theme", "dark", samesite="Lax")
    return response


def echo_cookies(request: HttpRequest) -> HttpResponse:
    # A plain def: Django's ASGI handler runs it on a worker thread.
    return JsonResponse({"cookies": request.COOKIES})


async def old(request: HttpRequest) -> HttpResponse:
    # preserve_request (Django 5.2+) answers 307, like the other examples.
    return redirect(request.build_absolute_uri(reverse("items")), preserve_request=True)


async def download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(PIXEL_PNG, content_type="image/png")
    response["Content-Disposition"] = CONTENT_DISPOSITION
    return response


async def stream(request: HttpRequest) -> HttpResponse:
    return StreamingHttpResponse(stream_chunks(), content_type="text/plain; charset=utf-8")
