"""What the access log and the Powertools integration cost per invocation, in one run.

``python -m bench.observability`` times a FastAPI app whose route awaits an I/O-like call
(``asyncio.sleep(0)``) and logs one line, through HTTP API events, under four Adapters:

- ``quiet``: ``access_log=False`` and no Powertools (the baseline);
- ``access log``: the default, its line formatted and written as Lambda would (to a stream
  handler on the root logger, here a null stream);
- ``powertools``: ``Powertools(logger=..., metrics=...)`` with the access log: JSON log lines
  through the Logger with the correlation id, and EMF metrics flushed per invocation (to a
  null stream); the Tracer left out, as it needs the X-Ray daemon's socket;
- ``powertools+tracer``: the same plus the real Tracer in its Lambda mode, its subsegments
  sent over UDP to the daemon's address on loopback, as in Lambda.

It prints µs per invocation and each variant's ratio to the baseline measured in the same
interleaved run (two runs: Powertools takes over lambda_asgi's loggers for the whole process).
``--quick`` for a smoke run. Figures vary with the machine's load; the ratios are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .cases import BenchmarkError, Case
from .timing import FULL, QUICK, measure

VARIANTS = ("quiet", "access log", "powertools", "powertools+tracer")
TRACE = "Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938;Parent=53995c3f42cd8ad8;Sampled=1"


@contextlib.contextmanager
def _lambda_like_environment() -> Iterator[None]:
    """Environment and logging as in a Lambda function: a root handler (Lambda's), Powertools'
    service and namespace, and the X-Ray SDK in its Lambda mode, all restored afterwards."""
    from aws_xray_sdk.core import xray_recorder

    saved_env = dict(os.environ)
    # Every logger's setup: Powertools gives lambda_asgi's loggers its Logger's handler.
    loggers = [logging.getLogger(), *logging.getLogger().manager.loggerDict.values()]
    saved_loggers = [
        (logger, list(logger.handlers), logger.level, logger.propagate, logger.disabled)
        for logger in loggers
        if isinstance(logger, logging.Logger)
    ]
    saved_xray = (xray_recorder.context, xray_recorder.streaming_threshold)
    root = logging.getLogger()
    saved_stdout = sys.stdout
    os.environ.update(
        POWERTOOLS_SERVICE_NAME="bench",
        POWERTOOLS_METRICS_NAMESPACE="Bench",
        AWS_LAMBDA_FUNCTION_NAME="bench",
        LAMBDA_TASK_ROOT="/var/task",
        _X_AMZN_TRACE_ID=TRACE,
    )
    os.environ.pop("POWERTOOLS_TRACE_DISABLED", None)
    root.handlers[:] = [logging.StreamHandler(io.StringIO())]
    root.setLevel(logging.INFO)
    sys.stdout = io.StringIO()  # EMF metrics are printed
    try:
        yield
    finally:
        sys.stdout = saved_stdout
        for logger, handlers, level, propagate, disabled in saved_loggers:
            logger.handlers[:] = handlers
            logger.level, logger.propagate, logger.disabled = level, propagate, disabled
        for name in set(logging.getLogger().manager.loggerDict) - {
            logger.name for logger, *_ in saved_loggers
        }:
            created = logging.getLogger(name)
            created.handlers.clear()  # the run's Powertools loggers write to dropped streams
        xray_recorder.context, xray_recorder.streaming_threshold = saved_xray
        os.environ.clear()
        os.environ.update(saved_env)


def _app(logger: logging.Logger | Any) -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        await asyncio.sleep(0)  # the repository call every real route makes
        logger.info("looked up an item")
        return {"item": item_id}

    return app


_runs = iter(range(1_000_000))


def build_cases(variants: tuple[str, ...] = VARIANTS) -> list[Case]:
    """The cases of ``variants``. Powertools routes lambda_asgi's loggers through its Logger for
    the whole process, so the plain access-log variant is measured in a run of its own, before
    any Powertools Adapter exists (``main`` does so)."""
    from lambda_asgi import Adapter
    from lambda_asgi.testing import FakeContext, http_api_event

    plain_logger = logging.getLogger("bench.app")
    builders: dict[str, Callable[[], Adapter]] = {
        "quiet": lambda: Adapter(_app(plain_logger), lifespan="off", access_log=False),
        "access log": lambda: Adapter(_app(plain_logger), lifespan="off"),
    }
    if set(variants) & {"powertools", "powertools+tracer"}:
        from aws_lambda_powertools import Logger, Metrics, Tracer
        from aws_xray_sdk.core import xray_recorder
        from aws_xray_sdk.core.lambda_launcher import LambdaContext as XRayLambdaContext

        from lambda_asgi.powertools import Powertools

        xray_recorder.configure(context=XRayLambdaContext(), streaming_threshold=0, sampling=False)
        # Powertools configures the stdlib logger of a service once: a new name for each run.
        pt_logger = Logger(
            service=f"bench-{next(_runs)}", logger_handler=logging.StreamHandler(io.StringIO())
        )
        builders["powertools"] = lambda: Adapter(
            _app(pt_logger),
            lifespan="off",
            powertools=Powertools(logger=pt_logger, metrics=Metrics()),
        )
        builders["powertools+tracer"] = lambda: Adapter(
            _app(pt_logger),
            lifespan="off",
            powertools=Powertools(
                logger=pt_logger, metrics=Metrics(), tracer=Tracer(auto_patch=False)
            ),
        )
    event = http_api_event(path="/items/7")
    context = FakeContext()

    def check(result: Any) -> None:
        if result.get("statusCode") != 200 or result.get("body") != '{"item":7}':
            raise BenchmarkError(f"unexpected answer: {result!r:.200}")

    def call_of(adapter: Adapter) -> Callable[[], Any]:
        return lambda: adapter(event, context)

    return [
        Case("fastapi+io", "http_api GET", variant, call_of(builders[variant]()), check)
        for variant in variants
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.observability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    with _lambda_like_environment():
        # The access log's own level, as enable_access_log sets it on Lambda.
        logging.getLogger("lambda_asgi.access").setLevel(logging.INFO)
        # Two interleaved runs, each against its own quiet baseline: see build_cases.
        runs = [
            measure(build_cases(("quiet", "access log")), settings),
            measure(build_cases(("quiet", "powertools", "powertools+tracer")), settings),
        ]
    print("FastAPI route awaiting I/O, HTTP API GET: µs per invocation (median)")
    for measurements in runs:
        baseline = measurements[0].median_us
        for measurement in measurements[1:]:
            print(
                f"  {measurement.variant:<18} {measurement.median_us:8.1f} µs  "
                f"x{measurement.median_us / baseline:.3f} of quiet "
                f"({baseline:.1f} µs in the same run; spread {measurement.spread:.0%})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
