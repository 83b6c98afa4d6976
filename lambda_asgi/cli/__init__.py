"""The ``lambda-asgi`` command: invoke a handler once, print an event, or serve over HTTP.

``invoke`` runs one invocation in this process and prints the Lambda result as JSON on stdout
(logs and the app's prints go to stderr, so stdout pipes into ``jq``); ``event`` prints the
event a front door would send; ``serve`` runs a local server on uvicorn (:mod:`.serve`, the
``serve`` extra) that turns each request into that front door's event, or plays a WebSocket
API with its ``@connections`` endpoint (:mod:`._websocket`). Mistakes in the command line,
the event file or the APP argument are one line on stderr and exit status 2, never a
traceback.

Imported only by the console script: ``import lambda_asgi`` never loads it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from typing import Any, NoReturn

from .. import __version__
from ..exceptions import LambdaAsgiError, UnsupportedEventError
from ..sources import detect
from ..testing import FakeContext
from ._app import CliError, load_handler, read_event
from ._http import answer, render
from ._sources import (
    DEFAULT_SOURCE,
    REQUEST_OPTIONS,
    SOURCES,
    WEBSOCKET,
    CliSource,
    add_request_options,
    for_adapter_source,
    request_from,
    sources_help,
)
from ._websocket import WebSocketAPI, management_environment
from ._ws_events import RouteSelection
from .serve import LocalServer, listen

__all__ = ["main"]

EXIT_INVOCATION_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = _parser().parse_args(argv)
    with _stderr_logging():
        try:
            status = int(args.run(args))
            sys.stdout.flush()
            return status
        except CliError as exc:
            if args.traceback:
                traceback.print_exc()
            print(f"lambda-asgi: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            # The reader went away (`| head`): point stdout at /dev/null, as the Python docs
            # advise, so that the flush at exit does not fail a second time.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return EXIT_INVOCATION_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lambda-asgi",
        description="Run a Lambda handler or ASGI app locally, the way AWS front doors call it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    common = _Parser(add_help=False)
    common.add_argument(
        "--traceback", action="store_true", help="show the traceback behind an error"
    )
    layout: dict[str, Any] = {
        "parents": [common],
        "epilog": sources_help(),
        "formatter_class": _Formatter,
    }

    invoke = commands.add_parser(
        "invoke",
        help="run one invocation and print the Lambda result",
        description="Run one invocation in this process and print the result as JSON on "
        "stdout; logs go to stderr. The event comes from --event or is built from the "
        "request options for --source.",
        **layout,
    )
    invoke.add_argument("app", metavar="APP", help=_APP_HELP)
    invoke.add_argument("--event", metavar="FILE", help="read the event from FILE (- for stdin)")
    invoke.add_argument(
        "--source",
        choices=SOURCES,
        metavar="SOURCE",
        help=f"front door to build the event for, one of those below ({DEFAULT_SOURCE})",
    )
    invoke.add_argument(
        "--pretty",
        action="store_true",
        help="print the HTTP response the client would get, body decoded",
    )
    add_request_options(invoke)
    invoke.set_defaults(run=_invoke)

    event = commands.add_parser(
        "event",
        help="print the event a front door sends for a request",
        description="Print the event SOURCE sends to Lambda for the request the options describe.",
        **layout,
    )
    event.add_argument("source", metavar="SOURCE", choices=SOURCES, help="one of the sources below")
    add_request_options(event)
    event.set_defaults(run=_event)

    serve = commands.add_parser(
        "serve",
        help="serve APP over HTTP the way a front door calls it",
        description="A local server (uvicorn, from the serve extra): each request becomes "
        "SOURCE's event, the handler runs, and its result goes back as SOURCE would send it. "
        "With --source websocket, a WebSocket API with its @connections endpoint. One "
        "access-log line per request on stderr.",
        **{**layout, "epilog": sources_help(serve=True)},
    )
    serve.add_argument("app", metavar="APP", help=_APP_HELP)
    serve.add_argument(
        "--source",
        choices=[*SOURCES, WEBSOCKET],
        default=DEFAULT_SOURCE,
        metavar="SOURCE",
        help="front door to play, one of those below (%(default)s)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (%(default)s)")
    serve.add_argument(
        "--port", type=int, default=3000, help="port (%(default)s); 0 picks a free one"
    )
    serve.add_argument(
        "--reload", action="store_true", help="restart when a .py file under the cwd changes"
    )
    websocket = serve.add_argument_group("WebSocket API (--source websocket)")
    websocket.add_argument(
        "--route-selection",
        metavar="EXPRESSION",
        help="the API's route selection expression (default: $request.body.action)",
    )
    websocket.add_argument(
        "--routes",
        metavar="ROUTES",
        help="the API's custom route keys, comma-separated (default: any value is a route)",
    )
    websocket.add_argument(
        "--two-way",
        metavar="ROUTES",
        help="routes whose result body goes back to the client, comma-separated "
        "(e.g. '$default,echo')",
    )
    serve.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # the reloader's socket
    serve.set_defaults(run=_serve)
    return parser


class _Formatter(argparse.HelpFormatter):
    def _fill_text(self, text: str, width: int, indent: str) -> str:
        # The epilog is a table whose lines must stay as they are; the rest is prose.
        return text if "\n" in text else super()._fill_text(text, width, indent)


_APP_HELP = (
    "module:attribute of an Adapter, a handler(event, context) or an ASGI app "
    "(e.g. examples.app:handler); imported from the current directory"
)


@contextmanager
def _stderr_logging() -> Iterator[None]:
    """Send log records (lambda_asgi's and the app's) to stderr, at INFO and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _invoke(args: argparse.Namespace) -> int:
    source, event = _event_for(args)
    handler = load_handler(args.app)
    try:
        with redirect_stdout(sys.stderr):
            result = handler(event, FakeContext())
    except LambdaAsgiError as exc:  # the adapter refusing the event: a mistake in the input
        raise CliError(str(exc)) from exc
    except Exception as exc:
        traceback.print_exc()
        print(json.dumps(_lambda_error(exc), indent=2))
        return EXIT_INVOCATION_FAILED
    try:
        text = json.dumps(result, indent=2)
    except (TypeError, ValueError) as exc:
        print(f"lambda-asgi: Lambda cannot serialize the handler's result: {exc}", file=sys.stderr)
        return EXIT_INVOCATION_FAILED
    if args.pretty:
        source = source or _detected(event)
        if source is not None:
            text = render(answer(source.read_result, json.loads(text), event))
    print(text)
    return 0


