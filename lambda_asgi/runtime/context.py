"""The Lambda context object the custom runtime hands to each invocation, built from the
headers of ``/runtime/invocation/next`` and the function's environment.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from ..logs import trace_id

logger = logging.getLogger("lambda_asgi.runtime")


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
        "tenant_id",
        "trace_id",
    )

    def __init__(self, headers: dict[str, str], environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.aws_request_id = headers.get("lambda-runtime-aws-request-id", "")
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn", "")
        self.trace_id = headers.get("lambda-runtime-trace-id")
        # Tenant isolation mode: the tenant the invocation is for (None otherwise).
        self.tenant_id = headers.get("lambda-runtime-aws-tenant-id")
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


class _TraceEnviron(os._Environ):  # type: ignore[type-arg]
    """``os.environ`` whose ``_X_AMZN_TRACE_ID`` is the trace id of the invocation that reads
    it (a context variable) while one is set: the X-Ray SDK, Powertools' Tracer and botocore
    read the variable through ``os.environ``, and with several invocations on one event loop a
    process-global value would belong to whichever invocation started last."""

    def __getitem__(self, key: str) -> str:
        if key == _TRACE_KEY:
            value = trace_id.get()
            if value is not None:
                return value
        return super().__getitem__(key)  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return (key == _TRACE_KEY and trace_id.get() is not None) or super().__contains__(key)


_TRACE_KEY = "_X_AMZN_TRACE_ID"


def install_trace_environ() -> None:
    """Make ``os.environ["_X_AMZN_TRACE_ID"]`` follow the current invocation (once a process).

    The new mapping shares the old one's storage, so writes through either are seen by both
    and by child processes; only reads of this one key depend on the context.
    """
    current = os.environ
    if isinstance(current, _TraceEnviron) or type(current) is not os._Environ:
        return
    os.environ = _TraceEnviron(  # noqa: B003 (the same storage: nothing to clear)
        current._data,  # type: ignore[attr-defined]
        current.encodekey,
        current.decodekey,
        current.encodevalue,
        current.decodevalue,
    )
