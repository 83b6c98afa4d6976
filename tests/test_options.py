"""Adapter options: invalid values raise ConfigurationError, valid ones are normalised."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_asgi import Adapter, ConfigurationError, LambdaAsgiError
from lambda_asgi._model import Config
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
