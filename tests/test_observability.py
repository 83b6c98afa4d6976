"""Logs, traces and metrics: the access log, the ``aws.lambda`` scope extension, Lambda's JSON
log format, and the Powertools Logger, Tracer and Metrics, the real ones (no mocks of them)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.data_classes import (
    ALBEvent,
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
    LambdaFunctionUrlEvent,
    VPCLatticeEvent,
    VPCLatticeEventV2,
)
from awslambdaric.lambda_runtime_log_utils import JsonFormatter as LambdaJsonFormatter
from fastapi import Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from lambda_asgi import Adapter, ConfigurationError
from lambda_asgi import logs as logs_module
from lambda_asgi.powertools import Powertools, correlation_id, event_of
from lambda_asgi.runtime.context import _TraceEnviron, install_trace_environ
from lambda_asgi.runtime.log_format import (
    JsonFormatter,
    RequestIdFilter,
    configure_runtime_logging,
)
from lambda_asgi.testing import (
    CapturedSends,
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
    websocket_connect_event,
    websocket_message_event,
)
from tests.conftest import AdapterFactory

REQUEST_ID = FakeContext().aws_request_id
TRACE = "Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"
APIGW_ID = "Ob7xKgXnIAMEb1Q="

# Every front door, the event of GET /items/7 through it, the path the app sees (with the
# stage as root path where there is one), and the id the front door gave the request.
FRONT_DOORS: list[tuple[str, Callable[[], dict[str, Any]], str, str | None]] = [
    ("rest", lambda: rest_event(path="/items/7"), "/prod/items/7", None),
    ("http_api", lambda: http_api_event(path="/items/7"), "/items/7", APIGW_ID),
    (
        "http_api_v1",
        lambda: http_api_event(path="/items/7", payload_version="1.0"),
        "/items/7",
        None,
    ),
    ("function_url", lambda: function_url_event(path="/items/7"), "/items/7", None),
    ("alb", lambda: alb_event(path="/items/7"), "/items/7", TRACE),
    ("edge", lambda: edge_event(path="/items/7"), "/items/7", None),
    (
        "lattice",
        lambda: lattice_event(path="/items/7", headers={"X-Amzn-Trace-Id": TRACE}),
        "/items/7",
        TRACE,
    ),
    ("lattice_v1", lambda: lattice_event(path="/items/7", version=1), "/items/7", None),
]


def request_id_of(event: dict[str, Any]) -> str | None:
    """The request id API Gateway (and Function URLs) put in the event, or CloudFront's."""
    if "Records" in event:
        return event["Records"][0]["cf"]["config"]["requestId"]  # type: ignore[no-any-return]
    return event.get("requestContext", {}).get("requestId")  # type: ignore[no-any-return]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access() -> Iterator[Callable[[], list[logging.LogRecord]]]:
    """The access log on, and its records (collected on the logger itself: some frameworks,
    Litestar among them, replace the root logger's handlers when they start)."""
    logger = logging.getLogger("lambda_asgi.access")
    level = logger.level
    logger.setLevel(logging.INFO)
    collected = Records()
    logger.addHandler(collected)
    yield lambda: collected.records
    logger.removeHandler(collected)
    logger.setLevel(level)


