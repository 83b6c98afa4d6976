"""A stand-in for the Lambda context object."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class FakeContext:
    """A stand-in for the Lambda context object, with a real countdown.

    ``get_remaining_time_in_millis()`` counts down from ``timeout_ms``, starting when the
    context is built, and never goes below zero. ``memory_limit_in_mb`` is a string, as in the
    Python runtime, which reads it from an environment variable. ``tenant_id`` is set only for
    functions in tenant isolation mode.

    >>> context = FakeContext(timeout_ms=3_000)
    >>> 0 < context.get_remaining_time_in_millis() <= 3_000
    True
    """

    aws_request_id: str = "f2b4c6d8-1a3e-4b5c-8d7e-9f0a1b2c3d4e"
    function_name: str = "my-function"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:my-function"
    memory_limit_in_mb: str = "128"
    log_group_name: str = "/aws/lambda/my-function"
    log_stream_name: str = "2023/11/14/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    timeout_ms: int = 30_000
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    _deadline: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (fake) function timeout, never negative.

        >>> FakeContext(timeout_ms=0).get_remaining_time_in_millis()
        0
        """
        return max(0, int((self._deadline - time.monotonic()) * 1000))
