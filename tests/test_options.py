"""Adapter options: invalid values raise ConfigurationError, valid ones are normalised."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_asgi import Adapter, ConfigurationError, LambdaAsgiError
from lambda_asgi._model import Config
from lambda_asgi.testing import FakeContext, http_api_event
from tests.apps import RecordingApp
from tests.conftest import AdapterFactory


@pytest.mark.parametrize(
    ("options", "option", "message"),
    [
        ({"lifespan": "yes"}, "lifespan", "lifespan: must be 'auto', 'on' or 'off', got 'yes'"),
        ({"lifespan": True}, "lifespan", "lifespan: must be 'auto', 'on' or 'off', got True"),
        ({"base_path": 1}, "base_path", "base_path: must be a string, got 1"),
        ({"base_path": b"/api"}, "base_path", "base_path: must be a string, got b'/api'"),
        ({"base_path": "/api?x=1"}, "base_path", "base_path: must be a path, got '/api?x=1'"),
        ({"base_path": "/api#top"}, "base_path", "base_path: must be a path, got '/api#top'"),
        (
            {"text_mime_types": "text/csv"},
            "text_mime_types",
            "text_mime_types: must be a list of content types, not a single string",
        ),
        (
            {"text_mime_types": ["text/csv", "csv"]},
            "text_mime_types",
            "text_mime_types: entries must look like 'type/subtype' or 'type/', got 'csv'",
        ),
        (
            {"text_mime_types": [b"text/csv"]},
            "text_mime_types",
            "text_mime_types: entries must look like 'type/subtype' or 'type/', got b'text/csv'",
        ),
    ],
)
def test_invalid_options(options: dict[str, Any], option: str, message: str) -> None:
    app = RecordingApp()
    with pytest.raises(ConfigurationError) as raised:
        Adapter(app, **options)
    assert raised.value.option == option
    assert str(raised.value) == message
    assert isinstance(raised.value, LambdaAsgiError)


@pytest.mark.parametrize("app", [None, "main:app", 42])
def test_app_must_be_callable(app: Any) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Adapter(app)
    assert raised.value.option == "app"
    assert str(raised.value) == f"app: expected an ASGI application, got {app!r}"


def test_long_app_repr_is_truncated() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Adapter(["x" * 200])  # type: ignore[arg-type]
    assert str(raised.value) == "app: expected an ASGI application, got " + repr(["x" * 200])[:80]


@pytest.mark.parametrize(
    ("base_path", "normalised"),
    [
        (None, ""),
        ("", ""),
        ("/", ""),
        ("//", ""),
        ("api", "/api"),
        ("/api", "/api"),
        ("/api/", "/api"),
        ("api/v1/", "/api/v1"),
    ],
)
def test_base_path_is_normalised(
    make_adapter: AdapterFactory, base_path: str | None, normalised: str
) -> None:
    adapter = make_adapter(RecordingApp(), base_path=base_path)
    assert adapter.config == Config(base_path=normalised, text_mime_types=frozenset())


@pytest.mark.parametrize(
    ("text_mime_types", "normalised"),
    [
        ((), frozenset()),
        ([" Application/Vnd.Acme ", "font/"], frozenset({"application/vnd.acme", "font/"})),
        (("text/csv", "text/csv"), frozenset({"text/csv"})),
        ((mime for mime in ["application/x-ndjson"]), frozenset({"application/x-ndjson"})),
    ],
)
def test_text_mime_types_are_normalised(
    make_adapter: AdapterFactory, text_mime_types: Any, normalised: frozenset[str]
) -> None:
    adapter = make_adapter(RecordingApp(), text_mime_types=text_mime_types)
    assert adapter.config == Config(base_path="", text_mime_types=normalised)


@pytest.mark.parametrize("lifespan", ["auto", "on", "off"])
def test_lifespan_modes_are_accepted(make_adapter: AdapterFactory, lifespan: Any) -> None:
    app = RecordingApp(state={"ready": True})
    adapter = make_adapter(app, lifespan=lifespan)
    assert adapter.state == ({} if lifespan == "off" else {"ready": True})


class _NotASource:
    def __repr__(self) -> str:
        return "NotASource()"


class _Nameless:
    def matches(self, event: Any) -> bool:
        return False

    def to_scope(self, event: Any, context: Any, config: Any) -> Any:
        return None

    def to_response(self, response: Any, event: Any, config: Any) -> Any:
        return None

    def __repr__(self) -> str:
        return "Nameless()"


class _BadLimit(_Nameless):
    name = "bad-limit"
    response_limit = "6 MB"


_SOURCES_MESSAGE = "sources: NotASource() is not a source: it lacks matches, to_scope, to_response"
_LIMIT = "must be None or a number of seconds above 0, at most 900"
_RANGE = "must be None or a number of seconds from 0 to 900"


@pytest.mark.parametrize(
    ("options", "option", "message"),
    [
        (
            {"exclude_headers": "Server"},
            "exclude_headers",
            "exclude_headers: must be a list of header names, not a single string",
        ),
        ({"exclude_headers": 42}, "exclude_headers", "exclude_headers: must be a list, got 42"),
        (
            {"exclude_headers": ["Server", " "]},
            "exclude_headers",
            "exclude_headers: entries must be header names, got ' '",
        ),
        (
            {"exclude_headers": [b"server"]},
            "exclude_headers",
            "exclude_headers: entries must be header names, got b'server'",
        ),
        (
            {"exclude_headers": ["Sérver"]},
            "exclude_headers",
            "exclude_headers: entries must be header names, got 'Sérver'",
        ),
        ({"events_path": 1}, "events_path", "events_path: must be a string, got 1"),
        ({"events_path": "/"}, "events_path", "events_path: must be a path below /, got '/'"),
        ({"events_path": ""}, "events_path", "events_path: must be a path below /, got ''"),
        ({"events_path": "/e?x=1"}, "events_path", "events_path: must be a path, got '/e?x=1'"),
        ({"sources": "rest"}, "sources", "sources: must be a list of sources"),
        ({"sources": 5}, "sources", "sources: must be a list, got 5"),
        ({"sources": [_NotASource()]}, "sources", f"{_SOURCES_MESSAGE} (see Source)"),
        (
            {"sources": [_Nameless()]},
            "sources",
            "sources: Nameless() is not a source: it lacks a 'name' string (see Source)",
        ),
        (
            {"sources": [_BadLimit()]},
            "sources",
            "sources: bad-limit: response_limit must be bytes or a function of the event",
        ),
        ({"compression": "yes"}, "compression", "compression: must be True or False, got 'yes'"),
        ({"compression": 1}, "compression", "compression: must be True or False, got 1"),
        (
            {"compression_min_size": -1},
            "compression_min_size",
            "compression_min_size: must be a whole number of bytes >= 0, got -1",
        ),
        (
            {"compression_min_size": 1.5},
            "compression_min_size",
            "compression_min_size: must be a whole number of bytes >= 0, got 1.5",
        ),
        (
            {"compression_min_size": True},
            "compression_min_size",
            "compression_min_size: must be a whole number of bytes >= 0, got True",
        ),
        (
            {"compression_min_size": "1k"},
            "compression_min_size",
            "compression_min_size: must be a whole number of bytes >= 0, got '1k'",
        ),
        (
            {"compression_types": "text/html"},
            "compression_types",
            "compression_types: must be a list of content types, not a single string",
        ),
        (
            {"compression_types": ["text/html", "html"]},
            "compression_types",
            "compression_types: entries must look like 'type/subtype' or 'type/', got 'html'",
        ),
        (
            {"compression_types": 3},
            "compression_types",
            "compression_types: must be a list, got 3",
        ),
        ({"timeout_margin": -0.1}, "timeout_margin", f"timeout_margin: {_RANGE}, got -0.1"),
        ({"timeout_margin": 900}, "timeout_margin", f"timeout_margin: {_RANGE}, got 900"),
        ({"timeout_margin": True}, "timeout_margin", f"timeout_margin: {_RANGE}, got True"),
        ({"timeout_margin": "0.5"}, "timeout_margin", f"timeout_margin: {_RANGE}, got '0.5'"),
        (
            {"timeout_margin": float("nan")},
            "timeout_margin",
            f"timeout_margin: {_RANGE}, got nan",
        ),
        ({"lifespan_timeout": 0}, "lifespan_timeout", f"lifespan_timeout: {_LIMIT}, got 0"),
        ({"lifespan_timeout": -1}, "lifespan_timeout", f"lifespan_timeout: {_LIMIT}, got -1"),
        ({"lifespan_timeout": 901}, "lifespan_timeout", f"lifespan_timeout: {_LIMIT}, got 901"),
        ({"lifespan_timeout": True}, "lifespan_timeout", f"lifespan_timeout: {_LIMIT}, got True"),
        ({"lifespan_timeout": "5"}, "lifespan_timeout", f"lifespan_timeout: {_LIMIT}, got '5'"),
        (
            {"lifespan_timeout": float("inf")},
            "lifespan_timeout",
            f"lifespan_timeout: {_LIMIT}, got inf",
        ),
    ],
)
def test_invalid_guard_and_routing_options(
    options: dict[str, Any], option: str, message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Adapter(RecordingApp(), **options)
    assert raised.value.option == option
    assert str(raised.value) == message


def test_exclude_headers_removes_names_case_insensitively(make_adapter: AdapterFactory) -> None:
    app = RecordingApp(
        headers=[
            (b"Server", b"uvicorn"),
            (b"content-type", b"text/plain"),
            (b"X-Powered-By", b"framework"),
            (b"x-powered-by", b"again"),
            (b"X-Kept", b"1"),
        ],
        body=b"ok",
    )
    adapter = make_adapter(app, exclude_headers=["server", " X-POWERED-BY "])
    assert adapter(http_api_event(), FakeContext()) == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain", "X-Kept": "1"},
        "cookies": [],
        "body": "ok",
        "isBase64Encoded": False,
    }


VALID = (
    "lifespan, base_path, text_mime_types, exclude_headers, events_path, sources, compression, "
    "compression_min_size, compression_types, timeout_margin, invoke_mode, graceful_shutdown"
)


@pytest.mark.parametrize(
    ("options", "option", "message"),
    [
        (
            {"api_gateway_base_path": "/api"},
            "api_gateway_base_path",
            "api_gateway_base_path: is Mangum's option; lambda_asgi's is base_path= "
            "(e.g. base_path='/api')",
        ),
        (
            {"custom_handlers": []},
            "custom_handlers",
            "custom_handlers: is Mangum's option; lambda_asgi takes custom front doors as "
            "sources=[...] (see lambda_asgi.sources.Source)",
        ),
        (
            {"enable_lifespan": False},
            "enable_lifespan",
            "enable_lifespan: is an early Mangum option; lambda_asgi's is "
            "lifespan='auto', 'on' or 'off'",
        ),
        (
            {"log_level": "info"},
            "log_level",
            "log_level: is an early Mangum option; lambda_asgi logs to the standard "
            "'lambda_asgi' logger: logging.getLogger('lambda_asgi').setLevel(logging.INFO)",
        ),
        (
            {"text_mime_type": ["a/b"]},
            "text_mime_type",
            "text_mime_type: unknown option; did you mean text_mime_types=? "
            f"Valid options: {VALID}",
        ),
        (
            {"zzz": 1, "api_gateway_base_path": "/"},
            "api_gateway_base_path",
            "api_gateway_base_path: is Mangum's option; lambda_asgi's is base_path= "
            "(e.g. base_path='/api')",
        ),
        ({"zzz": 1}, "zzz", f"zzz: unknown option. Valid options: {VALID}"),
    ],
    ids=["base-path", "handlers", "enable-lifespan", "log-level", "typo", "mangum-first", "other"],
)
def test_unknown_options_name_the_lambda_asgi_option(
    options: dict[str, Any], option: str, message: str
) -> None:
    """Mangum's keyword arguments, and typos, get a ConfigurationError rather than TypeError."""
    app = RecordingApp()
    with pytest.raises(ConfigurationError) as raised:
        Adapter(app, **options)
    assert (raised.value.option, str(raised.value)) == (option, message)
    assert app.scopes == []