FIELDS = ("source", "method", "path", "route", "status", "response_bytes")


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The access-log fields of a record (its duration checked and left out: it varies)."""
    duration = record.__dict__["duration_ms"]
    assert isinstance(duration, float)
    assert duration >= 0
    return {name: record.__dict__[name] for name in FIELDS}


def item_app() -> Starlette:
    async def item(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(f"item {request.path_params['item_id']}")

    return Starlette(routes=[Route("/items/{item_id}", item)])


# -- the access log ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "build", "path", "front_id"), FRONT_DOORS, ids=[door[0] for door in FRONT_DOORS]
)
def test_one_access_line_per_request_through_every_front_door(
    make_adapter: AdapterFactory,
    access: Callable[[], list[logging.LogRecord]],
    source: str,
    build: Callable[[], dict[str, Any]],
    path: str,
    front_id: str | None,
) -> None:
    make_adapter(item_app(), lifespan="off")(build(), FakeContext())
    [record] = access()
    assert (record.levelno, fields(record)) == (
        logging.INFO,
        {
            "source": source,
            "method": "GET",
            "path": path,
            "route": "/items/{item_id}",
            "status": 200,
            "response_bytes": 6,
        },
    )
    duration = record.__dict__["duration_ms"]
    assert record.getMessage() == (
        f"GET {path} 200 {duration:.2f}ms 6B route=/items/{{item_id}} source={source}"
    )


def test_the_route_template_includes_mount_prefixes_and_unmatched_paths_have_none(
    make_adapter: AdapterFactory, access: Callable[[], list[logging.LogRecord]]
) -> None:
    app = Starlette(routes=[Mount("/api", routes=item_app().routes)])
    handler = make_adapter(app, lifespan="off")
    handler(rest_event(path="/api/items/3"), FakeContext())
    handler(rest_event(path="/nowhere"), FakeContext())
    assert [(fields(record)["route"], fields(record)["status"]) for record in access()] == [
        ("/api/items/{item_id}", 200),
        (None, 404),
    ]
    assert access()[1].getMessage().endswith(" route=- source=rest")


def test_fastapi_sync_and_async_routes_name_their_templates(
    make_adapter: AdapterFactory, access: Callable[[], list[logging.LogRecord]]
) -> None:
    app = FastAPI()

    @app.get("/users/{user_id}/orders/{order_id}")
    async def order(user_id: int, order_id: int) -> dict[str, int]:
        return {"user": user_id, "order": order_id}

    @app.post("/sync/{name}")
    def sync(name: str) -> dict[str, str]:
        return {"name": name}

    handler = make_adapter(app, lifespan="off")
    handler(http_api_event(path="/users/1/orders/2"), FakeContext())
    handler(http_api_event(method="POST", path="/sync/x"), FakeContext())
    assert [fields(record) for record in access()] == [
        {
            "source": "http_api",
            "method": "GET",
            "path": "/users/1/orders/2",
            "route": "/users/{user_id}/orders/{order_id}",
            "status": 200,
            "response_bytes": len(b'{"user":1,"order":2}'),
        },
        {
            "source": "http_api",
            "method": "POST",
            "path": "/sync/x",
            "route": "/sync/{name}",
            "status": 200,
            "response_bytes": len(b'{"name":"x"}'),
        },
    ]


def test_litestar_and_django_route_templates(access: Callable[[], list[logging.LogRecord]]) -> None:
    from examples import litestar_app
    from examples.django_app import asgi as django_asgi

    litestar_app.handler(http_api_event(path="/items/404404"), FakeContext())
    django_asgi.handler(http_api_event(path="/items/404404"), FakeContext())
    assert [(fields(record)["route"], fields(record)["status"]) for record in access()] == [
        ("/items/{item_id}", 404),
        ("/items/<int:item_id>", 404),
    ]


def test_a_head_answer_logs_no_body_bytes_and_a_bad_request_logs_no_access_line(
    make_adapter: AdapterFactory, access: Callable[[], list[logging.LogRecord]]
) -> None:
    handler = make_adapter(item_app(), lifespan="off")
    handler(http_api_event(method="HEAD", path="/items/1"), FakeContext())
    handler(rest_event(body="%%%", base64=True), FakeContext())  # refused before the app
    assert [fields(record)["response_bytes"] for record in access()] == [0]


def test_access_log_off(
    make_adapter: AdapterFactory, access: Callable[[], list[logging.LogRecord]]
) -> None:
    make_adapter(item_app(), lifespan="off", access_log=False)(
        http_api_event(path="/items/1"), FakeContext()
    )
    assert access() == []
    with pytest.raises(ConfigurationError) as raised:
        Adapter(item_app(), lifespan="off", access_log="yes")  # type: ignore[arg-type]
    assert raised.value.option == "access_log"


def test_the_access_log_is_at_info_unless_the_user_or_lambda_set_a_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger = logging.getLogger("lambda_asgi.access")
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    monkeypatch.delenv("AWS_LAMBDA_LOG_LEVEL", raising=False)
    logs_module.enable_access_log()
    assert logger.level == logging.INFO
    logger.setLevel(logging.ERROR)  # the user's choice stands
    logs_module.enable_access_log()
    assert logger.level == logging.ERROR
    logger.setLevel(logging.NOTSET)
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "WARN")  # Lambda's log-level control decides
    logs_module.enable_access_log()
    assert logger.level == logging.NOTSET


def test_lambdas_json_log_format_makes_the_fields_keys(
    make_adapter: AdapterFactory, access: Callable[[], list[logging.LogRecord]]
) -> None:
    """What ``AWS_LAMBDA_LOG_FORMAT=JSON`` prints under the managed runtime (its formatter)."""
    make_adapter(item_app(), lifespan="off")(http_api_event(path="/items/7"), FakeContext())
    [record] = access()
    # As Lambda's handler gets it: fresh (pytest's formatter added asctime), with the request
    # id that awslambdaric's filter sets on every record.
    fresh = {k: v for k, v in record.__dict__.items() if k not in ("asctime", "message")}
    fresh["aws_request_id"] = REQUEST_ID
    document = json.loads(LambdaJsonFormatter().format(logging.makeLogRecord(fresh)))
    document.pop("taskName", None)  # Python 3.12+ names the task a record was logged in
    assert document.pop("timestamp")
    assert document.pop("duration_ms") == record.__dict__["duration_ms"]
    assert document == {
        "level": "INFO",
        "message": record.getMessage(),
        "logger": "lambda_asgi.access",
        "requestId": REQUEST_ID,
        "source": "http_api",
        "method": "GET",
        "path": "/items/7",
        "route": "/items/{item_id}",
        "status": 200,
        "response_bytes": 6,
    }


def test_a_route_error_is_logged_as_the_apps(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("no such item")

    result = make_adapter(app, lifespan="off")(http_api_event(path="/boom"), FakeContext())
    assert result["statusCode"] == 500  # Starlette answers 500, then re-raises for the server
    [record] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert (record.getMessage(), record.__dict__["fault"]) == (
        "app error: the ASGI app raised after its response was complete; the response is "
        f"returned as sent (GET /boom, aws_request_id={REQUEST_ID})",
        "app",
    )


# -- the aws.lambda extension --------------------------------------------------------------


def test_the_scope_tells_the_invocations_lambda_facts(
    make_adapter: AdapterFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["extensions"]["aws.lambda"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    context = FakeContext(tenant_id="tenant-42")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)
    make_adapter(app, lifespan="off")(alb_event(), context)
    token = logs_module.trace_id.set("Root=1-0-from-the-runtime")
    try:
        make_adapter(app, lifespan="off")(alb_event(), context)
    finally:
        logs_module.trace_id.reset(token)
    expected = {
        "source": "alb",
        "request_id": REQUEST_ID,
        "function_arn": context.invoked_function_arn,
        "tenant_id": "tenant-42",
        "trace_id": TRACE,
        "remaining_time_ms": context.get_remaining_time_in_millis,
    }
    assert seen == [expected, {**expected, "trace_id": "Root=1-0-from-the-runtime"}]
    assert 0 < seen[0]["remaining_time_ms"]() <= context.timeout_ms


# -- lambda_asgi's runtime logs like the managed runtime -----------------------------------


@pytest.fixture
def bare_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], logging.Logger]]:
    """Empties the root logger's handlers (the runtime's starting point), when called from the
    test itself (pytest adds capture handlers after fixtures), and restores them afterwards."""
    root = logging.getLogger()

    def empty() -> logging.Logger:
        monkeypatch.setattr(root, "handlers", [])
        monkeypatch.setattr(root, "level", root.level)
        return root

    yield empty


def added(root: logging.Logger) -> logging.Handler:
    """The one handler configure_runtime_logging added."""
    [handler] = root.handlers
    return handler


def record_of(message: str, *args: Any, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("lambda_asgi", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_runtime_json_log_lines(
    bare_root: Callable[[], logging.Logger], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "WARN")
    root = bare_root()
    configure_runtime_logging()
    handler = added(root)
    assert root.level == logging.WARNING
    assert isinstance(handler.formatter, JsonFormatter)
    record = record_of("bad %s", "thing", route="/items/{id}", status=400)
    token = logs_module.request_id.set("req-1")
    try:
        assert handler.filter(record)
    finally:
        logs_module.request_id.reset(token)
    document = json.loads(handler.format(record))
    assert document.pop("timestamp").endswith("Z")
    assert document == {
        "level": "WARNING",
        "message": "bad thing",
        "logger": "lambda_asgi",
        "requestId": "req-1",
        "route": "/items/{id}",
        "status": 400,
    }


def test_runtime_json_log_lines_carry_exceptions() -> None:
    try:
        raise KeyError("gone")
    except KeyError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    document = json.loads(JsonFormatter().format(record))
    assert (document["errorType"], document["errorMessage"], len(document["stackTrace"])) == (
        "KeyError",
        "'gone'",
        1,
    )
    assert "requestId" not in document  # outside an invocation: left out, as Lambda does


def test_runtime_text_log_lines(
    bare_root: Callable[[], logging.Logger], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_LOG_LEVEL", raising=False)
    root = bare_root()
    configure_runtime_logging()
    handler = added(root)
    record = record_of("hello")
    RequestIdFilter().filter(record)
    record.aws_request_id = "req-2"
    line = handler.format(record)
    assert line.split("\t")[0] == "[WARNING]"
    assert line.split("\t")[2:] == ["req-2", "lambda_asgi", "hello"]
    assert root.level == logging.INFO


def test_runtime_logging_leaves_an_apps_own_setup_alone(
    bare_root: Callable[[], logging.Logger],
) -> None:
    root = bare_root()
    mine = logging.NullHandler()
    root.addHandler(mine)
    configure_runtime_logging()
    assert root.handlers == [mine]


def test_trace_id_per_invocation_under_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "environ", os.environ)  # restored after the test
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=process-wide")
    install_trace_environ()
    install_trace_environ()  # once is enough
    assert isinstance(os.environ, _TraceEnviron)

    async def invocation(trace: str) -> tuple[str | None, bool]:
        logs_module.trace_id.set(trace)
        await asyncio.sleep(0)  # the other invocation runs in between
        return os.getenv("_X_AMZN_TRACE_ID"), "_X_AMZN_TRACE_ID" in os.environ

    async def both() -> list[tuple[str | None, bool]]:
        return list(await asyncio.gather(invocation("Root=a"), invocation("Root=b")))

    assert asyncio.run(both()) == [("Root=a", True), ("Root=b", True)]
    assert os.environ["_X_AMZN_TRACE_ID"] == "Root=process-wide"  # outside an invocation
    os.environ["OTHER"] = "shared"  # writes reach the one storage
    assert os.environ.copy()["OTHER"] == "shared"


# -- Powertools: its decorators around an Adapter -------------------------------------------


@pytest.fixture
def powertools_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "shop")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Shop")


@pytest.fixture
def powertools_logger(powertools_env: None) -> Iterator[tuple[Logger, io.StringIO]]:
    """A Powertools Logger writing JSON lines to a buffer. Powertools keeps one stdlib logger
    per service name and configures it once, so each test gets a service of its own."""
    stream = io.StringIO()
    name = f"shop-{next(_services)}"
    yield Logger(service=name, logger_handler=logging.StreamHandler(stream)), stream
    logging.getLogger(name).handlers.clear()


_services = iter(range(1_000_000))


class Emitter:
    """Collects what the X-Ray SDK would send to the daemon."""

    def __init__(self) -> None:
        self.entities: list[dict[str, Any]] = []

    def send_entity(self, entity: Any) -> None:
        self.entities.append(entity.to_dict())

    def set_daemon_address(self, address: Any) -> None:
        pass

    @property
    def ip(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return 2000


@pytest.fixture
def xray(monkeypatch: pytest.MonkeyPatch, powertools_env: None) -> Iterator[Emitter]:
    """The real X-Ray SDK, as it runs in Lambda (a facade segment from the trace header),
    sending to a recorder instead of the daemon."""
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core import xray_recorder
    from aws_xray_sdk.core.lambda_launcher import LambdaContext as XRayLambdaContext

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "shop")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"{TRACE};Parent=53995c3f42cd8ad8;Sampled=1")
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    emitter = Emitter()
    # Tracer keeps one configuration for all its instances, and a disabled one turns the whole
    # X-Ray SDK off: a Tracer made outside Lambda earlier in the session (the docs make one)
    # leaves both disabled.
    Tracer._reset_config()  # type: ignore[no-untyped-call]
    enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)
    previous = (xray_recorder.context, xray_recorder.emitter, xray_recorder.streaming_threshold)
    xray_recorder.configure(
        context=XRayLambdaContext(), emitter=emitter, streaming_threshold=0, sampling=False
    )
    yield emitter
    xray_recorder.context, xray_recorder.emitter = previous[:2]
    xray_recorder.streaming_threshold = previous[2]
    global_sdk_config.set_sdk_enabled(enabled)
    Tracer._reset_config()  # type: ignore[no-untyped-call]


def subsegments(emitter: Emitter) -> list[dict[str, Any]]:
    """Every subsegment sent, nested ones flattened after their parent."""
    found: list[dict[str, Any]] = []

    def walk(entity: dict[str, Any]) -> None:
        found.append(entity)
        for child in entity.get("subsegments", []):
            walk(child)

    for entity in emitter.entities:
        walk(entity)
    return found


def fastapi_items(logger: Logger | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        if logger is not None:
            logger.info("looking up an item", extra={"item_id": item_id})
        await asyncio.sleep(0)
        return {"item": item_id}

    @app.get("/sync/{item_id}")
    def sync_item(item_id: int) -> dict[str, int]:
        if logger is not None:
            logger.info("looking up an item", extra={"item_id": item_id})
        return {"item": item_id}

    return app


DECORATORS = ["logger", "tracer", "metrics"]


@pytest.mark.parametrize(
    "order",
    [["logger", "tracer", "metrics"], ["metrics", "tracer", "logger"], ["tracer", "logger"]],
    ids=lambda order: "-".join(order),
)
def test_powertools_decorators_wrap_an_adapter_in_any_order(
    make_adapter: AdapterFactory,
    xray: Emitter,
    capsys: pytest.CaptureFixture[str],
    powertools_logger: tuple[Logger, io.StringIO],
    order: list[str],
) -> None:
    logger, stream = powertools_logger
    tracer = Tracer(auto_patch=False)  # patching botocore would outlive the test
    metrics = Metrics()
    handler: Any = make_adapter(fastapi_items(logger), lifespan="off")
    decorate: dict[str, Callable[[Any], Any]] = {
        "logger": logger.inject_lambda_context,
        "tracer": tracer.capture_lambda_handler,
        "metrics": lambda h: metrics.log_metrics(h, capture_cold_start_metric=True),
    }
    for name in order:
        handler = decorate[name](handler)
    if "metrics" in order:  # no metrics added: Powertools says so, and flushes the cold start
        with pytest.warns(UserWarning, match="No application metrics to publish"):
            result = handler(http_api_event(path="/items/7"), FakeContext())
    else:
        result = handler(http_api_event(path="/items/7"), FakeContext())
    assert (result["statusCode"], result["body"]) == (200, '{"item":7}')
    line = json.loads(stream.getvalue().splitlines()[0])
    assert (line["message"], line["function_request_id"]) == ("looking up an item", REQUEST_ID)
    assert "## handler" in [entity["name"] for entity in subsegments(xray)]
    # Metrics printed at most its cold start metric (once per process): nothing else was added
    emf = [json.loads(out) for out in capsys.readouterr().out.splitlines()]
    assert [document["ColdStart"] for document in emf] in ([], [[1.0]])


def test_a_decorated_handler_function_around_an_adapter(
    make_adapter: AdapterFactory, xray: Emitter
) -> None:
    tracer = Tracer(auto_patch=False)  # patching botocore would outlive the test
    adapter = make_adapter(fastapi_items(), lifespan="off")

    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> Any:
        return adapter(event, context)

    assert handler(http_api_event(path="/sync/3"), FakeContext())["statusCode"] == 200
    assert [entity["name"] for entity in subsegments(xray)] == ["## handler"]


# -- Powertools: Adapter(app, powertools=...) -----------------------------------------------


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def reset_lambda_asgi_loggers() -> Iterator[None]:
    """copy_config_to_registered_loggers gives lambda_asgi the Logger's handler: undo it."""
    logger = logging.getLogger("lambda_asgi")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield
    logger.handlers[:] = saved[0]
    logger.propagate, logger.level = saved[1], saved[2]


