"""lambda_asgi: run ASGI applications on AWS Lambda.

``handler = Adapter(app)`` serves any ASGI 3 app behind API Gateway (REST and HTTP APIs),
Lambda Function URLs, Application Load Balancers, Lambda@Edge and VPC Lattice, and its
``@app.websocket`` endpoints behind API Gateway WebSocket APIs.
"""

from __future__ import annotations

from ._types import LambdaContext, LifespanMode
from .adapter import Adapter
from .exceptions import (
    ConfigurationError,
    ConnectionGoneError,
    EventHandlingError,
    EventLoopError,
    InvalidRequestError,
    LambdaAsgiError,
    LifespanError,
    ManagementAPIError,
    MessageTooLargeError,
    ProtocolError,
    RuntimeAPIError,
    UnsupportedEventError,
    WebSocketError,
)
from .sources import END_OF_INVOCATION, websocket_info
from .sources import _request as _request_path

__version__ = "0.1.0"

COMPILED: bool = not _request_path.__file__.endswith(".py")
"""Whether this install runs its request path compiled (the mypyc-built wheels published for
Lambda's platforms) or as Python (any other install, such as from source): the same behaviour,
fewer microseconds per invocation compiled."""

__all__ = [
    "COMPILED",
    "END_OF_INVOCATION",
    "Adapter",
    "ConfigurationError",
    "ConnectionGoneError",
    "EventHandlingError",
    "EventLoopError",
    "InvalidRequestError",
    "LambdaAsgiError",
    "LambdaContext",
    "LifespanError",
    "LifespanMode",
    "ManagementAPIError",
    "MessageTooLargeError",
    "ProtocolError",
    "RuntimeAPIError",
    "UnsupportedEventError",
    "WebSocketError",
    "__version__",
    "websocket_info",
]