class ASGI2App:
    """An ASGI 2 application: built with the scope, then awaited with receive and send."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self.scope = scope

    async def __call__(self, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"asgi2"})


def asgi2_function(scope: dict[str, Any]) -> Any:
    async def instance(receive: Any, send: Any) -> None:
        await ASGI2App(scope)(receive, send)

    return instance


ASGI2_HINT = (
    "app: {} looks like an ASGI 2 application (called with the scope alone); lambda_asgi "
    "serves ASGI 3 (async def app(scope, receive, send)): wrap it with "
    "asgiref.compatibility.guarantee_single_callable(app)"
)


@pytest.mark.parametrize("app", [ASGI2App, asgi2_function], ids=["class", "function"])
def test_an_asgi2_app_gets_a_hint(app: Any) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Adapter(app)
    assert (raised.value.option, str(raised.value)) == ("app", ASGI2_HINT.format(repr(app)))


def test_an_app_that_cannot_take_scope_receive_send_is_refused() -> None:
    def handler(event: Any, context: Any) -> None: ...

    with pytest.raises(ConfigurationError) as raised:
        Adapter(handler)  # type: ignore[arg-type]
    assert str(raised.value) == (
        f"app: {handler!r:.80} cannot be called as app(scope, receive, send): its signature "
        "is (event: 'Any', context: 'Any') -> 'None'"
    )


def test_a_wrapped_asgi2_app_is_served(make_adapter: AdapterFactory, context: FakeContext) -> None:
    from asgiref.compatibility import guarantee_single_callable

    app = guarantee_single_callable(ASGI2App)  # type: ignore[no-untyped-call]
    adapter = make_adapter(app, lifespan="off")
    result = adapter(http_api_event(), context)
    assert (result["statusCode"], result["body"]) == (200, "asgi2")


class _Unreadable:
    """A callable whose signature inspect cannot read: taken as the ASGI 3 app it claims."""

    __signature__ = "not a signature"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await RecordingApp()(scope, receive, send)


class _Forwarding:
    """An ASGI 3 app that takes ``*args``, as middleware wrappers often do."""

    def __init__(self) -> None:
        self.app = RecordingApp()

    async def __call__(self, *args: Any) -> None:
        await self.app(*args)


@pytest.mark.parametrize("app", [RecordingApp(), _Unreadable(), _Forwarding()])
def test_asgi3_apps_are_not_mistaken_for_asgi2(
    make_adapter: AdapterFactory, context: FakeContext, app: Any
) -> None:
    result = make_adapter(app, lifespan="off")(http_api_event(), context)
    assert result["statusCode"] == 200