@pytest.mark.parametrize(
    ("source", "build", "path", "front_id"), FRONT_DOORS, ids=[door[0] for door in FRONT_DOORS]
)
@pytest.mark.parametrize("route", ["items", "sync"])
def test_every_line_of_a_request_carries_its_correlation_id(
    make_adapter: AdapterFactory,
    powertools_logger: tuple[Logger, io.StringIO],
    reset_lambda_asgi_loggers: None,
    access: Callable[[], list[logging.LogRecord]],
    source: str,
    build: Callable[[], dict[str, Any]],
    path: str,
    front_id: str | None,
    route: str,
) -> None:
    logger, stream = powertools_logger
    handler = make_adapter(
        fastapi_items(logger), lifespan="off", powertools=Powertools(logger=logger)
    )
    event = build()
    path = path.replace("items", route)
    if source == "rest":
        event = rest_event(path=f"/{route}/7")
    elif source == "http_api_v1":
        event = http_api_event(path=f"/{route}/7", payload_version="1.0")
    else:
        event = json.loads(json.dumps(event).replace("/items/7", f"/{route}/7"))
    expected_id = front_id or request_id_of(event)
    result = handler(event, FakeContext())
    assert result["status" if source == "edge" else "statusCode"] in (200, "200")
    app_line, access_line = json_lines(stream)
    assert {key: app_line[key] for key in ("message", "item_id", "service")} == {
        "message": "looking up an item",
        "item_id": 7,
        "service": logger.service,
    }
    for line in (app_line, access_line):  # Powertools leaves out keys whose value is None
        assert (line.get("correlation_id"), line["function_request_id"]) == (
            expected_id,
            REQUEST_ID,
        )
    assert (access_line["name"], access_line["route"], access_line["path"]) == (
        "lambda_asgi.access",
        f"/{route}/{{item_id}}",
        path,
    )
    logging.getLogger("lambda_asgi.runtime").warning("after the request")
    after = json_lines(stream)[-1]
    assert (after["message"], "correlation_id" in after) == ("after the request", False)


