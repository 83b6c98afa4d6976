"""The floor under lambda_asgi's per-invocation cost: how much of its overhead is its shape.

``python -m bench.floor`` times, interleaved as :mod:`bench.invoke` does, the bare app,
``lambda_asgi(off)``, ``mangum(off)`` and ``floor``: a model adapter that does on the
benchmark's two events what lambda_asgi does on a request's common path, each step in its
cheapest form, in one coroutine with no helper calls:

- tells the front door apart (HTTP API 2.0 or REST) and refuses anything else;
- builds the scope: request headers as lowercase byte pairs (names from a bounded cache), the
  ``cookies`` list joined into one ``cookie`` header, ``content-length`` restored for a body,
  the base64 body decoded, the stage checked (HTTP API) or made the root path with the raw path
  beside the path (REST), query, HTTP version, scheme and server from the forwarding headers
  (parsed once per value set), client, a copy of the lifespan state and an ``aws.lambda``
  extension read when asked: the scope lambda_asgi gives the app, key for key;
- registers the request's task for the tasks it spawns;
- checks every message the app sends (order, types, status range, CR/LF/NUL in every response
  header not seen clean before, body type) and answers 500 when the app fails;
- builds the result: ``Set-Cookie`` set apart, repeated names refused, text or base64 by content
  type; checks the size bound (body and headers) and publishes the deadline guard's task and
  deadline as two attribute writes.

It handles those two events' shapes and nothing else (:class:`FloorError` for the rest): a
yardstick, not an adapter. What lambda_asgi spends beyond it is the price of its structure
(detection over a tuple of sources, per-source ``to_scope``/``to_response`` functions and their
helpers, the shared request cycle, the guards as functions) rather than of its behaviour.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import platform
import sys
import time
from asyncio import _get_running_loop
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from .apps import ASGIApp, Message, build_apps
from .cases import Case, build_cases, make_case
from .events import build_events, context
from .invoke import OVERHEAD_RATIO_TARGET
from .timing import FULL, QUICK, Measurement, Settings, measure

VARIANTS = ("bare", "floor", "lambda_asgi(off)", "mangum(off)")

_VERSIONS = {"HTTP/1.0": "1.0", "HTTP/1.1": "1.1", "HTTP/2.0": "2", "HTTP/2": "2"}
_LINE_BREAKERS = b"\r\n\0"
_LIMIT = 6 * 1024 * 1024
_PLAIN, _SET_COOKIE, _CONTENT_TYPE = 0, 1, 2


class FloorError(Exception):
    """Raised when the floor meets an event, message or response it does not model."""


class _Extension:
    """The ``aws.lambda`` extension in its cheapest form: what to read from, read when asked."""

    __slots__ = ("context", "source")

    def __init__(self, source: str, context: Any) -> None:
        self.source = source
        self.context = context


class _Watch:
    """What a deadline thread would read: the guarded task, its deadline, when it next looks."""

    task: asyncio.Task[Any] | None = None
    deadline = 0.0
    wake = float("inf")
    notified = 0


def floor_handler(
    app: ASGIApp, loop: asyncio.AbstractEventLoop, margin: float = 0.5
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda handler serving ``app`` on ``loop`` the floor's way (see the module doc)."""
    state: dict[str, Any] = {}
    names: dict[str, bytes] = {}  # request header name as sent -> lowercase bytes
    response_names: dict[bytes, tuple[str, int]] = {}  # response name -> (text, kind)
    clean: set[tuple[bytes, bytes]] = set()
    servers: dict[tuple[Any, Any, Any], tuple[str, tuple[str, int]]] = {}
    text_types: dict[str, bool] = {}
    requests: dict[asyncio.Task[Any], list[asyncio.Task[Any]]] = {}
    watch = _Watch()

    def learn(pairs: Sequence[tuple[Any, Any]]) -> None:
        for name, _ in pairs:
            if type(name) is not str or len(names) > 1024:
                raise FloorError(f"header name {name!r:.40}")
            names[name] = name.lower().encode("latin-1")

    def check_pair(pair: Any) -> None:
        if type(pair) is not tuple or len(pair) != 2:
            raise FloorError(f"header pair {pair!r:.40}")
        name, value = pair
        if type(name) is not bytes or type(value) is not bytes:
            raise FloorError(f"header pair {pair!r:.40}")
        both = name + value
        if len(both.translate(None, _LINE_BREAKERS)) != len(both):
            raise FloorError(f"CR, LF or NUL in header {name[:40]!r}")
        if len(value) <= 256:
            clean.add(pair)

    def response_name(raw: bytes) -> tuple[str, int]:
        text = raw.decode("latin-1").lower()
        kind = _PLAIN
        if text == "set-cookie":
            kind = _SET_COOKIE
        elif text == "content-type":
            kind = _CONTENT_TYPE
        known = response_names[raw] = (text, kind)
        return known

    async def serve(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            request_context = event.get("requestContext")
            if type(request_context) is not dict:
                raise FloorError("no requestContext")
            http = request_context.get("http")
            if type(http) is dict and event.get("version") == "2.0":
                rest = False
                raw = event["headers"]
                try:
                    headers = [
                        (names[n], v.encode() if v.isascii() else v.encode("latin-1"))
                        for n, v in raw.items()
                    ]
                except KeyError:
                    learn(list(raw.items()))
                    headers = [(names[n], v.encode("latin-1")) for n, v in raw.items()]
                cookies = event.get("cookies")
                if cookies:
                    if "cookie" in raw:
                        raise FloorError("a cookie header beside the cookies list")
                    headers.append((b"cookie", "; ".join(cookies).encode("latin-1")))
                look: dict[Any, Any] = raw
                length_key: Any = "content-length"
                host, port, proto = (
                    raw.get("host"),
                    raw.get("x-forwarded-port"),
                    raw.get("x-forwarded-proto"),
                )
                method = http["method"]
                path = event["rawPath"]
                raw_path = None
                root_path = ""
                query = event["rawQueryString"].encode()
                if request_context.get("stage") != "$default":
                    raise FloorError("a named stage")
                source_ip = http["sourceIp"]
                version = _VERSIONS[http["protocol"]]
            elif "httpMethod" in event and "version" not in event and "elb" not in request_context:
                rest = True
                multi = event["multiValueHeaders"]
                try:
                    headers = [
                        (names[n], v.encode() if v.isascii() else v.encode("latin-1"))
                        for n, [v] in multi.items()
                    ]
                except KeyError:
                    learn(list(multi.items()))
                    headers = [(names[n], v.encode("latin-1")) for n, [v] in multi.items()]
                look = dict(headers)
                length_key = b"content-length"
                host, port, proto = (
                    look.get(b"host"),
                    look.get(b"x-forwarded-port"),
                    look.get(b"x-forwarded-proto"),
                )
                method = event["httpMethod"]
                path = event["path"]
                if "%" in path:
                    raise FloorError("a percent-encoded path")
                # The execute-api domain serves the path under /{stage}, which the app gets
                # as its root path (requestContext.path is the stage and the path).
                stage = request_context.get("stage")
                if request_context.get("path") == f"/{stage}{path}":
                    root_path = f"/{stage}"
                    path = root_path + path
                else:
                    root_path = ""
                raw_path = path.encode()
                if event.get("multiValueQueryStringParameters"):
                    raise FloorError("a REST query")
                query = b""
                source_ip = request_context["identity"]["sourceIp"]
                version = _VERSIONS[request_context.get("protocol", "HTTP/1.1")]
            else:
                raise FloorError("neither HTTP API 2.0 nor REST")
            text_body = event.get("body")
            if not text_body:
                body = b""
            elif event.get("isBase64Encoded"):
                body = base64.b64decode(text_body, validate=True)
            else:
                body = text_body.encode()
            if body and length_key not in look:
                headers.append((b"content-length", str(len(body)).encode()))
            key = (host, port, proto)
            endpoint = servers.get(key)
            if endpoint is None:
                name = host.decode() if type(host) is bytes else host
                endpoint = servers[key] = ("https", (name, 443))
            scope = {
                "type": "http",
                "asgi": {"version": "3.0", "spec_version": "2.3"},
                "http_version": version,
                "method": method,
                "scheme": endpoint[0],
                "path": path,
                "raw_path": raw_path,
                "root_path": root_path,
                "query_string": query,
                "headers": headers,
                "client": (source_ip, 0),
                "server": endpoint[1],
                "extensions": {"aws.lambda": _Extension("rest" if rest else "http_api", context)},
                "state": state.copy(),
                "aws.event": event,
                "aws.context": context,
            }

            task = asyncio.current_task(loop)
            assert task is not None
            requests[task] = []
            status = 0
            response_headers: list[tuple[bytes, bytes]] = []
            chunks: list[bytes] = []
            delivered = started = complete = False

            async def receive() -> Message:
                nonlocal delivered
                if not delivered:
                    delivered = True
                    return {"type": "http.request", "body": body, "more_body": False}
                if not complete:
                    raise FloorError("receive() while the response is under way")
                return {"type": "http.disconnect"}

            async def send(message: Message) -> None:
                nonlocal status, response_headers, started, complete
                kind = message.get("type") if type(message) is dict else None
                if complete:
                    raise FloorError(f"{kind!r} after the response was complete")
                if started:
                    if kind != "http.response.body":
                        raise FloorError(f"{kind!r} instead of a body")
                    chunk = message.get("body", b"")
                    if type(chunk) is not bytes:
                        raise FloorError("a body that is not bytes")
                    if chunk:
                        chunks.append(chunk)
                    if not message.get("more_body", False):
                        complete = True
                    return
                if kind != "http.response.start":
                    raise FloorError(f"{kind!r} instead of the start")
                value = message.get("status")
                if type(value) is not int or not 100 <= value <= 599:
                    raise FloorError(f"status {value!r}")
                pairs = message.get("headers", ())
                if type(pairs) is not list or not clean.issuperset(pairs):
                    for pair in pairs:
                        check_pair(pair)
                status, response_headers, started = value, list(pairs), True

            try:
                await app(scope, receive, send)
            except Exception:
                complete = False
            finally:
                del requests[task]
            if not complete:
                return {"statusCode": 500, "body": "Internal Server Error"}

            single: dict[str, str] = {}
            set_cookies: list[str] = []
            content_type = None
            header_bytes = 0
            for raw_name, raw_value in response_headers:
                header_bytes += len(raw_name) + len(raw_value)
                known = response_names.get(raw_name)
                header, kind = response_name(raw_name) if known is None else known
                value_text = raw_value.decode("latin-1")
                if kind:
                    if kind == _SET_COOKIE:
                        set_cookies.append(value_text)
                        continue
                    content_type = value_text
                if header in single:
                    raise FloorError(f"repeated header {header!r}")
                single[header] = value_text
            payload = b"".join(chunks)
            if 6 * len(payload) + 6 * header_bytes + 64 * len(response_headers) + 256 > _LIMIT:
                raise FloorError("a result over the size limit")
            if content_type is None:
                text = False
            else:
                found = text_types.get(content_type)
                if found is None:
                    found = text_types[content_type] = content_type.startswith(
                        ("text/", "application/json")
                    )
                text = found
            if text:
                body_text, encoded = payload.decode(), False
            else:
                body_text, encoded = base64.b64encode(payload).decode("ascii"), True
            if rest:
                return {
                    "statusCode": status,
                    "headers": single,
                    "multiValueHeaders": {"Set-Cookie": set_cookies} if set_cookies else {},
                    "body": body_text,
                    "isBase64Encoded": encoded,
                }
            return {
                "statusCode": status,
                "headers": single,
                "cookies": set_cookies,
                "body": body_text,
                "isBase64Encoded": encoded,
            }
        finally:
            loop.stop()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if _get_running_loop() is not None:
            raise FloorError("called inside a running event loop")
        task = asyncio.Task(serve(event, context), loop=loop)
        deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - margin
        watch.task, watch.deadline = task, deadline
        if deadline < watch.wake:
            watch.notified += 1  # where a sleeping deadline thread would be woken
        while not task.done():
            loop.run_forever()
        watch.task = None
        return task.result()

    return handler


@contextmanager
def floor_cases() -> Iterator[list[Case]]:
    """bench.invoke's bare, lambda_asgi(off) and mangum(off) cases, and a floor case for every
    app and event, on a loop of the floor's own."""
    loop = asyncio.new_event_loop()
    try:
        with build_cases() as cases:
            lambda_context = context()
            floors = [
                make_case(
                    app,
                    event,
                    "floor",
                    partial(floor_handler(app.app, loop), event.event, lambda_context),
                )
                for app in build_apps()
                for event in build_events()
            ]
            yield [case for case in cases if case.variant in VARIANTS] + floors
    finally:
        loop.close()


def format_report(measurements: Sequence[Measurement], settings: Settings) -> str:
    """µs per invocation, overheads over bare, and each overhead as a fraction of Mangum's."""
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for m in measurements:
        rows.setdefault((m.app, m.event), {})[m.variant] = m.median_us
    lines = [
        f"lambda_asgi's floor: Python {platform.python_version()}, median of "
        f"{settings.repeats} interleaved batches per case",
        "",
        f"{'app':<11} {'event':<13} {'bare µs':>8} {'floor ovh':>10} {'la(off) ovh':>12} "
        f"{'mangum ovh':>11} {'floor/mangum':>13} {'la/mangum':>10}",
    ]
    for (app, event), us in rows.items():
        floor, la, mangum = (us[v] - us["bare"] for v in VARIANTS[1:])
        lines.append(
            f"{app:<11} {event:<13} {us['bare']:>8.1f} {floor:>10.1f} {la:>12.1f} {mangum:>11.1f} "
            f"{floor / mangum:>13.2f} {la / mangum:>10.2f}"
        )
    lines.append(f"(bench.invoke's overhead target: at most {OVERHEAD_RATIO_TARGET} of Mangum's)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds, fewer samples")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    with floor_cases() as cases:
        measurements = measure(cases, settings)
    print(format_report(measurements, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
