"""Logs under a real runtime subprocess, ours and the official awslambdaric: with Lambda's
JSON log format every lambda_asgi line is one JSON object carrying the request id, and under
concurrent invocations each line carries its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambda_asgi.testing import function_url_event, http_api_event

from .test_runtime import start_runtime


def json_lines(text: str) -> list[dict[str, Any]]:
    """The log's JSON lines (the runtime prints nothing else in JSON mode but Python's own
    warnings, which are not JSON)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.parametrize("official", [False, True], ids=["lambda_asgi", "awslambdaric"])
def test_json_log_format_under_either_runtime(tmp_path: Path, official: bool) -> None:
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    with start_runtime(tmp_path, official=official, env=env) as runtime:
        result = runtime.invoke(http_api_event(path="/echo", query="a=1"))
        runtime.emulator.shutdown(runtime.process, grace=10)
        log = runtime.logs()
    [access] = [line for line in json_lines(log) if line.get("logger") == "lambda_asgi.access"]
    assert access.pop("timestamp")
    access.pop("taskName", None)  # awslambdaric on Python 3.12+ adds the record's task name
    assert access.pop("duration_ms") >= 0
    assert access == {
        "level": "INFO",
        "message": access["message"],
        "logger": "lambda_asgi.access",
        "requestId": result.request_id,
        "source": "http_api",
        "method": "GET",
        "path": "/echo",
        "status": 200,
        "response_bytes": len(json.loads(result.payload)["body"]),
    }
    assert access["message"].startswith("GET /echo 200 ")


def test_concurrent_invocations_log_their_own_request_ids(tmp_path: Path) -> None:
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_MAX_CONCURRENCY": "3"}
    with start_runtime(tmp_path, env=env) as runtime:
        invocations = [
            runtime.emulator.submit(function_url_event(path="/together", query={"n": "3"}))
            for _ in range(3)
        ]
        ids = [invocation.result(30).request_id for invocation in invocations]
        runtime.emulator.shutdown(runtime.process, grace=10)
        log = runtime.logs()
    access = [line for line in json_lines(log) if line.get("logger") == "lambda_asgi.access"]
    answered = {json.loads(json.loads(i.result(1).payload)["body"])["id"] for i in invocations}
    assert sorted(line["requestId"] for line in access) == sorted(ids) == sorted(answered)


def test_concurrent_invocations_never_share_powertools_correlation_ids(tmp_path: Path) -> None:
    env = {"AWS_LAMBDA_MAX_CONCURRENCY": "3", "POWERTOOLS_SERVICE_NAME": "together"}
    with start_runtime(
        tmp_path, env=env, handler="tests.runtime_powertools_app.handler"
    ) as runtime:
        invocations = [
            runtime.emulator.submit(function_url_event(path="/together/3", request_id=f"url-{n}"))
            for n in range(3)
        ]
        ids = [invocation.result(30).request_id for invocation in invocations]
        runtime.emulator.shutdown(runtime.process, grace=10)
        log = runtime.logs()
    lines = [line for line in json_lines(log) if "function_request_id" in line]
    pairs = sorted(
        (line["function_request_id"], line["correlation_id"], line.get("message", "")[:7])
        for line in lines
        if line["message"] in ("arrived", "leaving") or line["name"] == "lambda_asgi.access"
    )
    by_invocation = {request_id: f"url-{n}" for n, request_id in enumerate(ids)}
    assert pairs == sorted(
        (request_id, by_invocation[request_id], message)
        for request_id in ids
        for message in ("arrived", "leaving", "GET /to")
    )
