"""Serve the example app through the Lambda path and print what each front door gets back.

Run with ``scripts/demo`` (or ``python -m examples.demo``). Each request is turned into the
event API Gateway, a Function URL or an ALB would send, handed to ``examples.app.handler``
exactly as Lambda's Python runtime would call it, and the result dictionary is printed.
"""

from __future__ import annotations

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

from .app import handler

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


def main(out: Any = sys.stdout) -> list[Mapping[str, Any]]:
    results = []
    for title, build, request in REQUESTS:
        event = build(**request)
        result = handler(event, FakeContext())
        results.append(result)
        print(f"== {title}", file=out)
        print(json.dumps(result, indent=2), file=out)
    return results


if __name__ == "__main__":
    main()