async def _hangs(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await asyncio.sleep(5)


def test_powertools_request_past_its_deadline_answers_504(
    make_adapter: AdapterFactory,
    powertools_logger: tuple[Logger, io.StringIO],
    reset_lambda_asgi_loggers: None,
) -> None:
    logger, stream = powertools_logger
    handler = make_adapter(_hangs, lifespan="off", powertools=Powertools(logger=logger))
    event = http_api_event(path="/slow")
    result = handler(event, FakeContext(timeout_ms=60))
    assert result == {
        "statusCode": 504,
        "headers": {"content-type": "text/plain; charset=utf-8", "content-length": "15"},
        "cookies": [],
        "body": "Gateway Timeout",
        "isBase64Encoded": False,
    }
    [line] = json_lines(stream)
    message = line.pop("message")
    assert re.fullmatch(
        r"request still running \d+ ms after it started, 500 ms before the Lambda deadline: "
        rf"cancelled it and answered 504 \(GET /slow, aws_request_id={REQUEST_ID}\)",
        message,
    )
    del line["timestamp"], line["location"]
    line.pop("taskName", None)  # Python 3.12+ names the task a record was logged in
    assert line == {
        "level": "ERROR",
        "service": logger.service,
        "name": "lambda_asgi",
        "correlation_id": request_id_of(event),
        "function_request_id": REQUEST_ID,
    }


def test_powertools_request_cancelled_from_outside_is_not_a_timeout(
    make_adapter: AdapterFactory,
    powertools_logger: tuple[Logger, io.StringIO],
    reset_lambda_asgi_loggers: None,
) -> None:
    logger, stream = powertools_logger
    adapter = make_adapter(_hangs, lifespan="off", powertools=Powertools(logger=logger))

    async def main() -> None:
        handling = asyncio.ensure_future(adapter.handle(http_api_event(), FakeContext()))
        await asyncio.sleep(0.01)
        handling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await handling

    asyncio.run(main())
    assert json_lines(stream) == []


def test_concurrent_requests_never_share_correlation_ids(
    make_adapter: AdapterFactory,
    powertools_logger: tuple[Logger, io.StringIO],
    reset_lambda_asgi_loggers: None,
) -> None:
    logger, stream = powertools_logger
    arrived = 0
    both_in = asyncio.Event()
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        nonlocal arrived
        logger.info("before", extra={"item_id": item_id})
        arrived += 1
        if arrived == 2:
            both_in.set()
        await both_in.wait()  # both requests are in flight on the one loop
        logger.info("after", extra={"item_id": item_id})
        return {"item": item_id}

    adapter = make_adapter(app, lifespan="off", powertools=Powertools(logger=logger))

    async def serve() -> None:
        events = [http_api_event(path=f"/items/{n}", request_id=f"req-{n}") for n in (1, 2)]
        contexts = [FakeContext(aws_request_id=f"invocation-{n}") for n in (1, 2)]
        await asyncio.gather(*(adapter.handle(e, c) for e, c in zip(events, contexts, strict=True)))

    asyncio.run(serve())
    lines = [line for line in json_lines(stream) if "item_id" in line]
    assert sorted(
        (line["message"], line["item_id"], line["correlation_id"], line["function_request_id"])
        for line in lines
    ) == [
        ("after", 1, "req-1", "invocation-1"),
        ("after", 2, "req-2", "invocation-2"),
        ("before", 1, "req-1", "invocation-1"),
        ("before", 2, "req-2", "invocation-2"),
    ]


def test_one_subsegment_per_request_with_its_annotations(
    make_adapter: AdapterFactory, xray: Emitter
) -> None:
    tracer = Tracer(auto_patch=False)  # patching botocore would outlive the test
    app = fastapi_items()

    @app.get("/traced")
    async def traced() -> dict[str, str]:
        await inner()
        return {"ok": "yes"}

    @tracer.capture_method
    async def inner() -> None:
        await asyncio.sleep(0)

    handler = make_adapter(app, lifespan="off", powertools=Powertools(tracer=tracer))
    handler(http_api_event(path="/items/9"), FakeContext())
    handler(http_api_event(path="/traced"), FakeContext())
    handler(http_api_event(path="/missing"), FakeContext())
    [inner_name] = [
        entity["name"] for entity in subsegments(xray) if entity["name"].endswith(".inner")
    ]
    found = [(entity["name"], entity.get("annotations")) for entity in subsegments(xray)]
    assert found == [  # in the order they closed, each sent as it closed
        (
            "## GET /items/{item_id}",
            {"route": "/items/{item_id}", "method": "GET", "status": 200, "ColdStart": True},
        ),
        (inner_name, None),  # the app's own subsegment, inside the request's
        (
            "## GET /traced",
            {"route": "/traced", "method": "GET", "status": 200, "ColdStart": False},
        ),
        (
            "## GET /missing",
            {"route": "/missing", "method": "GET", "status": 404, "ColdStart": False},
        ),
    ]
    by_name = {entity["name"]: entity for entity in subsegments(xray)}
    assert by_name[inner_name]["parent_id"] == by_name["## GET /traced"]["id"]


def test_request_metrics_by_route_flushed_per_invocation_as_emf(
    make_adapter: AdapterFactory, powertools_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = Metrics()
    app = fastapi_items()

    @app.get("/fail")
    async def fail() -> None:
        raise RuntimeError("down")

    handler = make_adapter(app, lifespan="off", powertools=Powertools(metrics=metrics))
    handler(http_api_event(path="/items/1"), FakeContext())
    handler(http_api_event(path="/items/x"), FakeContext())  # 422 from FastAPI
    handler(http_api_event(path="/fail"), FakeContext())
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    cold, *requests = documents
    assert (cold["ColdStart"], cold["function_name"], cold["service"]) == (
        [1.0],
        "my-function",
        "shop",
    )
    for document in requests:
        [directive] = document.pop("_aws")["CloudWatchMetrics"]
        assert directive == {
            "Namespace": "Shop",
            "Dimensions": [["route", "method", "service"]],
            "Metrics": [
                {"Name": "Requests", "Unit": "Count"},
                {"Name": "Latency", "Unit": "Milliseconds"},
                {"Name": "4xx", "Unit": "Count"},
                {"Name": "5xx", "Unit": "Count"},
            ],
        }
        [latency] = document.pop("Latency")
        assert latency >= 0
    assert requests == [
        {"route": "/items/{item_id}", "method": "GET", "service": "Shop" if False else "shop",
         "Requests": [1.0], "4xx": [0.0], "5xx": [0.0]},
        {"route": "/items/{item_id}", "method": "GET", "service": "shop",
         "Requests": [1.0], "4xx": [1.0], "5xx": [0.0]},
        {"route": "/fail", "method": "GET", "service": "shop",
         "Requests": [1.0], "4xx": [0.0], "5xx": [1.0]},
    ]  # fmt: skip


def test_powertools_options_are_checked(powertools_env: None) -> None:
    for option in ("logger", "tracer", "metrics"):
        with pytest.raises(ConfigurationError) as raised:
            options: dict[str, Any] = {option: object()}
            Powertools(**options)
        assert raised.value.option == option
    with pytest.raises(ConfigurationError) as raised:
        Adapter(item_app(), lifespan="off", powertools=Logger())  # type: ignore[arg-type]
    assert raised.value.option == "powertools"


def test_correlation_ids_of_odd_events() -> None:
    assert correlation_id("edge", {"Records": []}, []) is None
    assert correlation_id("alb", {}, [(b"host", b"x")]) is None
    assert correlation_id("http_api", {"requestContext": []}, []) is None


# -- the typed Powertools event, one call away ---------------------------------------------


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (rest_event, APIGatewayProxyEvent),
        (lambda **kw: http_api_event(payload_version="1.0", **kw), APIGatewayProxyEvent),
        (http_api_event, APIGatewayProxyEventV2),
        (function_url_event, LambdaFunctionUrlEvent),
        (alb_event, ALBEvent),
        (lattice_event, VPCLatticeEventV2),
        (lambda **kw: lattice_event(version=1, **kw), VPCLatticeEvent),
    ],
)
def test_the_typed_event_as_a_fastapi_dependency(
    make_adapter: AdapterFactory, build: Callable[..., dict[str, Any]], kind: type[Any]
) -> None:
    app = FastAPI()

    def lambda_event(request: Request) -> Any:
        return event_of(request.scope)

    @app.get("/whoami")
    async def whoami(event: Any = Depends(lambda_event)) -> dict[str, str]:  # noqa: B008
        return {"kind": type(event).__name__, "path": event.path}

    result = make_adapter(app, lifespan="off")(build(path="/whoami"), FakeContext())
    assert json.loads(result["body"])["kind"] == kind.__name__


