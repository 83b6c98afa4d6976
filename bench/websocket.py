"""Benchmark of the first WebSocket send: what boto3's import and the Management API client
add to the first message an execution environment posts, against the messages after it, and
proof that an HTTP-only app's ``import lambda_asgi`` does not pay for any of it.

    .venv/bin/python -m bench.websocket            # about 30 s
    .venv/bin/python -m bench.websocket --quick    # a few seconds

Every sample is a fresh interpreter (a new execution environment) posting to
:class:`FakeConnectionsEndpoint`, a local stand-in for a stage's ``@connections`` endpoint
reached through ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``, exactly as boto3 reaches
``lambda-asgi serve`` or an emulator. Two kinds of child alternate: ``cold`` times the first
``ManagementAPI.post`` as an app's first send runs it (boto3 imported and the client made
inside it); ``parts`` times the same steps one by one (``import boto3``, the client, the first
request with its TCP connection). Both then time ``sends`` later posts on the reused client.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from .importcost import parse_importtime

ROOT = Path(__file__).resolve().parent.parent
CONNECTION = "L0SM9cOFvHcCIhw="
MESSAGE = b'{"action": "chat", "text": "hello"}'
CONNECTION_DOCUMENT = {
    "connectedAt": "2026-12-05T07:00:00.000Z",
    "identity": {"sourceIp": "127.0.0.1", "userAgent": "bench"},
    "lastActiveAt": "2026-12-05T07:00:01.000Z",
}


class BenchmarkError(Exception):
    """Raised when a child process or the fake endpoint does not behave as expected."""


class FakeConnectionsEndpoint:
    """A stage's ``@connections`` endpoint on 127.0.0.1: POST and DELETE answer 200, GET a
    connection document, each under any path prefix; ids in ``gone`` answer 410 as API
    Gateway does. ``requests`` records ``(method, path, body)`` with the id decoded.
    """

    def __init__(self, gone: Iterable[str] = ()) -> None:
        self.gone = set(gone)
        self.requests: list[tuple[str, str, bytes]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as boto3's pooled connections expect

            def do_POST(self) -> None:
                self._answer()

            def do_GET(self) -> None:
                self._answer()

            def do_DELETE(self) -> None:
                self._answer()

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                _, marker, connection_id = self.path.partition("/@connections/")
                endpoint.requests.append((self.command, unquote(self.path), body))
                if not marker:
                    self._reply(404, {"message": "Not Found"})
                elif unquote(connection_id) in endpoint.gone:
                    self._reply(410, {"message": "Gone"}, error="GoneException")
                elif self.command == "GET":
                    self._reply(200, CONNECTION_DOCUMENT)
                else:
                    self._reply(200, None)

            def _reply(self, status: int, document: Any, error: str = "") -> None:
                payload = b"" if document is None else json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the benchmark and the tests read ``requests`` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeConnectionsEndpoint:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@dataclass(frozen=True)
class Settings:
    samples: int
    """Fresh interpreters of each kind."""
    sends: int
    """Later posts timed in each interpreter."""
    import_runs: int


FULL = Settings(samples=15, sends=50, import_runs=9)
QUICK = Settings(samples=3, sends=10, import_runs=3)


def child_environment(endpoint_url: str) -> dict[str, str]:
    """What a child needs to reach the fake endpoint: the endpoint and dummy credentials."""
    return {
        **os.environ,
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": endpoint_url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def child(kind: str, sends: int) -> dict[str, Any]:
    """One sample, in a fresh interpreter: milliseconds per step of the first send, then of
    each later send."""
    import asyncio

    from lambda_asgi.websocket import management_api

    loop = asyncio.new_event_loop()
    figures: dict[str, Any] = {"kind": kind}
    if "boto3" in sys.modules:
        raise BenchmarkError("boto3 was imported before the first send")
    api = management_api(None)
    if kind == "parts":
        start = time.perf_counter()
        import boto3  # noqa: F401  # timed: the import the first send would pay

        figures["import_ms"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        api._client_now()
        figures["client_ms"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    loop.run_until_complete(api.post(CONNECTION, MESSAGE))
    figures["first_ms"] = (time.perf_counter() - start) * 1000
    later = []
    for _ in range(sends):
        start = time.perf_counter()
        loop.run_until_complete(api.post(CONNECTION, MESSAGE))
        later.append((time.perf_counter() - start) * 1000)
    figures["later_ms"] = later
    loop.close()
    return figures


def _run_child(kind: str, settings: Settings, endpoint: FakeConnectionsEndpoint) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.websocket", "--child", kind, "--sends", str(settings.sends)],
        cwd=ROOT,
        env=child_environment(endpoint.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if completed.returncode != 0:
        raise BenchmarkError(f"the {kind} child failed: {completed.stderr.strip()}")
    figures: dict[str, Any] = json.loads(completed.stdout)
    return figures


@dataclass(frozen=True)
class Results:
    settings: Settings
    samples: list[dict[str, Any]]
    posts: int
    """Requests the fake endpoint received, each checked."""
    lambda_asgi_import_ms: float
    websocket_import_ms: float
    imported_by_lambda_asgi: list[str]
    """Modules that ``import lambda_asgi`` loads from the websocket package or boto3: none."""

    def median(self, kind: str, key: str) -> float:
        return statistics.median(
            float(sample[key]) for sample in self.samples if sample["kind"] == kind
        )

    @property
    def later_ms(self) -> float:
        return statistics.median(float(ms) for sample in self.samples for ms in sample["later_ms"])

    def figures(self) -> dict[str, float]:
        first = self.median("cold", "first_ms")
        return {
            "first_send_ms": first,
            "later_send_ms": self.later_ms,
            "first_over_later": first / self.later_ms,
            "first_extra_ms": first - self.later_ms,
            "import_boto3_ms": self.median("parts", "import_ms"),
            "client_ms": self.median("parts", "client_ms"),
            "first_request_ms": self.median("parts", "first_ms"),
            "lambda_asgi_import_ms": self.lambda_asgi_import_ms,
            "websocket_import_ms": self.websocket_import_ms,
            "websocket_over_lambda_asgi_import": (
                self.websocket_import_ms / self.lambda_asgi_import_ms
            ),
        }


def measure_imports(runs: int) -> tuple[float, float, list[str]]:
    """Medians of ``import lambda_asgi`` and of ``import lambda_asgi.websocket`` after it, in
    fresh interpreters, and what the first pulled in of the websocket package or boto3."""
    program = (
        "import asyncio; import gc; gc.collect(); import lambda_asgi; import lambda_asgi.websocket"
    )
    core, websocket = [], []
    loaded: set[str] = set()
    for _ in range(runs + 1):  # the first run fills the bytecode cache
        completed = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", program],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        top: dict[str, int] = {}
        under: list[str] = []
        for entry in parse_importtime(completed.stderr):
            under.append(entry.name)
            if entry.level == 0:
                top[entry.name] = entry.cumulative_us
                if entry.name == "lambda_asgi":
                    loaded.update(
                        name
                        for name in under
                        if name.startswith(("lambda_asgi.websocket", "boto3", "botocore"))
                    )
                under = []
        core.append(top["lambda_asgi"] / 1000)
        websocket.append(top["lambda_asgi.websocket"] / 1000)
    return statistics.median(core[1:]), statistics.median(websocket[1:]), sorted(loaded)


def run(settings: Settings) -> Results:
    samples = []
    with FakeConnectionsEndpoint() as endpoint:
        for _ in range(settings.samples):
            for kind in ("cold", "parts"):
                samples.append(_run_child(kind, settings, endpoint))
        expected = ("POST", f"/@connections/{CONNECTION}", MESSAGE)
        wrong = [request for request in endpoint.requests if request != expected]
        if wrong or len(endpoint.requests) != 2 * settings.samples * (settings.sends + 1):
            raise BenchmarkError(f"the endpoint got unexpected requests: {wrong[:3]}")
        posts = len(endpoint.requests)
    core, websocket, loaded = measure_imports(settings.import_runs)
    return Results(settings, samples, posts, core, websocket, loaded)


def format_report(results: Results) -> str:
    figures = results.figures()
    lines = [
        f"first WebSocket send, {results.settings.samples} fresh interpreters per figure "
        f"({results.posts} posts to a local @connections endpoint)",
        f"  first send (boto3 import + client + request)  {figures['first_send_ms']:8.2f} ms",
        f"  later sends (median)                          {figures['later_send_ms']:8.2f} ms",
        f"  first / later                                 {figures['first_over_later']:8.1f}x",
        "  the first send's parts:",
        f"    import boto3                                {figures['import_boto3_ms']:8.2f} ms",
        f"    make the apigatewaymanagementapi client     {figures['client_ms']:8.2f} ms",
        f"    first request (new TCP connection)          {figures['first_request_ms']:8.2f} ms",
        "import cost (median of fresh interpreters, -X importtime)",
        f"  import lambda_asgi                            "
        f"{figures['lambda_asgi_import_ms']:8.2f} ms",
        f"  import lambda_asgi.websocket after it         "
        f"{figures['websocket_import_ms']:8.2f} ms "
        f"({figures['websocket_over_lambda_asgi_import']:.2f}x of lambda_asgi's)",
        "  websocket package or boto3 modules imported by `import lambda_asgi`: "
        + (", ".join(results.imported_by_lambda_asgi) or "none"),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.websocket", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples, a few seconds")
    parser.add_argument("--json", metavar="PATH", help="write every figure to PATH")
    parser.add_argument("--child", choices=("cold", "parts"), help=argparse.SUPPRESS)
    parser.add_argument("--sends", type=int, default=FULL.sends, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.sends)))
        return 0
    results = run(QUICK if args.quick else FULL)
    print(format_report(results))
    if args.json:
        document = {
            "settings": asdict(results.settings),
            "figures": results.figures(),
            "samples": results.samples,
            "imported_by_lambda_asgi": results.imported_by_lambda_asgi,
        }
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
