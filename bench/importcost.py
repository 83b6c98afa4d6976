"""What ``import lambda_asgi`` adds to a cold start beyond ``import asyncio``.

Every ASGI adapter needs asyncio, so the honest figure is the rest: a fresh interpreter runs
``import asyncio; import lambda_asgi`` under ``-X importtime``, and the cumulative time of
the top-level ``lambda_asgi`` entry is exactly what importing it cost once asyncio (and
everything asyncio pulls in) was already loaded. The median over several processes is
reported, with the heaviest modules imported on lambda_asgi's behalf.

Importing asyncio leaves the garbage collector's middle generation due: the next collection,
whichever import's allocations trigger it, sweeps asyncio's objects (about 1 ms here). That
sweep is asyncio's bill, so the program settles it with ``gc.collect()`` before importing
lambda_asgi, whose figure then includes only collections its own objects cause. The figure
without settling is reported beside it.

Bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``, whatever
``PYTHONDONTWRITEBYTECODE`` says) and a first, unmeasured run fills that cache: the figure is
the import cost, not the cost of compiling the sources.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROGRAM = "import asyncio; import gc; gc.collect(); import lambda_asgi"
UNSETTLED_PROGRAM = "import asyncio; import lambda_asgi"


@dataclass(frozen=True)
class ImportEntry:
    """One line of ``-X importtime`` output."""

    name: str
    level: int
    self_us: int
    cumulative_us: int


@dataclass(frozen=True)
class ImportCost:
    """Medians over ``runs`` fresh interpreters, in milliseconds."""

    runs: int
    asyncio_ms: float
    lambda_asgi_ms: float
    lambda_asgi_best_ms: float
    """The fastest run: the figure least disturbed by other processes."""
    lambda_asgi_unsettled_ms: float
    """The median without settling asyncio's pending collection first (see the module)."""
    heaviest: tuple[tuple[str, float], ...]
    """The five modules (its own or not) that took longest to import on lambda_asgi's
    behalf, by their own ("self") time: (name, ms), heaviest first."""


def parse_importtime(stderr: str) -> list[ImportEntry]:
    """The entries of ``-X importtime`` output, in the order printed (children first)."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_field, cumulative_field, name_field = line[len("import time:") :].split("|", 2)
        name = name_field[1:]
        level = (len(name) - len(name.lstrip(" "))) // 2
        entries.append(ImportEntry(name.strip(), level, int(self_field), int(cumulative_field)))
    return entries


def _one_run(
    python: str, env: dict[str, str], program: str = PROGRAM
) -> tuple[int, int, dict[str, int]]:
    """(asyncio µs, lambda_asgi µs, self µs of each module imported under lambda_asgi)."""
    completed = subprocess.run(
        [python, "-X", "importtime", "-c", program],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    top = {}
    modules: dict[str, int] = {}
    pending: dict[str, int] = {}
    for entry in parse_importtime(completed.stderr):
        # Children are printed before their parent, so a top-level line closes a subtree.
        pending[entry.name] = entry.self_us
        if entry.level == 0:
            top[entry.name] = entry.cumulative_us
            if entry.name == "lambda_asgi":
                modules = pending
            pending = {}
    return top.get("asyncio", 0), top["lambda_asgi"], modules


def measure_import(runs: int, python: str = sys.executable) -> ImportCost:
    """Import asyncio then lambda_asgi in ``runs`` fresh interpreters (after one to warm
    the bytecode cache) and answer the medians.
    """
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        _one_run(python, env)
        results = []
        unsettled = []
        for _ in range(runs):
            results.append(_one_run(python, env))
            unsettled.append(_one_run(python, env, UNSETTLED_PROGRAM)[1])
    names = {name for _, _, modules in results for name in modules}
    heaviest = sorted(
        (
            (name, statistics.median(modules.get(name, 0) for _, _, modules in results) / 1000)
            for name in names
        ),
        key=lambda item: -item[1],
    )
    return ImportCost(
        runs=runs,
        asyncio_ms=statistics.median(asyncio_us for asyncio_us, _, _ in results) / 1000,
        lambda_asgi_ms=statistics.median(la_us for _, la_us, _ in results) / 1000,
        lambda_asgi_best_ms=min(la_us for _, la_us, _ in results) / 1000,
        lambda_asgi_unsettled_ms=statistics.median(unsettled) / 1000,
        heaviest=tuple(heaviest[:5]),
    )