def _event_for(args: argparse.Namespace) -> tuple[CliSource | None, Any]:
    if args.event is None:
        source = SOURCES[args.source or DEFAULT_SOURCE]
        return source, source.build(**request_from(args))
    given = [name for name in ("source", *REQUEST_OPTIONS) if getattr(args, name) is not None]
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        raise CliError(f"--event gives the whole event: drop {options}")
    return None, read_event(args.event)


def _detected(event: Any) -> CliSource | None:
    try:
        return for_adapter_source(detect(event).name)
    except UnsupportedEventError:
        return None


def _lambda_error(exc: Exception) -> dict[str, Any]:
    """The result Lambda's Python runtime reports for a handler that raised."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _event(args: argparse.Namespace) -> int:
    print(json.dumps(SOURCES[args.source].build(**request_from(args)), indent=2))
    return 0


def _serve(args: argparse.Namespace) -> int:
    websocket = _websocket_api(args)
    stop = threading.Event()
    if args.reload:
        from ._reload import Reloader

        reloader = Reloader(child_arguments(args), args.host, args.port)
        with _StopOnSignals(stop):
            reloader.run(stop)
        return 0
    if args.fd is not None:
        sock = socket.socket(fileno=args.fd)
    else:
        try:
            sock = listen(args.host, args.port)
        except OSError as exc:
            raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    endpoint = None
    if websocket is not None:  # before the import: handlers often make their client there
        endpoint = management_environment(*sock.getsockname()[:2])
    source = None if websocket else SOURCES[args.source]
    try:
        server = LocalServer(load_handler(args.app), source, sock=sock, websocket=websocket)
    except BaseException:
        sock.close()
        raise
    print(
        f"lambda-asgi: serving {args.app} as {args.source} on {server.url} (Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    if endpoint is not None:
        print(
            f"lambda-asgi: @connections endpoint {endpoint} "
            "(AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI for the handler)",
            file=sys.stderr,
            flush=True,
        )
    with _StopOnSignals(stop):
        server.serve(stop)
    return 0


_WEBSOCKET_OPTIONS = ("route_selection", "routes", "two_way")


def child_arguments(args: argparse.Namespace) -> list[str]:
    """The command line of the server process ``--reload`` restarts."""
    child = ["serve", args.app, "--source", args.source]
    for option in _WEBSOCKET_OPTIONS:
        if getattr(args, option) is not None:
            child += ["--" + option.replace("_", "-"), getattr(args, option)]
    return child + ["--traceback"] * args.traceback


def _websocket_api(args: argparse.Namespace) -> WebSocketAPI | None:
    """The WebSocket API the options describe, or None for an HTTP source."""
    given = [name for name in _WEBSOCKET_OPTIONS if getattr(args, name) is not None]
    if args.source != WEBSOCKET:
        if given:
            options = ", ".join("--" + name.replace("_", "-") for name in given)
            raise CliError(f"{options} only apply to --source websocket")
        return None
    selection = RouteSelection(
        args.route_selection or "$request.body.action",
        None if args.routes is None else _route_keys(args.routes),
    )
    return WebSocketAPI(selection, _route_keys(args.two_way or ""))


def _route_keys(text: str) -> frozenset[str]:
    return frozenset(key.strip() for key in text.split(",") if key.strip())


class _StopOnSignals:
    """SIGTERM and Ctrl-C end serving cleanly (the lifespan shutdown then runs at exit)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.previous: Any = None

    def __enter__(self) -> None:
        self.previous = signal.signal(signal.SIGTERM, lambda signum, frame: self.stop.set())

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        signal.signal(signal.SIGTERM, self.previous)
        return kind is KeyboardInterrupt
