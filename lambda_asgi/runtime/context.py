"""The Lambda context object the custom runtime hands to each invocation, built from the
headers of ``/runtime/invocation/next`` and the function's environment, and the per-invocation
trace id.

The trace id lives in a context variable, so invocations served at once on one event loop
(Lambda Managed Instances) each see their own; ``_X_AMZN_TRACE_ID`` is process-global and is
set only when the runtime serves one invocation at a time.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextvars import ContextVar
from typing import Any

logger = logging.getLogger("lambda_asgi.runtime")

trace_id: ContextVar[str | None] = ContextVar("lambda_asgi_trace_id", default=None)
"""The X-Ray trace header of the invocation being served (``Root=1-...;Parent=...``)."""


class CognitoIdentity:
    """``context.identity`` for invocations through the AWS Mobile SDK."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, document: dict[str, Any]) -> None:
        self.cognito_identity_id = document.get("cognitoIdentityId")
        self.cognito_identity_pool_id = document.get("cognitoIdentityPoolId")


class ClientContext:
    """``context.client_context`` for invocations through the AWS Mobile SDK."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, document: dict[str, Any]) -> None:
        self.client = document.get("client")
        self.custom = document.get("custom")
        self.env = document.get("env")


class Context:
    """The context of one invocation, with the attributes ``awslambdaric``'s context has."""

    __slots__ = (
        "_deadline_ms",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "invoked_function_arn",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
        "trace_id",
    )

    def __init__(self, headers: dict[str, str], environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.aws_request_id = headers.get("lambda-runtime-aws-request-id", "")
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn", "")
        self.trace_id = headers.get("lambda-runtime-trace-id")
        self._deadline_ms = _int(headers.get("lambda-runtime-deadline-ms"))
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        identity = _document(headers, "lambda-runtime-cognito-identity")
        self.identity = CognitoIdentity(identity) if identity is not None else None
        client = _document(headers, "lambda-runtime-client-context")
        self.client_context = ClientContext(client) if client is not None else None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda stops this invocation."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self) -> str:
        return f"<Context {self.aws_request_id} {self.invoked_function_arn}>"


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _document(headers: dict[str, str], name: str) -> dict[str, Any] | None:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        logger.warning("ignoring the %s header: not a JSON object (%.80r)", name, raw)
        return None
    return document
