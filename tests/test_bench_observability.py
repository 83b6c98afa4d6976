"""Smoke test of the observability benchmark: every variant answers correctly, and a run
prints a figure for each. Timing is never asserted; ``python -m bench.observability`` reports it.
"""

from __future__ import annotations

import logging

import pytest

from bench import observability
from bench.cases import BenchmarkError
from bench.timing import Settings

TINY = Settings(
    batch_seconds=0.0005, repeats=2, warmup_seconds=0.0, min_warmup_calls=2, import_runs=1
)


def test_every_variant_answers_and_a_run_reports_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(observability, "QUICK", TINY)
    assert observability.main(["--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == [
        variant.split()[0] for variant in observability.VARIANTS[1:]
    ]
    assert logging.getLogger().handlers  # pytest's own, restored after the run


def test_a_wrong_answer_fails_loudly() -> None:
    with observability._lambda_like_environment():
        [quiet, *_] = observability.build_cases()
        with pytest.raises(BenchmarkError, match="unexpected answer"):
            quiet.check({"statusCode": 500, "body": ""})
