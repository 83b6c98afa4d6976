"""Smoke test of the invocation benchmark: every case runs, answers correctly and yields
positive figures. Timing is never asserted; ``python -m bench.invoke`` reports it.
"""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path
from typing import Any

import pytest

from bench import floor, invoke
from bench.apps import REPOSITORY, raw_app
from bench.cases import VARIANTS, BenchmarkError, Case, build_cases
from bench.events import build_events, context
from bench.timing import Settings, measure
from lambda_asgi import Adapter
from lambda_asgi.testing import alb_event

TINY = Settings(
    batch_seconds=0.0005, repeats=2, warmup_seconds=0.0, min_warmup_calls=2, import_runs=1
)


def test_every_case_answers_the_expected_response() -> None:
    with build_cases() as cases:
        assert {case.variant for case in cases} == set(VARIANTS)
        assert len(cases) == 5 * 2 * len(VARIANTS)
        for case in cases:
            case.check(case.call())


def test_a_wrong_answer_fails_loudly() -> None:
    with build_cases() as cases:
        bare, adapted = cases[0], cases[1]
        with pytest.raises(BenchmarkError, match="status is not 200"):
            bare.check({"status": 500, "body": b"{}"})
        with pytest.raises(BenchmarkError, match="statusCode is not 200"):
            adapted.check({"statusCode": 502, "body": "", "isBase64Encoded": False})
        with pytest.raises(BenchmarkError, match="body is not"):
            adapted.check({"statusCode": 200, "body": "{}", "isBase64Encoded": False})


def test_repeats_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        invoke.main(["--quick", "--repeats", "0"])
    assert exited.value.code == 2
    assert "--repeats must be at least 1, got 0" in capsys.readouterr().err


def test_quick_run_reports_every_case(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(invoke, "QUICK", TINY)
    output = tmp_path / "bench.json"

    assert invoke.main(["--quick", "--repeats", "3", "--json", str(output)]) == 0

    figures = json.loads(output.read_text())
    assert figures["settings"]["repeats"] == 3
    cases = {(case["app"], case["event"], case["variant"]) for case in figures["cases"]}
    assert cases == {
        (app, event, variant)
        for app in ("raw", "raw+await", "raw+io", "starlette", "fastapi+io")
        for event in ("http_api GET", "rest POST")
        for variant in VARIANTS
    }
    assert all(case["median_us"] > 0 for case in figures["cases"])
    assert all(len(case["samples_us"]) == 3 for case in figures["cases"])
    assert len(figures["rows"]) == 10
    assert all(row["speedup"] > 0 for row in figures["rows"])
    assert figures["imports"]["lambda_asgi_ms"] > 0
    # ... and the figure that also pays asyncio's pending collection.
    assert figures["imports"]["lambda_asgi_unsettled_ms"] > 0
    printed = capsys.readouterr().out
    assert "targets" in printed
    verdicts = [line for line in printed.splitlines() if line.endswith("MET")]
    # the overhead ratio of four apps and the raw app's speedup, for both events; the guards'
    # cost for every row; and the import cost
    assert len(verdicts) == 8 + 2 + 10 + 1
    assert all(-1 < row["guard_cost"] < 10 for row in figures["rows"])


def test_the_floor_answers_as_lambda_asgi_does() -> None:
    # The floor prices lambda_asgi's structure only if it does the same job: every case passes
    # its check, and on the raw app its result is lambda_asgi's, dict for dict.
    with floor.floor_cases() as cases:
        assert {case.variant for case in cases} == set(floor.VARIANTS)
        for case in cases:
            case.check(case.call())
    loop = asyncio.new_event_loop()
    try:
        handler = floor.floor_handler(raw_app, loop)
        adapter = Adapter(raw_app, lifespan="off", access_log=False)
        for event in build_events():
            assert handler(event.event, context()) == adapter(event.event, context())
    finally:
        REPOSITORY.close()
        loop.close()


def test_the_floor_gives_the_app_lambda_asgis_scope() -> None:
    # Same scope, key for key (the extension aside, which is read when asked): REST's stage
    # as the root path and the raw path included, which the raw app's answer does not show.
    scopes: list[dict[str, object]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scopes.append({key: value for key, value in scope.items() if key != "extensions"})
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    loop = asyncio.new_event_loop()
    try:
        handler = floor.floor_handler(app, loop)
        adapter = Adapter(app, lifespan="off", access_log=False)
        for event in build_events():
            scopes.clear()
            assert handler(event.event, context()) == adapter(event.event, context())
            floor_scope, lambda_asgi_scope = scopes
            assert floor_scope == lambda_asgi_scope
    finally:
        loop.close()


def test_the_floor_refuses_what_it_does_not_model() -> None:
    loop = asyncio.new_event_loop()
    try:
        handler = floor.floor_handler(raw_app, loop)
        with pytest.raises(floor.FloorError, match="neither HTTP API"):
            handler(alb_event(), context())
    finally:
        loop.close()


def test_floor_quick_run_prints_every_row(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(floor, "QUICK", TINY)

    assert floor.main(["--quick"]) == 0

    rows = [line.split() for line in capsys.readouterr().out.splitlines()[3:-1]]
    assert [row[0] for row in rows] == [
        app for app in ("raw", "raw+await", "raw+io", "starlette", "fastapi+io") for _ in "ab"
    ]
    assert all(float(row[3]) > 0 for row in rows)  # bare µs


def test_timed_rounds_run_with_the_warm_objects_frozen() -> None:
    # The collection before each batch must not sweep the long-lived objects (bench/README.md,
    # "Method"): they are frozen for the timed rounds only, and thawed however measure() ends.
    frozen_during: list[int] = []

    def call() -> str:
        frozen_during.append(gc.get_freeze_count())
        return "ok"

    case = Case("app", "event", "variant", call, lambda answer: None)
    assert gc.get_freeze_count() == 0
    [measurement] = measure([case], TINY)

    assert len(measurement.samples_us) == TINY.repeats
    # check, warm-up (unfrozen); the timed batches (frozen); the final check (thawed)
    assert frozen_during[0] == 0
    assert frozen_during[-1] == 0
    timed = frozen_during[1 + TINY.min_warmup_calls : -1]
    assert len(timed) == TINY.repeats * measurement.calls_per_batch
    assert all(count > 0 for count in timed)
    assert gc.get_freeze_count() == 0


def test_a_failing_call_still_thaws_the_objects() -> None:
    calls = 0

    def call() -> str:
        nonlocal calls
        calls += 1
        if gc.get_freeze_count():
            raise RuntimeError("failed while timed")
        return "ok"

    with pytest.raises(RuntimeError, match="failed while timed"):
        measure([Case("app", "event", "variant", call, lambda answer: None)], TINY)
    assert calls > 1
    assert gc.get_freeze_count() == 0
