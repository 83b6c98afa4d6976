"""Lambda's log formats for lambda_asgi's custom runtime, as the managed Python runtime sets
them up: JSON lines with ``AWS_LAMBDA_LOG_FORMAT=JSON``, tab-separated text otherwise, the level
from ``AWS_LAMBDA_LOG_LEVEL``, and the request id of the invocation on every line (a context
variable, so invocations served at once on one event loop each log their own).
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from typing import Any

from ..logs import request_id

_RESERVED = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "aws_request_id", "taskName"}
)


class RequestIdFilter(logging.Filter):
    """Give every record the ``aws_request_id`` of the invocation it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "aws_request_id", None) is None:
            record.aws_request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the keys of Lambda's JSON log format (``timestamp``,
    ``level``, ``message``, ``logger``, ``requestId``; ``errorType``, ``errorMessage`` and
    ``stackTrace`` for exceptions), plus every ``extra`` field of the record."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None) or request_id.get(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            document["errorType"] = record.exc_info[0].__name__
            document["errorMessage"] = str(record.exc_info[1])
            document["stackTrace"] = traceback.format_tb(record.exc_info[2])
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in document:
                document[key] = value
        return json.dumps(
            {key: value for key, value in document.items() if value is not None}, default=str
        )


TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(name)s\t%(message)s"
"""The text format of lambda_asgi's runtime: Lambda's own, plus the logger name."""


def configure_runtime_logging() -> None:
    """Set up the root logger as Lambda's managed runtime would, unless the app already did:
    JSON lines with ``AWS_LAMBDA_LOG_FORMAT=JSON``, text otherwise, the level from
    ``AWS_LAMBDA_LOG_LEVEL`` (INFO by default), and the request id on every line."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper()
    root.setLevel({"TRACE": "DEBUG", "FATAL": "CRITICAL", "WARN": "WARNING"}.get(level, level))
