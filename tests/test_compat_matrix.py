"""Every example app through every front door: the same request, the same answer.

The six examples (FastAPI, Starlette, Django, Litestar, Quart, Falcon) implement one HTTP
contract (examples/README.md). Each test sends a contract request through one front door's
event (tests/compat.py lists them) to one example's Adapter and asserts the whole decoded
answer: status, the contract's headers, cookies, body and base64 flag. Expectations never
depend on the framework; the differences that are legitimately the frameworks' own are
normalised in tests/compat.py, each named there.

The tests call each example's own ``handler``, the Adapter Lambda calls: importing the module
ran its startup once, as Lambda's init phase does, and lambda_asgi runs its shutdown at exit. A
second Adapter for the same app would start the app a second time, which Litestar refuses (its
event emitter can be entered once); ``test_shutdown_closes_each_store`` therefore checks the
shutdown in a fresh interpreter. The store is shared by the tests, so each test creates the
items it needs, tagged uniquely, and deletes them again.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from examples import demo
from examples.store import PIXEL_PNG, STREAM_CHUNKS, Item
from lambda_asgi import Adapter
from lambda_asgi.testing import FakeContext

from .compat import (
    EXAMPLES,
    FRONT_DOORS,
    Answer,
    Example,
    answer_of,
    example_requirements,
    expect,
    lambda_pins,
    last_query_value_only,
    multipart,
    one_set_cookie,
)
from .test_frameworks import Front


@dataclass
class Site:
    """One example app and the Adapter its module built, ``handler``."""

    example: Example
    module: ModuleType
    adapter: Adapter


@pytest.fixture(scope="module", params=EXAMPLES, ids=[example.name for example in EXAMPLES])
def site(request: pytest.FixtureRequest) -> Site:
    example: Example = request.param
    module = importlib.import_module(example.module)
    return Site(example, module, module.handler)


@pytest.fixture(params=FRONT_DOORS, ids=[front.name for front in FRONT_DOORS])
def front(request: pytest.FixtureRequest) -> Front:
    return request.param  # type: ignore[no-any-return]


Call = Callable[..., Answer]


@pytest.fixture
def call(site: Site, front: Front) -> Call:
    context = FakeContext()

    def send(method: str, path: str, **request: Any) -> Answer:
        result = site.adapter(front.build(method=method, path=path, **request), context)
        return answer_of(site.example.name, front.shape, result)

    return send


def json_body(payload: Any) -> dict[str, Any]:
    return {"headers": {"Content-Type": "application/json"}, "body": json.dumps(payload)}


def create(call: Call, front: Front, item: Item) -> int:
    """POST an item; asserts the whole 201 answer and returns the new id."""
    answer = call("POST", "/items", **json_body(asdict(item)))
    item_id: int = answer.body["id"] if isinstance(answer.body, dict) else -1
    assert answer == expect(
        201,
        item.to_json(item_id),
        headers={"location": f"{front.base}/items/{item_id}"},
        cookies=(f"last_created={item_id}; Path=/; SameSite=Lax",),
    )
    return item_id


def test_examples_expose_app_and_handler() -> None:
    for example in EXAMPLES:
        module = importlib.import_module(example.module)
        assert isinstance(module.handler, Adapter)
        assert module.handler.app is module.app


def test_list_items_by_repeated_tags(call: Call, front: Front) -> None:
    tags = [f"{front.name}-list-a", f"{front.name}-list-b"]
    made = [Item("chair", 45.0, [tags[0]]), Item("sofa", 410.0, [tags[1], "home"])]
    ids = [create(call, front, item) for item in made]
    answer = call("GET", "/items", query=[("tag", tags[0]), ("tag", tags[1])])
    listed = [item.to_json(item_id) for item_id, item in zip(ids, made, strict=True)]
    assert answer == expect(200, listed[1:] if last_query_value_only(front) else listed)
    home = call("GET", "/items", query={"tag": "home"})
    lamp = {"id": 1, "name": "lamp", "price": 12.5, "tags": ["home"]}
    assert home == expect(200, [lamp, listed[1]])
    for item_id in ids:
        assert call("DELETE", f"/items/{item_id}") == expect(204)


def test_item_crud(call: Call, front: Front) -> None:
    desk = Item("desk", 99.0, [f"{front.name}-crud"])
    item_id = create(call, front, desk)
    url = f"{front.base}/items/{item_id}"
    assert call("GET", f"/items/{item_id}") == expect(200, {**desk.to_json(item_id), "url": url})
    changed = Item("standing desk", 249.5, [])
    update = json_body({"name": "standing desk", "price": 249.5})
    assert call("PUT", f"/items/{item_id}", **update) == expect(200, changed.to_json(item_id))
    assert call("GET", f"/items/{item_id}") == expect(200, {**changed.to_json(item_id), "url": url})
    assert call("DELETE", f"/items/{item_id}") == expect(204)
    assert call("GET", f"/items/{item_id}") == expect(404, {"detail": f"no item {item_id}"})


def test_missing_item_is_a_json_404(call: Call) -> None:
    ghost = json_body({"name": "ghost", "price": 1})
    answers = [call("GET", "/items/404"), call("PUT", "/items/404", **ghost)]
    answers.append(call("DELETE", "/items/404"))
    assert answers == [expect(404, {"detail": "no item 404"})] * 3


# A body that is no item, the contract's detail, and (type, loc) of the error FastAPI reports:
# FastAPI validates with pydantic, whose 422 lists its own errors.
INVALID_ITEMS: list[tuple[Any, str, tuple[str, list[str]]]] = [
    ({"name": "lamp"}, "price: a number is required", ("missing", ["body", "price"])),
    (
        {"name": "", "price": 3},
        "name: a non-empty string is required",
        ("string_too_short", ["body", "name"]),
    ),
    (
        {"name": "lamp", "price": True},
        "price: a number is required",
        ("float_type", ["body", "price"]),
    ),
    (
        {"name": "lamp", "price": 3, "tags": "home"},
        "tags: a list of strings is required",
        ("list_type", ["body", "tags"]),
    ),
    (["lamp", 3], "expected a JSON object", ("model_attributes_type", ["body"])),
]


def test_invalid_item_is_422(call: Call, site: Site) -> None:
    for payload, detail, (kind, loc) in INVALID_ITEMS:
        answer = call("POST", "/items", **json_body(payload))
        if site.example.name == "fastapi":
            # FastAPI: pydantic's own list of errors, which must name the same one.
            errors = [(error["type"], error["loc"]) for error in answer.body["detail"]]
            assert errors == [(kind, loc)], payload
            answer = answer._replace(body={"detail": detail})
        assert answer == expect(422, {"detail": detail}), payload


def test_upload_binary_file(call: Call) -> None:
    data = bytes(range(256)) * 40 + b"\x00\xff\r\n--"
    boundary = "----lambda-asgi-compat-9f3k2"
    body = multipart(
        boundary,
        [("note", "grüße, Ünïcode"), ("file", ("scan.bin", "application/octet-stream", data))],
    )
    answer = call(
        "POST",
        "/upload",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        body=body,
    )
    assert answer == expect(
        200,
        {
            "filename": "scan.bin",
            "content_type": "application/octet-stream",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "note": "grüße, Ünïcode",
        },
    )


SESSION = "session=abc123; HttpOnly; Path=/; SameSite=Lax; Secure"
THEME = "theme=dark; Path=/; SameSite=Lax"


def test_cookies_are_set(call: Call, front: Front) -> None:
    cookies = (THEME,) if one_set_cookie(front) else (SESSION, THEME)
    answer = call("GET", "/cookies/set")
    assert answer == expect(200, {"set": ["session", "theme"]}, cookies=cookies)


def test_cookies_are_read(call: Call) -> None:
    sent = {"session": "abc123", "theme": "dark", "consent": "yes"}
    assert call("GET", "/cookies", cookies=sent) == expect(200, {"cookies": sent})


def test_redirect_keeps_the_stage(call: Call, front: Front) -> None:
    assert call("GET", "/old") == expect(307, headers={"location": f"{front.base}/items"})


def test_binary_download(call: Call) -> None:
    headers = {
        "content-type": "image/png",
        "content-disposition": 'attachment; filename="pixel.png"',
    }
    assert call("GET", "/download") == expect(200, PIXEL_PNG, headers=headers, base64=True)


def test_streamed_body_arrives_whole(call: Call) -> None:
    answer = call("GET", "/stream")
    headers = {"content-type": "text/plain; charset=utf-8"}
    assert answer == expect(200, b"".join(STREAM_CHUNKS), headers=headers)


def test_store_is_opened_at_startup(site: Site) -> None:
    store = site.example.store(site.module, site.adapter)
    assert store.closed is False
    assert store.get(1) == Item("lamp", 12.5, ["home"])


# tests/test_examples.py drives the FastAPI example and pins its store as it was at startup.
OTHERS = [example for example in EXAMPLES if example.name != "fastapi"]


@pytest.mark.parametrize("example", OTHERS, ids=[example.name for example in OTHERS])
def test_demo_drives_each_example(example: Example) -> None:
    out = io.StringIO()
    results = demo.main(out, example.name)
    assert [result["statusCode"] for result in results] == [200, 200, 201, 404]
    assert out.getvalue().count("== ") == 4


SHUTDOWN_PROBE = """
import importlib, json
from tests.compat import EXAMPLES
closed = {}
for example in EXAMPLES:
    module = importlib.import_module(example.module)
    store = example.store(module, module.handler)
    assert not store.closed
    module.handler.shutdown()
    closed[example.name] = store.closed
