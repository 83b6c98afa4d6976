"""Serve an example app through the Lambda path and print what each front door gets back.

Run with ``scripts/demo`` (or ``python -m examples.demo``) for the FastAPI example, or name
another: ``python -m examples.demo django`` (one of ``EXAMPLES``). Each request is turned into
the event API Gateway, a Function URL or an ALB would send, handed to the example's
``handler`` exactly as Lambda's Python runtime would call it, and the result is printed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    function_url_event,
    http_api_event,
    rest_event,
)

EXAMPLES = {
    "fastapi": "examples.app",
    "starlette": "examples.starlette_app",
    "django": "examples.django_app",
    "litestar": "examples.litestar_app",
    "quart": "examples.quart_app",
    "falcon": "examples.falcon_app",
}
EventBuilder = Callable[..., dict[str, Any]]

REQUESTS: list[tuple[str, EventBuilder, dict[str, Any]]] = [
    (
        "REST API, stage /prod: GET /prod/items/1",
        rest_event,
        {"method": "GET", "path": "/items/1"},
    ),
    (
        "HTTP API: GET /items?tag=home&tag=office",
        http_api_event,
        {"method": "GET", "path": "/items", "query": [("tag", "home"), ("tag", "office")]},
    ),
    (
        "Function URL: POST /items (JSON)",
        function_url_event,
        {
            "method": "POST",
            "path": "/items",
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"name": "desk", "price": 99.0, "tags": ["office"]}),
        },
    ),
    (
        "ALB, multi-value headers: GET /items/7 (missing)",
        alb_event,
        {"method": "GET", "path": "/items/7", "multi_value": True},
    ),
]


def main(out: Any = sys.stdout, example: str = "fastapi") -> list[Mapping[str, Any]]:
    # Imported here: importing an example starts its app (the Lambda init phase).
    handler = importlib.import_module(EXAMPLES[example]).handler
    results = []
    for title, build, request in REQUESTS:
        event = build(**request)
        result = handler(event, FakeContext())
        results.append(result)
        print(f"== {title}", file=out)
        print(json.dumps(result, indent=2), file=out)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m examples.demo", description=__doc__)
    parser.add_argument("example", nargs="?", default="fastapi", choices=sorted(EXAMPLES))
    main(example=parser.parse_args().example)
