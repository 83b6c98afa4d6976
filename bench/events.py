"""The two Lambda events the benchmark replays, and the ASGI scope each one stands for.

An HTTP API payload 2.0 GET with a query string, cookies and the headers a browser and
API Gateway add; and a REST API (payload 1.0) POST carrying a 10 KB JSON document. The
prebuilt scope is what the "bare" floor hands the app directly, without any adapter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lambda_asgi.testing import FakeContext, http_api_event, rest_event

ITEM_ID = 42
LIMIT = 10
TAGS = ("a", "b")
SESSION = "3f9a1c"
GET_QUERY = f"limit={LIMIT}&" + "&".join(f"tag={tag}" for tag in TAGS)
COOKIES = (f"session={SESSION}", "theme=dark", "consent=yes")
# What a browser adds; the builders add what API Gateway adds (Host, X-Forwarded-*, the
# trace id), which makes about a dozen headers per event.
BROWSER_HEADERS = {
    "Accept": "application/json, text/plain, */*",
    "Accept-Encoding": "gzip, deflate, br",
    "Accept-Language": "en-GB,en;q=0.9",
    "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
    "Origin": "https://app.example.com",
    "Referer": "https://app.example.com/items",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
}
CLIENT_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "Authorization": BROWSER_HEADERS["Authorization"],
    "Content-Type": "application/json",
    "User-Agent": "python-httpx/0.28.1",
    "Via": "2.0 a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6.cloudfront.net (CloudFront)",
    "X-Amz-Cf-Id": "Yx0-cuLMqs3ScIKcFtxWLRyy07ifNBhEFlIz1mShbGg2Vfsw2rQ9yQ==",
}


def _json_document(size: int) -> tuple[bytes, int]:
    """A JSON object with an ``items`` list, at least ``size`` bytes long."""
    items: list[dict[str, Any]] = []
    encoded = b""
    while len(encoded) < size:
        index = len(items)
        items.append({"id": index, "name": f"item-{index}", "price": 9.99, "tags": ["new", "sale"]})
        encoded = json.dumps({"items": items}).encode()
    return encoded, len(items)


@dataclass(frozen=True)
class BenchEvent:
    """A Lambda event together with the equivalent ASGI scope and request body."""

    name: str
    event: dict[str, Any]
    scope: dict[str, Any]
    body: bytes
    items: int
    """How many entries the JSON body's ``items`` list holds (0 without a body)."""


def _scope(
    method: str, path: str, query: str, headers: list[tuple[bytes, bytes]], source_ip: str
) -> dict[str, Any]:
    host = next(value for name, value in headers if name == b"host").decode()
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": None,
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": (source_ip, 0),
        "server": (host, 443),
        "extensions": {},
    }


def http_api_get() -> BenchEvent:
    """HTTP API payload 2.0: ``GET /items/42?limit=10&tag=a&tag=b`` with cookies."""
    event = http_api_event(
        method="GET",
        path=f"/items/{ITEM_ID}",
        query=GET_QUERY,
        headers=BROWSER_HEADERS,
        cookies=list(COOKIES),
    )
    headers = [(name.encode(), value.encode()) for name, value in event["headers"].items()]
    headers.append((b"cookie", "; ".join(event["cookies"]).encode()))
    source_ip = event["requestContext"]["http"]["sourceIp"]
    scope = _scope("GET", event["rawPath"], event["rawQueryString"], headers, source_ip)
    return BenchEvent("http_api GET", event, scope, b"", 0)


def rest_post() -> BenchEvent:
    """REST API (payload 1.0): ``POST /items`` with a 10 KB JSON body."""
    body, items = _json_document(10 * 1024)
    event = rest_event(method="POST", path="/items", headers=CLIENT_HEADERS, body=body.decode())
    headers = [
        (name.lower().encode(), value.encode())
        for name, values in event["multiValueHeaders"].items()
        for value in values
    ]
    source_ip = event["requestContext"]["identity"]["sourceIp"]
    scope = _scope("POST", event["path"], "", headers, source_ip)
    return BenchEvent("rest POST", event, scope, body, items)


def build_events() -> list[BenchEvent]:
    """Both benchmark events, GET first."""
    return [http_api_get(), rest_post()]


class InvocationContext(FakeContext):
    """A context whose deadline is always a full timeout away, as each real invocation's is.

    One context serves a whole run, which lasts longer than a Lambda timeout: with a real
    countdown, the deadline guard would start cancelling every request still waiting (and
    timing 504 answers) halfway through."""

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


def context() -> FakeContext:
    """The Lambda context handed to every handler."""
    return InvocationContext()
