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
def _lambda_asgi_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="lambda_asgi")
