"""Benchmark of the custom runtime: per-invocation cost of our Runtime API loop against the
official ``awslambdaric``, both serving the same Adapter and app from a subprocess against the
same kind of emulator, and time to first byte of a streamed response. The floor is
``bench.null_runtime``, a client that answers every event at once without any handler.

    .venv/bin/python -m bench.runtime            # about 20 s
    .venv/bin/python -m bench.runtime --quick    # a few seconds

Each runtime gets its own emulator; batches of sequential invocations rotate between them,
so a slow spell of the machine hits all alike. Two figures per runtime: the median batch, in
µs per invocation, round trip through the emulator (whose own cost is in every figure), and
the CPU time the runtime process itself spent per invocation over all timed batches (from
/proc, in 10 ms ticks summed over thousands of invocations: immune to the emulator's cost and
to wall-clock noise). Streaming: an app sends ``chunks`` events ``gap_ms`` apart; time to first
byte is from the runtime taking the event to the first body chunk reaching the emulator,
against the buffered answer, whose first byte is its last. The floor is
``bench.null_runtime``, a client that answers every event at once without any handler.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from lambda_asgi.emulator import RuntimeEmulator
from lambda_asgi.testing import function_url_event, http_api_event

ROOT = Path(__file__).resolve().parent.parent
HANDLER = "bench.runtime_app.handler"
RUNTIMES = {
    "floor": [sys.executable, "-m", "bench.null_runtime"],
    "awslambdaric": [sys.executable, "-m", "awslambdaric", HANDLER],
    "lambda_asgi.runtime": [sys.executable, "-m", "lambda_asgi.runtime"],
}
EVENT = http_api_event(method="GET", path="/items/42", query="limit=10")


class BenchmarkError(Exception):
    """Raised when a runtime answers the benchmark's invocation wrongly."""


@dataclass(frozen=True)
class Settings:
    rounds: int
    batch: int
    streams: int


FULL = Settings(rounds=40, batch=100, streams=20)
QUICK = Settings(rounds=6, batch=30, streams=5)


@dataclass(frozen=True)
class Served:
    """A runtime subprocess and its emulator."""

    emulator: RuntimeEmulator
    pid: int

    def cpu_seconds(self) -> float:
        """User plus system CPU time the runtime process has used (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(command: list[str], mode: str = "buffered") -> Iterator[Served]:
    with RuntimeEmulator() as emulator:
        env = {**os.environ, **emulator.environ(HANDLER, task_root=str(ROOT))}
        env["LAMBDA_ASGI_INVOKE_MODE"] = mode
        process = subprocess.Popen(command, env=env, cwd=ROOT)
        try:
            yield Served(emulator, process.pid)
        finally:
            emulator.shutdown(process, grace=5)


def invoke_batch(emulator: RuntimeEmulator, calls: int) -> float:
    """Microseconds per invocation over ``calls`` sequential invocations."""
    start = time.perf_counter_ns()
    for _ in range(calls):
        result = emulator.invoke(EVENT, timeout=30)
        if result.status != "success" or result.json().get("statusCode") != 200:
            raise BenchmarkError(f"invocation failed: {result.error or result.payload[:80]!r}")
    return (time.perf_counter_ns() - start) / calls / 1000


def time_to_first_byte(emulator: RuntimeEmulator, chunks: int, gap_ms: int) -> tuple[float, float]:
    """Milliseconds from delivery to the first body byte, and to the end."""
    event = function_url_event(path="/stream", query={"chunks": str(chunks), "gap_ms": str(gap_ms)})
    result = emulator.invoke(event, timeout=30)
    if result.status != "success" or result.delivered_at is None or result.finished_at is None:
        raise BenchmarkError(f"stream failed: {result.error}")
    body_chunks = result.chunks[1:] if result.streamed else []
    first = body_chunks[0].at if body_chunks else result.finished_at
    return (first - result.delivered_at) * 1000, (result.finished_at - result.delivered_at) * 1000


@dataclass(frozen=True)
class Results:
    per_invocation_us: dict[str, float]
    cpu_us: dict[str, float]
    ttfb_ms: dict[str, float]
    total_ms: dict[str, float]

    @property
    def ratio(self) -> float:
        """Round trip, lambda_asgi.runtime over awslambdaric."""
        times = self.per_invocation_us
        return times["lambda_asgi.runtime"] / times["awslambdaric"]

    @property
    def overhead_ratio(self) -> float:
        """What each runtime adds over the do-nothing client, ours over awslambdaric's."""
        times = self.per_invocation_us
        ours = times["lambda_asgi.runtime"] - times["floor"]
        theirs = times["awslambdaric"] - times["floor"]
        return ours / theirs if theirs > 0 else float("nan")

    @property
    def cpu_ratio(self) -> float:
        """CPU per invocation in the runtime process, ours over awslambdaric's."""
        theirs = self.cpu_us["awslambdaric"]
        return self.cpu_us["lambda_asgi.runtime"] / theirs if theirs > 0 else float("nan")


