"""Per-invocation cost of lambda_asgi against a bare event loop and Mangum, in one run.

``python -m bench.invoke`` times every app x event x variant (see :mod:`bench.cases`),
then prints µs per invocation, each adapter's overhead over the bare floor, the ratios the
project targets, and the import cost. ``--quick`` takes about five seconds instead of
under a minute; ``--json PATH`` also writes every figure (and every sample) as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lambda_asgi

from .cases import VARIANTS, build_cases
from .importcost import ImportCost, measure_import
from .timing import FULL, QUICK, Measurement, Settings, measure

BUILD = (
    "compiled (mypyc: the wheels for Lambda)"
    if lambda_asgi.COMPILED
    else "Python source (the wheels for Lambda are compiled: scripts/compile, see bench/README.md)"
)

OVERHEAD_RATIO_TARGET = 0.33
"""lambda_asgi(off) overhead / mangum(off) overhead, on the apps below: at most this."""
OVERHEAD_TARGET_APPS = ("raw", "raw+await", "raw+io", "fastapi+io")
"""The apps whose overhead ratio is a target: the adapter's cost on an app answering at once,
and on apps that await, as every app doing I/O does."""
SPEEDUP_TARGET = 4.0
"""mangum(auto) time / lambda_asgi(auto) time, raw app: at least this."""
IMPORT_TARGET_MS = 5.0
"""Milliseconds ``import lambda_asgi`` may add beyond ``import asyncio``: less than this."""
GUARD_TARGET = 0.05
"""The result-size and deadline guards may add at most this fraction to an invocation."""
NOISY_SPREAD = 0.10


@dataclass(frozen=True)
class Row:
    """The figures of one app x event: µs per invocation by variant, and derived ratios."""

    app: str
    event: str
    us: dict[str, float]

    def overhead(self, variant: str) -> float:
        return self.us[variant] - self.us["bare"]

    @property
    def overhead_ratio(self) -> float:
        """lambda_asgi(off) overhead over mangum(off) overhead (lower is better)."""
        return self.overhead("lambda_asgi(off)") / self.overhead("mangum(off)")

    @property
    def guard_cost(self) -> float:
        """How much the guards add to lambda_asgi(off), as a fraction of the unguarded time."""
        return self.us["lambda_asgi(off)"] / self.us["lambda_asgi(unguarded)"] - 1

    @property
    def speedup(self) -> float:
        """mangum(auto) time over lambda_asgi(auto) time: both adapters' defaults."""
        return self.us["mangum(auto)"] / self.us["lambda_asgi(auto)"]


@dataclass(frozen=True)
class Results:
    settings: Settings
    measurements: list[Measurement]
    imports: ImportCost

    @property
    def rows(self) -> list[Row]:
        rows: dict[tuple[str, str], Row] = {}
        for m in self.measurements:
            row = rows.setdefault((m.app, m.event), Row(m.app, m.event, {}))
            row.us[m.variant] = m.median_us
        return list(rows.values())


