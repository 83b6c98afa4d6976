"""Custom event sources: the protocol our own sources follow, open to users' front doors.

The example source is the one docs/sources.md builds: a Step Functions task that invokes the
function with ``{"httpRequest": {...}}`` and reads ``{"status", "headers", "body"}`` back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lambda_asgi import ConfigurationError, InvalidRequestError, LambdaContext
from lambda_asgi.sources import SOURCES, Config, Response, Source
from lambda_asgi.testing import FakeContext, rest_event

from .apps import RecordingApp
from .conftest import AdapterFactory


def is_task(event: Mapping[str, Any]) -> bool:
    return isinstance(event.get("httpRequest"), dict)


def task_to_scope(
    event: Mapping[str, Any], context: LambdaContext, config: Config
) -> tuple[dict[str, Any], bytes]:
    request = event["httpRequest"]
    if not isinstance(request.get("path"), str):
        raise InvalidRequestError("httpRequest.path must be a string")
    headers = [
        (name.lower().encode(), str(value).encode())
        for name, value in request.get("headers", {}).items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.get("method", "GET"),
        "scheme": "https",
        "path": request["path"],
        "raw_path": None,
        "root_path": "",
        "query_string": request.get("query", "").encode(),
        "headers": headers,
        "client": None,
        "server": None,
        "extensions": {},
        "aws.event": event,
        "aws.context": context,
    }
    return scope, request.get("body", "").encode()


def task_to_response(response: Response, event: Mapping[str, Any], config: Config) -> Any:
    return {
        "status": response.status,
        "headers": {name.decode(): value.decode() for name, value in response.headers},
        "body": response.body.decode("utf-8", "replace"),
    }


TASK = Source("step_functions", is_task, task_to_scope, task_to_response)


async def item(request: Request) -> JSONResponse:
    return JSONResponse(
        {"id": int(request.path_params["id"]), "fields": request.query_params.getlist("f")},
        headers={"x-source": request.scope["aws.event"].get("resource", "task")},
    )


APP = Starlette(routes=[Route("/items/{id:int}", item)])


def test_a_custom_source_serves_a_starlette_app(make_adapter: AdapterFactory) -> None:
    adapter = make_adapter(APP, sources=[TASK])
    event = {"httpRequest": {"method": "GET", "path": "/items/7", "query": "f=a&f=b"}}
    assert adapter(event, FakeContext()) == {
        "status": 200,
        "headers": {"x-source": "task", "content-length": "27", "content-type": "application/json"},
        "body": '{"id":7,"fields":["a","b"]}',
    }


def test_custom_sources_come_before_the_built_in_ones(make_adapter: AdapterFactory) -> None:
    adapter = make_adapter(APP, sources=[TASK])
    assert adapter.sources == (TASK, *SOURCES)
    # The built-in sources still serve everything else.
    result = adapter(rest_event(path="/items/3"), FakeContext())
    assert (result["statusCode"], result["headers"]["x-source"]) == (200, "/{proxy+}")


def test_a_custom_source_can_claim_events_a_built_in_one_would_take(
    make_adapter: AdapterFactory, context: FakeContext
) -> None:
    claimed: list[Mapping[str, Any]] = []

    def claims_rest(event: Mapping[str, Any]) -> bool:
        claimed.append(event)
        return "httpMethod" in event

    def to_scope(
        event: Mapping[str, Any], context: LambdaContext, config: Config
    ) -> tuple[dict[str, Any], bytes]:
        return task_to_scope({"httpRequest": {"path": "/items/1"}}, context, config)

    source = Source("mine", claims_rest, to_scope, task_to_response)
    result = make_adapter(APP, sources=[source])(rest_event(path="/items/9"), context)
    assert result["status"] == 200
    assert len(claimed) == 1


class DuckSource:
    """Any object with the Source attributes works; ``response_limit`` is optional."""

    name = "duck"

    def matches(self, event: Mapping[str, Any]) -> bool:
        return is_task(event)

    def to_scope(
        self, event: Mapping[str, Any], context: LambdaContext, config: Config
    ) -> tuple[dict[str, Any], bytes]:
        return task_to_scope(event, context, config)

    def to_response(self, response: Response, event: Mapping[str, Any], config: Config) -> Any:
        return task_to_response(response, event, config)


def test_duck_typed_sources_are_accepted(make_adapter: AdapterFactory) -> None:
    adapter = make_adapter(APP, sources=[DuckSource()])
    (source,) = adapter.sources[:1]
    assert (source.name, source.response_limit) == ("duck", 6 * 1024 * 1024)
    event = {"httpRequest": {"path": "/items/5"}}
    assert adapter(event, FakeContext())["status"] == 200


def test_a_custom_response_limit_is_enforced(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    def limit(event: Mapping[str, Any]) -> int:
        return int(event["limit"])

    source = Source(
        "step_functions",
        is_task,
        task_to_scope,
        task_to_response,
        response_limit=limit,
    )
    adapter = make_adapter(RecordingApp(body=b"x" * 200), sources=[source])
    event = {"httpRequest": {"path": "/big"}, "limit": 150}
    result = adapter(event, context)
    assert result["status"] == 500
    assert result["body"].startswith("Internal Server Error: response too large (")
    assert caplog.records[-1].levelno == logging.ERROR
    assert "over the front door's limit of 150 bytes" in caplog.records[-1].getMessage()
    assert adapter({**event, "limit": 10_000}, context)["status"] == 200


def test_a_custom_source_refuses_a_request_with_a_clean_400(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    app = RecordingApp()
    adapter = make_adapter(app, sources=[TASK])
    assert adapter({"httpRequest": {"path": 42}}, context) == {
        "status": 400,
        "headers": {"content-type": "text/plain; charset=utf-8", "content-length": "46"},
        "body": "Bad Request: httpRequest.path must be a string",
    }
    assert caplog.records[-1].getMessage() == (
        "bad step_functions request, answering 400 without calling the app: "
        f"httpRequest.path must be a string (aws_request_id={context.aws_request_id})"
    )
    assert app.scopes == []


def test_a_crashing_custom_source_is_a_malformed_event(
    make_adapter: AdapterFactory, context: FakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = make_adapter(RecordingApp(), sources=[TASK])
    result = adapter({"httpRequest": {"path": "/x", "headers": ["not", "a", "dict"]}}, context)
    assert (result["status"], result["body"]) == (400, "Bad Request: malformed event")
    message = caplog.records[-1].getMessage()
    assert message == (
        "malformed step_functions event, answering 400 without calling the app: AttributeError: "
        f"'list' object has no attribute 'items' (aws_request_id={context.aws_request_id})"
    )


class Nameless:
    def matches(self, event: Any) -> bool:
        return False


class NoTranslation:
    name = "half"

    def matches(self, event: Any) -> bool:
        return False

    to_scope = None


class Anonymous(DuckSource):
    name = None  # type: ignore[assignment]


class BadLimit(DuckSource):
    response_limit = "6 MB"


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ("mine", "sources: must be a list of sources"),
        (42, "sources: must be a list, got 42"),
        ([Nameless()], "lacks to_scope, to_response (see Source)"),
        ([NoTranslation()], "lacks to_scope, to_response (see Source)"),
        ([object()], "lacks matches, to_scope, to_response (see Source)"),
        ([Anonymous()], "lacks a 'name' string (see Source)"),
        ([BadLimit()], "sources: duck: response_limit must be bytes or a function of the event"),
    ],
)
def test_invalid_sources_are_refused_at_construction(sources: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        from lambda_asgi import Adapter

        Adapter(APP, sources=sources, lifespan="off")
    assert raised.value.option == "sources"
    assert message in str(raised.value)
