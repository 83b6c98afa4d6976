"""Fixtures shared by the whole suite."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lambda_asgi import Adapter
from lambda_asgi.testing import FakeContext

AdapterFactory = Callable[..., Adapter]


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()


@pytest.fixture
def make_adapter() -> Iterator[AdapterFactory]:
    """Build Adapters whose lifespan is shut down when the test ends."""
    adapters: list[Adapter] = []

    def make(app: Any, **options: Any) -> Adapter:
        adapter = Adapter(app, **options)
        adapters.append(adapter)
        return adapter

    yield make
    for adapter in adapters:
        adapter.shutdown()


@pytest.fixture(autouse=True)
def _lambda_asgi_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG, logger="lambda_asgi")
    # One access-log line per request would crowd every test's log assertions: the access
    # log has tests of its own (tests/test_observability.py), which turn it back on. (Not
    # caplog.set_level: that would raise its handler's level for every logger.)
    access = logging.getLogger("lambda_asgi.access")
    level = access.level
    access.setLevel(logging.WARNING)
    yield
    access.setLevel(level)
