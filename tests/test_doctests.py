"""The examples in the docstrings of the modules users read run as written."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from lambda_asgi.testing import (
    _alb,
    _api_gateway,
    _context,
    _edge,
    _events,
    _lattice,
    _websocket,
)


@pytest.mark.parametrize(
    "module", [_alb, _api_gateway, _context, _edge, _events, _lattice, _websocket]
)
def test_docstring_examples(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0