print(json.dumps(closed))
"""


def test_shutdown_closes_each_store() -> None:
    """In a fresh interpreter, with every warning an error: importing each example starts it
    (without a warning, Django included) and shutting its handler down closes the store."""
    root = Path(__file__).parent.parent
    probe = [sys.executable, "-W", "error", "-c", SHUTDOWN_PROBE]
    done = subprocess.run(probe, cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # Django has no shutdown hook: its store stays open until the process ends.
    expected = {example.name: example.lifespan == "on" for example in EXAMPLES}
    assert json.loads(done.stdout) == expected


EXIT_PROBE = """
import atexit, importlib, json, sys
from lambda_asgi.testing import FakeContext, http_api_event
from tests.compat import EXAMPLES

example = next(example for example in EXAMPLES if example.name == sys.argv[1])
module = importlib.import_module(example.module)
store = example.store(module, module.handler)
# atexit handlers run after Python has waited for the process's threads.
atexit.register(lambda: print(json.dumps({"closed before exit": store.closed})))
event = http_api_event(path="/cookies", cookies={"theme": "dark"})
result = module.handler(event, FakeContext())
print(json.dumps({"status": result["statusCode"], "body": json.loads(result["body"])}))
"""


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_the_process_exits_after_the_sync_endpoint(example: Example) -> None:
    """GET /cookies is a plain ``def`` wherever the framework allows one (not Falcon's ASGI
    app), which runs on a non-daemon worker thread: served last, it must not keep the process
    from exiting, and the lifespan shutdown still runs on the way out."""
    root = Path(__file__).parent.parent
    probe = [sys.executable, "-W", "error", "-c", EXIT_PROBE, example.name]
    done = subprocess.run(probe, cwd=root, capture_output=True, text=True, timeout=60)
    # Nothing on stderr but the access log, which Litestar's own logging setup prints.
    errors = [line for line in done.stderr.splitlines() if "lambda_asgi.access" not in line]
    assert (done.returncode, errors) == (0, [])
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"status": 200, "body": {"cookies": {"theme": "dark"}}},
        {"closed before exit": example.lifespan == "on"},
    ]


def test_requirements_files_pin_the_tested_versions() -> None:
    """examples/requirements/<name>.txt, what a Lambda package installs, holds the versions
    this suite runs, the framework's own distribution among them."""
    pinned = lambda_pins()
    for example in EXAMPLES:
        lines = example_requirements(example.name)
        assert set(lines) <= pinned, example.name
        names = {line.partition("==")[0].lower() for line in lines}
        assert example.name in names
