"""Apps with plain ``def`` endpoints, for the tests of a process's exit (tests/test_exit.py):
FastAPI and Starlette run such endpoints on anyio's worker threads, which are not daemons.

Each lifespan writes ``<name>: startup`` and ``<name>: shutdown`` lines on stderr, so a test can
see that the shutdown ran before the process ended. ``GET /sync`` answers from a worker thread,
``GET /async`` from the event loop. The CLI and the runtime wrap them in ``Adapter(app)``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _on_worker_thread() -> bool:
    return threading.current_thread() is not threading.main_thread()


@asynccontextmanager
async def _fastapi_lifespan(app: FastAPI) -> AsyncIterator[None]:
    _say("fastapi: startup")
    yield
    _say("fastapi: shutdown")


fastapi_app = FastAPI(lifespan=_fastapi_lifespan)


@fastapi_app.get("/sync")
def fastapi_sync() -> dict[str, Any]:
    return {"sync": True, "worker_thread": _on_worker_thread()}


@fastapi_app.get("/async")
async def fastapi_async() -> dict[str, Any]:
    return {"sync": False, "worker_thread": _on_worker_thread()}


def starlette_sync(request: Request) -> JSONResponse:
    return JSONResponse({"sync": True, "worker_thread": _on_worker_thread()})


async def starlette_async(request: Request) -> JSONResponse:
    return JSONResponse({"sync": False, "worker_thread": _on_worker_thread()})


@asynccontextmanager
async def _starlette_lifespan(app: Starlette) -> AsyncIterator[None]:
    _say("starlette: startup")
    yield
    _say("starlette: shutdown")


starlette_app = Starlette(
    routes=[Route("/sync", starlette_sync), Route("/async", starlette_async)],
    lifespan=_starlette_lifespan,
)
