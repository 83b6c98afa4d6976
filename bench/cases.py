"""The benchmark cases: every app x event x way of invoking it, each a zero-argument call.

The variants, cheapest first:

- ``bare``: the app run directly on an event loop with a prebuilt scope, as a task that
  stops the loop when the app returns (the floor);
- ``lambda_asgi(unguarded)``: ``Adapter(app, lifespan="off")`` without its two guards (the
  deadline timer, ``timeout_margin=None``, and the result-size check), to price them;
- ``lambda_asgi(off)`` and ``lambda_asgi(auto)``: ``Adapter(app, lifespan=...)``, the
  latter being the default, whose startup runs once when the adapter is built;
- every lambda_asgi variant has ``access_log=False``, as Mangum writes no access log;
- ``mangum(off)`` and ``mangum(auto)``: Mangum, whose default runs lifespan startup and
  shutdown around every invocation.

Every case checks its own answer (status 200 and the expected JSON body) so a benchmark can
never time an error page.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from mangum import Mangum

from lambda_asgi import Adapter

from .apps import REPOSITORY, ASGIApp, BenchApp, Message, build_apps
from .events import BenchEvent, build_events, context

VARIANTS = (
    "bare",
    "lambda_asgi(unguarded)",
    "lambda_asgi(off)",
    "lambda_asgi(auto)",
    "mangum(off)",
    "mangum(auto)",
)


class BenchmarkError(Exception):
    """Raised when a case answers something other than the expected 200 response."""


@dataclass(frozen=True)
class Case:
    """One timed combination: ``call()`` performs one invocation, ``check`` validates it."""

    app: str
    event: str
    variant: str
    call: Callable[[], Any]
    check: Callable[[Any], None]


def _bare_call(loop: asyncio.AbstractEventLoop, app: ASGIApp, event: BenchEvent) -> Message:
    """Run one request cycle on the app itself; answer its status and whole body."""
    scope = event.scope
    body = event.body
    sent: list[Message] = []
    pending = True

    async def receive() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    task = asyncio.Task(_stopping(loop, app(dict(scope), receive, send)), loop=loop)
    while not task.done():
        loop.run_forever()
    task.result()
    start = sent[0]
    return {
        "status": start["status"],
        "body": b"".join(message.get("body", b"") for message in sent[1:]),
    }


async def _stopping(loop: asyncio.AbstractEventLoop, request: Awaitable[None]) -> None:
    """Await the app's request, then stop the loop, which ``run_forever()`` returns from in the
    same iteration: the cheapest way known to run a coroutine to completion from synchronous
    code. ``run_until_complete()`` costs more (its future bookkeeping, a done callback added
    and removed): 3 µs per call on the raw apps, 4.5 µs on raw+io, 5 to 6 µs with FastAPI, which a
    floor timed with it would credit to every adapter that drives the loop like this."""
    try:
        await request
    finally:
        loop.stop()


def _fail(label: str, reason: str, result: Any) -> BenchmarkError:
    return BenchmarkError(f"{label}: {reason}; got {result!r:.300}")


def _check_bare(label: str, expected: dict[str, Any], result: Message) -> None:
    if result["status"] != 200:
        raise _fail(label, "status is not 200", result)
    if json.loads(result["body"]) != expected:
        raise _fail(label, f"body is not {expected!r}", result)


def _check_lambda(label: str, expected: dict[str, Any], result: Any) -> None:
    if not isinstance(result, dict) or result.get("statusCode") != 200:
        raise _fail(label, "statusCode is not 200", result)
    if result.get("isBase64Encoded") or json.loads(result["body"]) != expected:
        raise _fail(label, f"body is not the text {expected!r}", result)


def make_case(app: BenchApp, event: BenchEvent, variant: str, call: Callable[[], Any]) -> Case:
    expected = app.answer(event)
    label = f"{app.name} / {event.name} / {variant}"
    check = _check_bare if variant == "bare" else _check_lambda
    return Case(app.name, event.name, variant, call, partial(check, label, expected))


@contextmanager
def build_cases() -> Iterator[list[Case]]:
    """Every case in table order; the event loop and adapters live until the block exits.

    Mangum looks its loop up with ``asyncio.get_event_loop()``, so a fresh loop is installed
    as the current one (the bare floor uses it too) and closed afterwards. lambda_asgi keeps
    its own process-wide loop; its lifespan adapters are shut down on the way out, and the
    repository's connections (one per loop) closed.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    lambda_context = context()
    cases: list[Case] = []
    adapters: list[Adapter] = []
    try:
        for app in build_apps():
            # Mangum writes no access log: neither do these (bench.observability prices it).
            unguarded = Adapter(app.app, lifespan="off", timeout_margin=None, access_log=False)
            unguarded._size_guard = False
            adapters += [
                unguarded,
                Adapter(app.app, lifespan="off", access_log=False),
                Adapter(app.app, access_log=False),
            ]
            handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {
                "lambda_asgi(unguarded)": adapters[-3],
                "lambda_asgi(off)": adapters[-2],
                "lambda_asgi(auto)": adapters[-1],
                # Mangum types the app as a Protocol with named parameters, which no
                # Callable alias can satisfy.
                "mangum(off)": Mangum(app.app, lifespan="off"),  # type: ignore[arg-type]
                "mangum(auto)": Mangum(app.app),  # type: ignore[arg-type]
            }
            for event in build_events():
                cases.append(
                    make_case(app, event, "bare", partial(_bare_call, loop, app.app, event))
                )
                for variant, handler in handlers.items():
                    # Each case gets its own copy, so an adapter that mutated the event
                    # could not change what another one sees.
                    call = partial(handler, copy.deepcopy(event.event), lambda_context)
                    cases.append(make_case(app, event, variant, call))
        yield cases
    finally:
        for adapter in adapters:
            adapter.shutdown()
        REPOSITORY.close()
        asyncio.set_event_loop(None)
        loop.close()
