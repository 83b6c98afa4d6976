"""The compatibility matrix's cast: the six example apps, the front doors, and the contract.

``EXAMPLES`` lists the example modules (examples/README.md has the HTTP contract they share),
``FRONT_DOORS`` every event source builder of lambda_asgi.testing, and ``answer_of`` turns a
Lambda result into an ``Answer``: what a client gets, with the differences between frameworks
that are legitimately theirs normalised, each one named below. Everything else must be equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from packaging.markers import Marker

from examples.store import Store
from lambda_asgi import Adapter, LifespanMode
from lambda_asgi.testing import (
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
)

from .test_frameworks import ALB, API, CLOUDFRONT, FUNCTION_URL, LATTICE, ONE_COOKIE, Front, decode


@dataclass(frozen=True)
class Example:
    """One example app: its module, how it runs its startup, and where it keeps the store."""

    name: str
    module: str
    store: Callable[[ModuleType, Adapter], Store]
    # Django's ASGI handler refuses the lifespan protocol: it opens the store in
    # AppConfig.ready() instead, so it runs with lifespan="off" (see examples/django_app).
    lifespan: LifespanMode = "on"


def _django_store(module: ModuleType, adapter: Adapter) -> Store:
    from examples.django_app.apps import store

    return store()


EXAMPLES = [
    Example("fastapi", "examples.app", lambda module, adapter: adapter.state["store"]),
    Example("starlette", "examples.starlette_app", lambda module, adapter: adapter.state["store"]),
    Example("django", "examples.django_app", _django_store, lifespan="off"),
    Example("litestar", "examples.litestar_app", lambda module, adapter: module.app.state.store),
    Example("quart", "examples.quart_app", lambda module, adapter: module.app.extensions["store"]),
    Example("falcon", "examples.falcon_app", lambda module, adapter: module.store_middleware.store),
]

# One entry per way a request reaches Lambda; ``base`` is the public URL of the app's root.
FRONT_DOORS = [
    Front("rest", partial(rest_event, stage="prod"), "rest", f"{API}/prod"),
    Front("http_api", http_api_event, "v2", API),
    Front("http_api_stage", partial(http_api_event, stage="v1"), "v2", f"{API}/v1"),
    Front("http_api_v1", partial(http_api_event, payload_version="1.0"), "rest", API),
    Front(
        "http_api_v1_stage",
        partial(http_api_event, payload_version="1.0", stage="v1"),
        "rest",
        f"{API}/v1",
    ),
    Front("function_url", function_url_event, "v2", FUNCTION_URL),
    Front("alb", alb_event, "alb", ALB),
    Front("alb_multi", partial(alb_event, multi_value=True), "alb_multi", ALB),
    # An origin request policy that forwards Host, as apps behind CloudFront use to build URLs.
    Front("edge_origin", partial(edge_event, forward_host=True), "edge", CLOUDFRONT),
    Front("edge_viewer", partial(edge_event, event_type="viewer-request"), "edge", CLOUDFRONT),
    Front("lattice", lattice_event, "lattice", LATTICE),
    Front("lattice_v1", partial(lattice_event, version=1), "lattice", LATTICE),
]


def last_query_value_only(front: Front) -> bool:
    """ALB without multi-value headers and VPC Lattice v1 pass on only the last value of a
    repeated query parameter: AWS's limit, the same for every framework."""
    return front.name in ("alb", "lattice_v1")


def one_set_cookie(front: Front) -> bool:
    """ALB without multi-value headers and VPC Lattice hold one value per header name, so the
    app's last Set-Cookie only (lambda_asgi logs a warning)."""
    return front.shape in ONE_COOKIE


# The response headers the contract fixes; the rest (Django's security headers, Date, ...) are
# each framework's own.
CONTRACT_HEADERS = ("content-type", "location", "content-disposition")
JSON_TYPE = "application/json"
# Empty bodies that still carry a Content-Type: Django and Quart label a 204 "text/html",
# Django a 307 too, Litestar its redirect "text/plain", Falcon its redirect "application/json".
LABELS_EMPTY_BODIES = {"django", "quart", "litestar", "falcon"}
# Quart's redirect() (werkzeug's) writes a small HTML page linking to the target.
REDIRECT_PAGE = {"quart"}


