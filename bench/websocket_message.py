"""Benchmark of one WebSocket message through the Adapter against the bare app, and proof that
an HTTP-only app's import and cold start are what they were before WebSocket support.

    .venv/bin/python -m bench.websocket_message            # about a minute
    .venv/bin/python -m bench.websocket_message --quick    # a few seconds

**Per message.** The app is a FastAPI ``@app.websocket`` echo. *bare* runs it the way one
invocation does, without the Adapter: on one event loop, per message, a call of the app with
the scope the Adapter built for a MESSAGE event (copied) and a queue holding
``websocket.connect``, the frame and the end-of-invocation disconnect, its sends collected in a
list. *adapter* hands the same MESSAGE event to ``Adapter(app, websocket_api=CapturedSends())``:
detection, scope building, the cycle's checks, the Lambda result. *adapter + store* adds a
:class:`~lambda_asgi.websocket.MemoryStore`, so each message also loads the ``$connect`` record.
Rounds interleave the three; each figure is the median of the rounds' per-message means.

**HTTP-only cold start.** Fresh interpreters import lambda_asgi and serve one HTTP API request
with a plain ASGI app, once with this checkout and once with the tree of the commit before
WebSocket support (extracted with ``git archive``), alternating; the modules each loaded are
compared, and none of the WebSocket modules (or boto3) may appear.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from fastapi import FastAPI, WebSocket

from lambda_asgi import END_OF_INVOCATION, Adapter
from lambda_asgi.testing import (
    CapturedSends,
    FakeContext,
    websocket_connect_event,
    websocket_message_event,
)
from lambda_asgi.websocket import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
CONNECTION = "L0SM9cOFvHcCIhw="
TEXT = '{"action": "send", "text": "hello"}'
ECHO = f"echo: {TEXT}"
WEBSOCKET_MODULES = (
    "lambda_asgi.ws_cycle",
    "lambda_asgi.sources.websocket",
    "lambda_asgi.websocket",
)
# Run in a fresh interpreter: import lambda_asgi, then serve one HTTP API request.
CHILD = """
import asyncio, gc, json, sys, time
gc.collect()
started = time.perf_counter()
import lambda_asgi
imported = time.perf_counter()
from lambda_asgi.testing import FakeContext, http_api_event

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