def test_no_typed_event_for_edge_or_a_foreign_scope(make_adapter: AdapterFactory) -> None:
    scopes: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scopes.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    make_adapter(app, lifespan="off")(edge_event(), FakeContext())
    with pytest.raises(ConfigurationError, match="no event data class for the 'edge'"):
        event_of(scopes[0])
    with pytest.raises(ConfigurationError, match="not a scope lambda_asgi built"):
        event_of({"type": "http", "extensions": {}})


# -- WebSocket events ------------------------------------------------------------------------


def chat_app(logger: Logger | None = None) -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def chat(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            async for text in websocket.iter_text():
                if logger is not None:
                    logger.info("message", extra={"text": text})
                await websocket.send_text(f"echo: {text}")
        except WebSocketDisconnect:
            pass

    return app


def test_websocket_events_get_access_lines_and_the_lambda_extension(
    make_adapter: AdapterFactory, access: Callable[[], list[logging.LogRecord]]
) -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["extensions"]["aws.lambda"])
        await receive()
        await send({"type": "websocket.accept"})

    sends = CapturedSends()
    handler = make_adapter(app, lifespan="off", websocket_api=sends, websocket_path="/ws")
    context = FakeContext()
    assert handler(websocket_connect_event(), context) == {"statusCode": 200}
    make_adapter(chat_app(), lifespan="off", websocket_api=sends, websocket_path="/ws")(
        websocket_message_event(body="hi"), context
    )
    assert seen == [
        {
            "source": "websocket",
            "request_id": REQUEST_ID,
            "function_arn": context.invoked_function_arn,
            "tenant_id": None,
            "trace_id": None,
            "remaining_time_ms": context.get_remaining_time_in_millis,
        }
    ]
    assert [fields(record) for record in access()] == [
        {
            "source": "websocket",
            "method": "$connect",
            "path": "/prod/ws",  # the stage is the root path on the execute-api domain
            "route": None,
            "status": 200,
            "response_bytes": 0,
        },
        {
            "source": "websocket",
            "method": "$default",
            "path": "/prod/ws",
            "route": "/ws",
            "status": 200,
            "response_bytes": 0,
        },
    ]


