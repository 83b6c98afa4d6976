"""Typing for the protocols lambda_asgi speaks: ASGI scopes and messages, the Lambda context,
and the result dictionaries each AWS front door accepts.

Raw Lambda events stay ``Mapping[str, Any]``: AWS adds fields over time and typing every
payload would promise more than we check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

LifespanMode = Literal["auto", "on", "off"]

Headers = list[tuple[bytes, bytes]]
Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
AnyASGIApp = Callable[[Any, Any, Any], Awaitable[Any]]
"""What the Adapter accepts: frameworks type their ``__call__`` with their own scope and
message types, which a strict ``ASGIApp`` would reject."""
LambdaEvent = Any
"""A Lambda event as ``json.loads`` produced it; sources check its shape themselves."""


class Sink(Protocol):
    """Where a streamed response goes (the custom runtime's streaming response): ``start`` is
    awaited once, right before the first body bytes, then ``write`` for every chunk, and its
    awaiting is the backpressure on the app."""

    async def start(self, status: int, headers: Headers) -> None: ...

    async def write(self, chunk: bytes) -> None: ...


class LambdaContext(Protocol):
    """The parts of the Lambda context object lambda_asgi reads.

    Both ``awslambdaric``'s context and :class:`lambda_asgi.testing.FakeContext` satisfy it.
    """

    aws_request_id: str
    function_name: str
    invoked_function_arn: str

    def get_remaining_time_in_millis(self) -> int: ...


# The TypedDicts exist for the type checker only: building them at import time would cost
# cold-start time, and every use of them is an annotation.
if TYPE_CHECKING:
    from typing import TypedDict

    from typing_extensions import NotRequired

    class ASGIVersions(TypedDict):
        version: str
        spec_version: str

    HTTPScope = TypedDict(
        "HTTPScope",
        {
            "type": Literal["http"],
            "asgi": ASGIVersions,
            "http_version": str,
            "method": str,
            "scheme": str,
            "path": str,
            "raw_path": "bytes | None",
            "root_path": str,
            "query_string": bytes,
            "headers": Headers,
            "client": "tuple[str, int] | None",
            "server": "tuple[str, int | None] | None",
            "extensions": "dict[str, Any]",
            "aws.event": Any,
            "aws.context": Any,
            "state": "NotRequired[dict[str, Any]]",
        },
    )

    class LifespanScope(TypedDict):
        type: Literal["lifespan"]
        asgi: ASGIVersions
        state: dict[str, Any]

    class RestResponse(TypedDict):
        """The proxy-integration result of API Gateway REST and HTTP API payload 1.0.

        REST answers 502 to any other key, so this is the whole shape.
        """

        statusCode: int
        headers: dict[str, str]
        multiValueHeaders: dict[str, list[str]]
        body: str
        isBase64Encoded: bool

    class HttpApiResponse(TypedDict):
        """The payload 2.0 result of HTTP API and Lambda Function URLs."""

        statusCode: int
        headers: dict[str, str]
        cookies: list[str]
        body: str
        isBase64Encoded: bool

    class AlbResponse(TypedDict):
        """The result of an Application Load Balancer target (one of the header keys only)."""

        statusCode: int
        statusDescription: str
        headers: NotRequired[dict[str, str]]
        multiValueHeaders: NotRequired[dict[str, list[str]]]
        body: str
        isBase64Encoded: bool
