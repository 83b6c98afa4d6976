"""A FastAPI app with Powertools' Logger, served by a runtime subprocess in
tests/test_runtime_logs.py: ``/together/{n}`` logs, waits until ``n`` invocations are in flight
at once on the runtime's one event loop, and logs again."""

from __future__ import annotations

import asyncio

from aws_lambda_powertools import Logger
from fastapi import FastAPI

from lambda_asgi import Adapter
from lambda_asgi.powertools import Powertools

logger = Logger(service="together")
app = FastAPI()
in_flight = 0


@app.get("/together/{n}")
async def together(n: int) -> dict[str, int]:
    global in_flight
    logger.info("arrived")
    in_flight += 1
    try:
        for _ in range(500):
            if in_flight >= n:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # let the others see the count too
    finally:
        in_flight -= 1
    logger.info("leaving")
    return {"n": n}


handler = Adapter(app, powertools=Powertools(logger=logger))
