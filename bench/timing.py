"""Timing machinery: warm-up with calibration, then interleaved, gc-free timed batches.

Each case is warmed up until its caches are hot, which also estimates its cost per call;
the batch size is then chosen so one batch lasts about ``Settings.batch_seconds``. The
repeats are interleaved (every case once per round, the order rotated each round) so slow
drift of the machine, such as frequency scaling or a noisy neighbour, spreads over all cases
instead of landing on one. The figure reported per case is the median of its batches.

The objects alive once every case is warm (frameworks, apps, adapters) are frozen for the
timed rounds (``gc.freeze()``), as they would sit in the oldest generation of a Lambda
process: the collection before each batch then frees what the previous batch left without
sweeping them all, which used to slow the calls after it (see bench/README.md, "Method").
"""

from __future__ import annotations

import gc
import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .cases import Case


@dataclass(frozen=True)
class Settings:
    """How long to spend: per timed batch, per case warm-up, and how many rounds."""

    batch_seconds: float
    repeats: int
    warmup_seconds: float
    min_warmup_calls: int
    import_runs: int


# Many short batches beat a few long ones on a noisy (virtualised) machine: with every case
# visited once per ~0.3 s round, a slow spell hits all cases alike and the median of many
# samples shrugs it off.
FULL = Settings(
    batch_seconds=0.01, repeats=60, warmup_seconds=0.1, min_warmup_calls=50, import_runs=15
)
QUICK = Settings(
    batch_seconds=0.004, repeats=12, warmup_seconds=0.015, min_warmup_calls=20, import_runs=3
)


@dataclass(frozen=True)
class Measurement:
    """The timed batches of one case, in microseconds per invocation."""

    app: str
    event: str
    variant: str
    calls_per_batch: int
    samples_us: tuple[float, ...]

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples_us)

    @property
    def spread(self) -> float:
        """Interquartile range of the batches over their median: how far to trust it."""
        if len(self.samples_us) < 2:
            return 0.0
        low, _, high = statistics.quantiles(self.samples_us, n=4)
        return (high - low) / self.median_us


def _warm_up(call: Callable[[], Any], seconds: float, min_calls: int) -> float:
    """Call repeatedly for ``seconds`` (at least ``min_calls`` times); answer ns per call,
    leaving out the first ``min_calls // 2`` calls so first-call costs do not inflate it.
    """
    deadline = time.perf_counter_ns() + int(seconds * 1e9)
    calls = 0
    half_start = 0
    half_calls = 0
    start = time.perf_counter_ns()
    while calls < min_calls or time.perf_counter_ns() < deadline:
        call()
        calls += 1
        if calls == max(1, min_calls // 2):
            half_start = time.perf_counter_ns()
            half_calls = calls
    end = time.perf_counter_ns()
    if calls == half_calls:
        return (end - start) / calls
    return (end - half_start) / (calls - half_calls)


def time_batch(call: Callable[[], Any], calls: int) -> float:
    """Microseconds per call over ``calls`` back-to-back calls with the collector off.

    Timed on this thread's CPU clock, not the wall clock: the time other processes take the
    CPU away (a test suite running alongside) is not counted, only the work of the calls."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.thread_time_ns()
        for _ in itertools.repeat(None, calls):
            call()
        end = time.thread_time_ns()
    finally:
        if was_enabled:
            gc.enable()
    return (end - start) / calls / 1000


def measure(cases: Sequence[Case], settings: Settings) -> list[Measurement]:
    """Check, warm up and time every case; answer one measurement per case, in order."""
    sizes: list[int] = []
    for case in cases:
        case.check(case.call())
        per_call_ns = _warm_up(case.call, settings.warmup_seconds, settings.min_warmup_calls)
        sizes.append(max(1, round(settings.batch_seconds * 1e9 / per_call_ns)))
    samples: list[list[float]] = [[] for _ in cases]
    # What exists after the warm-up (the frameworks, the apps, the adapters: some 50,000
    # objects) lives as long as a Lambda process does: frozen, the collection before each
    # batch sweeps only what the calls since the last one left. A full collection instead
    # reads every one of those objects and frees the garbage scattered among them; the next
    # 30 or so calls then run slower, the first by hundreds of µs (see bench/README.md).
    # Production collects the oldest generation rarely, not every 10 ms.
    gc.collect()
    gc.freeze()
    try:
        for round_ in range(settings.repeats):
            shift = round_ % len(cases)
            for index in [*range(shift, len(cases)), *range(shift)]:
                samples[index].append(time_batch(cases[index].call, sizes[index]))
    finally:
        gc.unfreeze()
    for case in cases:
        case.check(case.call())
    return [
        Measurement(case.app, case.event, case.variant, size, tuple(batch))
        for case, size, batch in zip(cases, sizes, samples, strict=True)
    ]