def run(settings: Settings) -> Results:
    """Measure every case, then the import cost."""
    with build_cases() as cases:
        measurements = measure(cases, settings)
    return Results(settings, measurements, measure_import(settings.import_runs))


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def format_report(results: Results) -> str:
    """The printed table and targets section."""
    s = results.settings
    rows = results.rows
    lines = [
        f"lambda_asgi invocation benchmark: Python {platform.python_version()}, "
        f"median of {s.repeats} interleaved batches of ~{s.batch_seconds * 1000:g} ms per case",
        f"lambda_asgi build: {BUILD}",
        "",
        "µs per invocation",
        f"{'app':<11} {'event':<13}" + "".join(f"{v:>24}" for v in VARIANTS),
    ]
    lines += [
        f"{r.app:<11} {r.event:<13}" + "".join(f"{r.us[v]:>24.1f}" for v in VARIANTS) for r in rows
    ]
    lines += [
        "",
        "overhead over bare, µs",
        f"{'app':<11} {'event':<13}" + "".join(f"{v:>24}" for v in VARIANTS[1:]),
    ]
    lines += [
        f"{r.app:<11} {r.event:<13}" + "".join(f"{r.overhead(v):>24.1f}" for v in VARIANTS[1:])
        for r in rows
    ]
    lines += [
        "",
        "ratios",
        f"{'app':<11} {'event':<13} {'la(off) ovh / mangum(off) ovh':>31} "
        f"{'mangum(auto) / la(auto)':>25}",
    ]
    lines += [
        f"{r.app:<11} {r.event:<13} {r.overhead_ratio:>31.2f} {r.speedup:>24.1f}x" for r in rows
    ]
    noisy = [m for m in results.measurements if m.spread > NOISY_SPREAD]
    if noisy:
        lines += ["", f"noisy cases (interquartile range > {NOISY_SPREAD:.0%} of the median):"]
        lines += [f"  {m.app} / {m.event} / {m.variant}: {m.spread:.0%}" for m in noisy]
    lines += ["", "targets"]
    for r in rows:
        if r.app not in OVERHEAD_TARGET_APPS:
            continue
        met = r.overhead_ratio <= OVERHEAD_RATIO_TARGET
        lines.append(
            f"  {r.app:<10} {r.event:<13} overhead ratio {r.overhead_ratio:5.2f}  "
            f"(target <= {OVERHEAD_RATIO_TARGET})  {_verdict(met)}"
        )
    for r in rows:
        if r.app != "raw":
            continue
        lines.append(
            f"  {r.app:<10} {r.event:<13} mangum(auto) / lambda_asgi {r.speedup:5.1f}x  "
            f"(target >= {SPEEDUP_TARGET:.0f}x)  {_verdict(r.speedup >= SPEEDUP_TARGET)}"
        )
    for r in rows:
        lines.append(
            f"  {r.app:<9} {r.event:<13} guards add {r.guard_cost:+6.1%} per invocation  "
            f"(target <= {GUARD_TARGET:.0%})  {_verdict(r.guard_cost <= GUARD_TARGET)}"
        )
    imports = results.imports
    lines.append(
        f"  import lambda_asgi adds {imports.lambda_asgi_ms:.2f} ms beyond asyncio "
        f"(best {imports.lambda_asgi_best_ms:.2f} ms; {imports.lambda_asgi_unsettled_ms:.2f} ms "
        f"if it also pays asyncio's pending collection; asyncio itself "
        f"{imports.asyncio_ms:.2f} ms)  "
        f"(target < {IMPORT_TARGET_MS:.0f} ms)  "
        f"{_verdict(imports.lambda_asgi_ms < IMPORT_TARGET_MS)}"
    )
    if imports.heaviest:
        lines.append(
            "    heaviest modules (self time): "
            + ", ".join(f"{name} {ms:.2f} ms" for name, ms in imports.heaviest)
        )
    return "\n".join(lines)


def to_json(results: Results) -> dict[str, Any]:
    """Every figure of the run, samples included, as JSON-ready data."""
    return {
        "python": platform.python_version(),
        "compiled": lambda_asgi.COMPILED,
        "settings": dataclasses.asdict(results.settings),
        "cases": [
            {**dataclasses.asdict(m), "median_us": m.median_us, "spread": m.spread}
            for m in results.measurements
        ],
        "rows": [
            {
                "app": r.app,
                "event": r.event,
                "us": r.us,
                "overhead_us": {v: r.overhead(v) for v in VARIANTS[1:]},
                "overhead_ratio": r.overhead_ratio,
                "speedup": r.speedup,
                "guard_cost": r.guard_cost,
            }
            for r in results.rows
        ],
        "imports": dataclasses.asdict(results.imports),
        "targets": {
            "overhead_ratio_max": OVERHEAD_RATIO_TARGET,
            "overhead_ratio_apps": list(OVERHEAD_TARGET_APPS),
            "speedup_min": SPEEDUP_TARGET,
            "guard_cost_max": GUARD_TARGET,
            "import_ms_max": IMPORT_TARGET_MS,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.invoke", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a ~5 s run with fewer samples")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures as JSON")
    parser.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="timed batches per case (60 by default): --repeats 400, about eight minutes, "
        "settles fastapi+io, whose app's own batch times fall in two modes ~30 µs apart",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.repeats is not None:
        if args.repeats < 1:
            parser.error(f"--repeats must be at least 1, got {args.repeats}")
        settings = dataclasses.replace(settings, repeats=args.repeats)
    results = run(settings)
    print(format_report(results))
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(results), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
