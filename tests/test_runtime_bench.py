"""Smoke test of the runtime benchmark: both runtimes answer and the report has every figure.
Timing is never asserted; ``python -m bench.runtime`` reports it."""

from __future__ import annotations

import pytest

from bench import runtime
from bench.runtime import BenchmarkError, Results, Settings


def test_a_tiny_run_reports_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    results = runtime.run(Settings(rounds=1, batch=2, streams=1))
    assert set(results.per_invocation_us) == {"floor", "awslambdaric", "lambda_asgi.runtime"}
    assert all(value > 0 for value in results.per_invocation_us.values())
    assert set(results.cpu_us) == set(results.per_invocation_us)
    assert results.ttfb_ms["response_stream"] < results.total_ms["response_stream"]
    report = runtime.format_report(results)
    assert "ratio lambda_asgi.runtime / awslambdaric" in report
    assert "response_stream        first byte" in report


def test_the_report_and_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fixed = Results(
        {"floor": 50.0, "awslambdaric": 200.0, "lambda_asgi.runtime": 100.0},
        {"floor": 20.0, "awslambdaric": 160.0, "lambda_asgi.runtime": 40.0},
        {"buffered": 180.0, "response_stream": 2.0},
        {"buffered": 180.0, "response_stream": 181.0},
    )
    monkeypatch.setattr(runtime, "run", lambda settings: fixed)
    assert runtime.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "ratio lambda_asgi.runtime / awslambdaric: 0.50" in out
    assert "overhead over the floor, lambda_asgi.runtime / awslambdaric: 0.33" in out
    assert "ratio lambda_asgi.runtime / awslambdaric: 0.25" in out
    assert "buffered               first byte   180.0 ms, last byte   180.0 ms" in out


def test_a_failed_invocation_stops_the_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "EVENT", {"not": "http"})
    with (
        runtime.serving(runtime.RUNTIMES["lambda_asgi.runtime"]) as served,
        pytest.raises(BenchmarkError, match="invocation failed"),
    ):
        runtime.invoke_batch(served.emulator, 1)