def run(settings: Settings) -> Results:
    samples: dict[str, list[float]] = {name: [] for name in RUNTIMES}
    cpu: dict[str, float] = {}
    with ExitStack() as stack:
        served = {name: stack.enter_context(serving(cmd)) for name, cmd in RUNTIMES.items()}
        for runtime in served.values():
            invoke_batch(runtime.emulator, settings.batch)  # start-up and warm-up
        cpu_before = {name: runtime.cpu_seconds() for name, runtime in served.items()}
        names = list(RUNTIMES)
        for round_number in range(settings.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(invoke_batch(served[name].emulator, settings.batch))
        calls = settings.rounds * settings.batch
        for name, runtime in served.items():
            cpu[name] = (runtime.cpu_seconds() - cpu_before[name]) / calls * 1e6
    ttfb: dict[str, list[float]] = {"buffered": [], "response_stream": []}
    total: dict[str, list[float]] = {"buffered": [], "response_stream": []}
    with ExitStack() as stack:
        emulators = {
            mode: stack.enter_context(serving(RUNTIMES["lambda_asgi.runtime"], mode)).emulator
            for mode in ttfb
        }
        for _ in range(settings.streams):
            for mode, emulator in emulators.items():
                first, end = time_to_first_byte(emulator, chunks=10, gap_ms=20)
                ttfb[mode].append(first)
                total[mode].append(end)
    return Results(
        {name: statistics.median(values) for name, values in samples.items()},
        cpu,
        {mode: statistics.median(values) for mode, values in ttfb.items()},
        {mode: statistics.median(values) for mode, values in total.items()},
    )


def format_report(results: Results) -> str:
    lines = ["per invocation (round trip through the emulator, median batch)"]
    for name, value in results.per_invocation_us.items():
        lines.append(f"  {name:<22} {value:8.1f} µs")
    lines.append(f"  ratio lambda_asgi.runtime / awslambdaric: {results.ratio:.2f}")
    lines.append(
        "  overhead over the floor, lambda_asgi.runtime / awslambdaric: "
        f"{results.overhead_ratio:.2f}"
    )
    lines.append("CPU time of the runtime process per invocation (all timed batches)")
    for name, value in results.cpu_us.items():
        lines.append(f"  {name:<22} {value:8.1f} µs")
    lines.append(f"  ratio lambda_asgi.runtime / awslambdaric: {results.cpu_ratio:.2f}")
    lines.append("time to first byte, 10 events 20 ms apart (median)")
    for mode in results.ttfb_ms:
        lines.append(
            f"  {mode:<22} first byte {results.ttfb_ms[mode]:7.1f} ms, "
            f"last byte {results.total_ms[mode]:7.1f} ms"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.runtime", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, a few seconds")
    args = parser.parse_args(argv)
    print(format_report(run(QUICK if args.quick else FULL)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