event, context = http_api_event(path="/"), FakeContext()
invoking = time.perf_counter()
result = lambda_asgi.Adapter(app, lifespan="off")(event, context)
done = time.perf_counter()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "first_request_ms": (done - invoking) * 1000,
    "status": result["statusCode"],
    "file": lambda_asgi.__file__,
    "modules": sorted(name for name in sys.modules if name.startswith(("lambda_asgi", "boto"))),
}))
"""


class BenchmarkError(Exception):
    """Raised when a variant does not answer as expected."""


@dataclass(frozen=True)
class Settings:
    rounds: int
    messages: int
    cold_runs: int


WARMUP = 20
FULL = Settings(rounds=15, messages=400, cold_runs=15)
QUICK = Settings(rounds=3, messages=50, cold_runs=3)


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        async for text in ws.iter_text():
            await ws.send_text(f"echo: {text}")

    return app


def message_scope(app: Any) -> dict[str, Any]:
    """The scope the Adapter gives the app for a MESSAGE event, caught on its way in."""
    caught: list[dict[str, Any]] = []

    async def catch(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            caught.append(scope)
        await app(scope, receive, send)

    handler = Adapter(catch, websocket_path="/ws", websocket_api=CapturedSends())
    handler(websocket_message_event(body=TEXT), FakeContext())
    return caught[0]


def bare(
    app: Any, loop: asyncio.AbstractEventLoop
) -> tuple[Callable[[], None], Callable[[], list[str]]]:
    """One message as the bare app gets it on ``loop``, and what it has sent since the last
    check."""
    scope = message_scope(app)
    sent: list[str] = []
    frames = (
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": TEXT},
        {"type": "websocket.disconnect", "code": END_OF_INVOCATION, "reason": "end of invocation"},
    )

    async def one() -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for frame in frames:
            queue.put_nowait(dict(frame))

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                sent.append(message["text"])

        await app(copy.copy(scope), queue.get, send)

    def check() -> list[str]:
        answer = sent[:]
        sent.clear()
        return answer

    return lambda: loop.run_until_complete(one()), check


def through_adapter(app: Any, *, store: bool) -> tuple[Callable[[], None], Callable[[], list[str]]]:
    captured = CapturedSends()
    handler = Adapter(
        app,
        websocket_path="/ws",
        websocket_api=captured,
        websocket_store=MemoryStore() if store else None,
    )
    context = FakeContext()
    if store:
        handler(websocket_connect_event(connection_id=CONNECTION), context)
    event = websocket_message_event(body=TEXT, connection_id=CONNECTION)

    def one() -> None:
        result = handler(event, context)
        if result != {"statusCode": 200}:
            raise BenchmarkError(f"the Adapter answered {result}")

    def check() -> list[str]:
        answer = captured.texts(CONNECTION)
        captured.sent.clear()
        return answer

    return one, check


def per_message(settings: Settings) -> dict[str, float]:
    """Median per-message microseconds of each variant."""
    loop = asyncio.new_event_loop()
    try:
        return _per_message(settings, loop)
    finally:
        loop.close()


def _per_message(settings: Settings, loop: asyncio.AbstractEventLoop) -> dict[str, float]:
    variants = {
        "bare": bare(echo_app(), loop),
        "adapter": through_adapter(echo_app(), store=False),
        "adapter_store": through_adapter(echo_app(), store=True),
    }
    for name, (one, check) in variants.items():
        for _ in range(WARMUP):  # the first calls start the loop and the lifespan
            one()
        if check() != [ECHO] * WARMUP:
            raise BenchmarkError(f"{name} did not echo every message once")
    means: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(settings.rounds):
        for name, (one, check) in variants.items():
            started = time.perf_counter()
            for _ in range(settings.messages):
                one()
            means[name].append((time.perf_counter() - started) / settings.messages * 1e6)
            if check() != [ECHO] * settings.messages:
                raise BenchmarkError(f"{name} did not echo every message once")
    return {name: statistics.median(values) for name, values in means.items()}


def baseline_tree(directory: Path) -> str:
    """Extract lambda_asgi as it was before WebSocket support into ``directory``; its commit."""
    added = _git("log", "--diff-filter=A", "--format=%H", "--", "lambda_asgi/ws_cycle.py")
    if not added:
        raise BenchmarkError("no commit adds lambda_asgi/ws_cycle.py: is the history shallow?")
    commit = _git("rev-parse", f"{added.split()[-1]}^")
    archive = subprocess.run(
        ["git", "archive", commit, "lambda_asgi"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return commit


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def cold_start(tree: Path, cache: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONPYCACHEPREFIX": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-c", "import asyncio\n" + CHILD],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BenchmarkError(f"the cold start in {tree} failed:\n{done.stderr}")
    sample: dict[str, Any] = json.loads(done.stdout)
    if sample["status"] != 200 or not Path(sample["file"]).is_relative_to(tree):
        raise BenchmarkError(f"the cold start in {tree} answered {sample}")
    return sample


def cold_starts(settings: Settings) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ws-") as scratch:
        base = Path(scratch) / "baseline"
        commit = baseline_tree(base)
        trees = {"baseline": base, "current": ROOT}
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        for run in range(settings.cold_runs + 1):
            for name, tree in trees.items():
                sample = cold_start(tree, Path(scratch) / f"cache-{name}")
                if run:  # the first run of each fills its bytecode cache
                    samples[name].append(sample)
    # lambda_asgi.testing builds the child's event: it is the benchmark's, not the HTTP path's.
    modules = {
        name: [m for m in samples[name][-1]["modules"] if not m.startswith("lambda_asgi.testing")]
        for name in trees
    }
    loaded = [m for m in modules["current"] if m.startswith((*WEBSOCKET_MODULES, "boto"))]
    if loaded:
        raise BenchmarkError(f"an HTTP-only cold start loaded WebSocket modules: {loaded}")
    return {
        "baseline_commit": commit,
        **{
            f"{name}_{key}": statistics.median(sample[key] for sample in samples[name])
            for name in trees
            for key in ("import_ms", "first_request_ms")
        },
        "modules_added": sorted(set(modules["current"]) - set(modules["baseline"])),
        "modules_removed": sorted(set(modules["baseline"]) - set(modules["current"])),
    }


def format_report(figures: dict[str, float], cold: dict[str, Any]) -> str:
    bare_us = figures["bare"]
    lines = ["one WebSocket message (FastAPI echo), median per-message microseconds"]
    for name, label in (("bare", "bare app"), ("adapter", "Adapter"), ("adapter_store", "+store")):
        lines.append(f"  {label:<10} {figures[name]:8.1f} us  {figures[name] / bare_us:5.2f}x")
    lines += [
        f"HTTP-only cold start, before WebSocket support ({cold['baseline_commit'][:7]}) / now",
        f"  import lambda_asgi     {cold['baseline_import_ms']:7.2f} ms / "
        f"{cold['current_import_ms']:7.2f} ms  "
        f"{cold['current_import_ms'] / cold['baseline_import_ms']:.2f}x",
        f"  first HTTP request     {cold['baseline_first_request_ms']:7.2f} ms / "
        f"{cold['current_first_request_ms']:7.2f} ms  "
        f"{cold['current_first_request_ms'] / cold['baseline_first_request_ms']:.2f}x",
        "  modules loaded now and not before: " + (", ".join(cold["modules_added"]) or "none"),
        "  WebSocket modules or boto3 loaded: none",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.websocket_message", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples, a few seconds")
    parser.add_argument("--json", metavar="PATH", help="write every figure to PATH")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    figures = per_message(settings)
    cold = cold_starts(settings)
    print(format_report(figures, cold))
    if args.json:
        document = {"settings": asdict(settings), "per_message_us": figures, "cold_start": cold}
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