class Cookie(NamedTuple):
    """A Set-Cookie value, compared without regard to attribute order or case: Starlette,
    FastAPI and Litestar write ``SameSite=lax``, Django, Quart and Falcon ``SameSite=Lax``, and
    Quart puts ``Secure`` before ``HttpOnly``."""

    name: str
    value: str
    attributes: frozenset[tuple[str, str]]

    @classmethod
    def parse(cls, header: str) -> Cookie:
        pair, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = pair.partition("=")
        flags = set()
        for attribute in attributes:
            key, _, setting = attribute.partition("=")
            flags.add((key.lower(), setting.lower() if key.lower() == "samesite" else setting))
        return cls(name, value, frozenset(flags))


class Answer(NamedTuple):
    """What the client gets: JSON bodies compared as values (Django and Falcon write ``", "``
    separators, Quart sorts keys, escapes non-ASCII and ends with a newline)."""

    status: int
    headers: dict[str, str]
    cookies: tuple[Cookie, ...] = ()
    body: Any = b""
    base64: bool = False


def expect(
    status: int,
    body: Any = b"",
    *,
    headers: Mapping[str, str] | None = None,
    cookies: tuple[str, ...] = (),
    base64: bool = False,
) -> Answer:
    """The contract's answer; a JSON ``body`` implies the ``application/json`` content type."""
    fixed = dict(headers or {})
    if not isinstance(body, bytes):
        fixed.setdefault("content-type", JSON_TYPE)
    return Answer(status, fixed, tuple(Cookie.parse(c) for c in cookies), body, base64)


def answer_of(example: str, shape: str, result: Mapping[str, Any]) -> Answer:
    served = decode(shape, result)
    lengths = served.headers.get("content-length")
    assert lengths in (None, [str(len(served.body))]), lengths  # a length is always the true one
    for name in CONTRACT_HEADERS:
        assert len(served.headers.get(name, [])) <= 1, served.headers  # never repeated
    headers = {name: served.headers[name][0] for name in CONTRACT_HEADERS if name in served.headers}
    body: Any = served.body
    if example in REDIRECT_PAGE and 300 <= served.status < 400:
        assert headers["location"].encode() in body
        body = b""
    if example in LABELS_EMPTY_BODIES and not body:
        headers.pop("content-type", None)
    if headers.get("content-type") == JSON_TYPE:
        body = json.loads(body)
    cookies = tuple(Cookie.parse(cookie) for cookie in served.cookies)
    return Answer(served.status, headers, cookies, body, served.base64)


def multipart(boundary: str, fields: list[tuple[str, str | tuple[str, str, bytes]]]) -> bytes:
    """A multipart/form-data body: text fields, and files as (filename, content type, data)."""
    parts = []
    for name, value in fields:
        parts.append(f"--{boundary}\r\n".encode())
        if isinstance(value, str):
            parts.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            parts.append(value.encode())
        else:
            filename, content_type, data = value
            disposition = f'form-data; name="{name}"; filename="{filename}"'
            parts.append(f"Content-Disposition: {disposition}\r\n".encode())
            parts.append(f"Content-Type: {content_type}\r\n\r\n".encode())
            parts.append(data)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


ROOT = Path(__file__).parent.parent


def lambda_pins() -> set[str]:
    """The pins of requirements/constraints.txt for the Lambda runtime's Python (template.yaml's
    python3.11): the lines without a marker and those whose marker holds there."""
    pinned = set()
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        pin, _, marker = line.partition(" ; ")
        if pin.startswith("#"):
            continue
        if not marker or Marker(marker).evaluate({"python_version": "3.11"}):
            pinned.add(pin)
    return pinned


def example_requirements(name: str) -> list[str]:
    """The pins of examples/requirements/<name>.txt, what a Lambda package installs."""
    text = (ROOT / "examples" / "requirements" / f"{name}.txt").read_text()
    return [line for line in text.splitlines() if not line.startswith("#")]
