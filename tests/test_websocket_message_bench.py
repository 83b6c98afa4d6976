"""Smoke test of bench.websocket_message: every variant echoes every message, the cold start
runs in both trees, and the report has every figure. Timing is never asserted; ``python -m
bench.websocket_message`` reports it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bench import websocket_message
from bench.websocket_message import BenchmarkError, Settings

TINY = Settings(rounds=1, messages=3, cold_runs=1)


def test_a_quick_run_reports_every_figure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(websocket_message, "QUICK", TINY)
    output = tmp_path / "websocket_message.json"

    assert websocket_message.main(["--quick", "--json", str(output)]) == 0

    document = json.loads(output.read_text())
    assert document["settings"] == {"rounds": 1, "messages": 3, "cold_runs": 1}
    assert sorted(document["per_message_us"]) == ["adapter", "adapter_store", "bare"]
    assert all(value > 0 for value in document["per_message_us"].values())
    cold = document["cold_start"]
    assert sorted(cold) == [
        "baseline_commit",
        "baseline_first_request_ms",
        "baseline_import_ms",
        "current_first_request_ms",
        "current_import_ms",
        "modules_added",
        "modules_removed",
    ]
    # The point of the lazy loading: an HTTP-only cold start loads no WebSocket module (the
    # run stops otherwise); what other changes since the baseline added is only listed.
    added = cold["modules_added"]
    assert [name for name in added if name.startswith(websocket_message.WEBSOCKET_MODULES)] == []
    assert len(cold["baseline_commit"]) == 40
    printed = capsys.readouterr().out
    assert f"modules loaded now and not before: {', '.join(added) or 'none'}" in printed
    assert "WebSocket modules or boto3 loaded: none" in printed


def test_a_variant_that_does_not_echo_is_a_benchmark_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def silent(app: Any, loop: Any) -> tuple[Any, Any]:
        return (lambda: None), (lambda: [])

    monkeypatch.setattr(websocket_message, "bare", silent)
    with pytest.raises(BenchmarkError, match="bare did not echo every message once"):
        websocket_message.per_message(TINY)


def test_an_adapter_that_fails_is_a_benchmark_error() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            raise RuntimeError("boom")

    one, _ = websocket_message.through_adapter(broken, store=False)
    with pytest.raises(BenchmarkError, match=re.escape("the Adapter answered {'statusCode': 500}")):
        one()


def test_a_cold_start_that_fails_is_a_benchmark_error(tmp_path: Path) -> None:
    (tmp_path / "lambda_asgi").mkdir()
    (tmp_path / "lambda_asgi" / "__init__.py").write_text("raise ImportError('broken tree')\n")
    with pytest.raises(BenchmarkError, match=r"(?s)the cold start in .* failed:.*broken tree"):
        websocket_message.cold_start(tmp_path, tmp_path / "cache")
