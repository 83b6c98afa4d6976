"""The examples in the docstrings of the modules users read run as written."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import lambda_asgi.testing
from lambda_asgi import _testing_events


@pytest.mark.parametrize("module", [lambda_asgi.testing, _testing_events])
def test_docstring_examples(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0
