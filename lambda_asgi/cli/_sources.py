"""The front doors the CLI can play, and the client request its options describe.

Each source is one entry: a name, a summary for ``--help``, the ``lambda_asgi.testing``
builder that makes its events, the reader that turns its results back into HTTP, and the
builder keyword naming the public host, if the client's ``Host`` header does not already (``serve``
passes the local server's host there, so URLs the app builds point back at it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple

from ..testing import (
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
)
from ._app import CliError
from ._http import (
    ResultReader,
    alb_result,
    edge_result,
    http_api_result,
    http_api_v1_result,
    lattice_result,
    rest_result,
)


class CliSource(NamedTuple):
    name: str
    summary: str
    build: Callable[..., dict[str, Any]]
    read_result: ResultReader
    host_keyword: str | None


_DOMAIN = "domain_name"
# fmt: off
SOURCES: Mapping[str, CliSource] = {source.name: source for source in (
    CliSource("rest", "API Gateway REST API", rest_event, rest_result, _DOMAIN),
    CliSource("http-api", "API Gateway HTTP API, payload 2.0", http_api_event, http_api_result,
              _DOMAIN),
    CliSource("http-api-v1", "API Gateway HTTP API, payload 1.0",
              partial(http_api_event, payload_version="1.0"), http_api_v1_result, _DOMAIN),
    CliSource("function-url", "Lambda Function URL", function_url_event, http_api_result, None),
    CliSource("alb", "Application Load Balancer", alb_event, alb_result, None),
    CliSource("alb-multi", "Application Load Balancer, multi-value headers",
              partial(alb_event, multi_value=True), alb_result, None),
    CliSource("edge", "Lambda@Edge, origin request", edge_event, edge_result,
              "distribution_domain"),
    CliSource("edge-viewer", "Lambda@Edge, viewer request",
              partial(edge_event, event_type="viewer-request"), edge_result, None),
    CliSource("lattice", "VPC Lattice, event version 2", lattice_event, lattice_result, None),
    CliSource("lattice-v1", "VPC Lattice, event version 1", partial(lattice_event, version=1),
              lattice_result, None),
)}
# fmt: on
DEFAULT_SOURCE = "http-api"
WEBSOCKET = "websocket"
"""The source only ``serve`` plays: a WebSocket API (:mod:`._websocket`)."""


def sources_help(*, serve: bool = False) -> str:
    """The epilog listing every source, for ``--help`` (with ``serve``'s own)."""
    summaries = {name: source.summary for name, source in SOURCES.items()}
    if serve:
        summaries[WEBSOCKET] = "API Gateway WebSocket API, with its @connections endpoint"
    width = max(len(name) for name in summaries)
    lines = [f"  {name:<{width}}  {summary}" for name, summary in summaries.items()]
    return "sources:\n" + "\n".join(lines)


def for_adapter_source(name: str) -> CliSource | None:
    """The CLI source for a name :func:`lambda_asgi.sources.detect` gave (``http_api``)."""
    return SOURCES.get(name.replace("_", "-"))


def add_request_options(parser: argparse.ArgumentParser) -> None:
    """The client request options, shared by ``invoke`` and ``event``."""
    group = parser.add_argument_group("request (what the client sends)")
    group.add_argument("-X", "--method", help="HTTP method (default: GET)")
    group.add_argument(
        "--path", help="path as sent on the wire, percent-encoded; may end in ?query (default: /)"
    )
    group.add_argument(
        "-q", "--query", action="append", help="raw query string, e.g. 'a=1&a=2' (repeatable)"
    )
    group.add_argument(
        "-H", "--header", action="append", metavar="'NAME: VALUE'", help="header (repeatable)"
    )
    group.add_argument(
        "-b", "--cookie", action="append", metavar="NAME=VALUE", help="cookie (repeatable)"
    )
    body = group.add_mutually_exclusive_group()
    body.add_argument("-d", "--body", help="request body, as text")
    body.add_argument("--body-file", metavar="FILE", help="request body read from FILE (- stdin)")
    group.add_argument("--source-ip", metavar="IP", help="the client's address")


REQUEST_OPTIONS = ("method", "path", "query", "header", "cookie", "body", "body_file", "source_ip")


def request_from(args: argparse.Namespace) -> dict[str, Any]:
    """The builder keywords for the request the options describe."""
    path, _, inline_query = (args.path or "/").partition("?")
    if not path.startswith("/"):
        raise CliError(f"--path must start with '/', got {args.path!r}")
    query = "&".join(q for q in (inline_query, *(args.query or ())) if q)
    request: dict[str, Any] = {
        "method": (args.method or "GET").upper(),
        "path": path,
        "query": query or None,
        "headers": [_header(text) for text in args.header or ()] or None,
        "cookies": args.cookie,
        "body": args.body if args.body_file is None else _read_body(args.body_file),
    }
    if args.source_ip:
        request["source_ip"] = args.source_ip
    return request


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name or name != name.strip() or " " in name:
        raise CliError(f"--header must look like 'Name: value', got {text!r}")
    return name, value.strip()


def _read_body(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as exc:
        raise CliError(f"cannot read the body file {path!r}: {exc.strerror}") from exc


def without_headers(event: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """``event`` less the headers ``names`` (lowercase), wherever its front door puts them:
    ``headers`` and ``multiValueHeaders``, or CloudFront's ``cf.request.headers``."""
    records = event.get("Records")
    places = [event.get("headers"), event.get("multiValueHeaders")]
    if records:
        places.append(records[0]["cf"]["request"]["headers"])
    for headers in places:
        if headers:
            for name in [name for name in headers if name.lower() in names]:
                del headers[name]
    return event