def test_websocket_lines_carry_the_connections_correlation_id(
    make_adapter: AdapterFactory,
    powertools_logger: tuple[Logger, io.StringIO],
    reset_lambda_asgi_loggers: None,
    access: Callable[[], list[logging.LogRecord]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    logger, stream = powertools_logger
    sends = CapturedSends()
    handler = make_adapter(
        chat_app(logger),
        lifespan="off",
        websocket_api=sends,
        websocket_path="/ws",
        powertools=Powertools(logger=logger, metrics=Metrics()),
    )
    event = websocket_message_event(body="hi")
    handler(event, FakeContext())
    app_line, access_line = json_lines(stream)
    expected = event["requestContext"]["requestId"]
    assert [(line["message"][:7], line["correlation_id"]) for line in (app_line, access_line)] == [
        ("message", expected),
        ("$defaul", expected),
    ]
    [*_, emf] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (emf["route"], emf["method"], emf["Requests"]) == ("/ws", "$default", [1.0])
    assert sends.texts(event["requestContext"]["connectionId"]) == ["echo: hi"]


def test_the_lambda_extension_is_a_read_only_mapping_read_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = FakeContext()
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    info = logs_module.LambdaInfo("rest", context)
    assert list(info) == [
        "source",
        "request_id",
        "function_arn",
        "tenant_id",
        "trace_id",
        "remaining_time_ms",
    ]
    assert len(info) == 6
    assert info["trace_id"] is None
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)  # the managed runtime sets it per invocation
    assert dict(info) == {
        "source": "rest",
        "request_id": REQUEST_ID,
        "function_arn": context.invoked_function_arn,
        "tenant_id": None,
        "trace_id": TRACE,
        "remaining_time_ms": context.get_remaining_time_in_millis,
    }
    assert repr(info) == f"LambdaInfo({dict(info)!r})"
    with pytest.raises(KeyError):
        info["stage"]
    assert info.get("stage") is None
    assert logs_module.current_trace_id() == TRACE
    # The runtime's own trace header, taken when the request started, wins over the variable.
    assert logs_module.LambdaInfo("rest", context, "Root=1-own")["trace_id"] == "Root=1-own"
    # A context without the attributes (a test's stand-in) gives None for each.
    assert dict(logs_module.LambdaInfo("alb", object())) == dict.fromkeys(info, None) | {
        "source": "alb",
        "trace_id": TRACE,
    }
