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

__version__ = "0.1.0"

__all__ = [
    "END_OF_INVOCATION",
    "Adapter",
    "ConfigurationError",
    "ConnectionGoneError",
    "EventHandlingError",
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
