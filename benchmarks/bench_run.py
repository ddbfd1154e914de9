"""The default run end to end: where its wall time goes, with the kernel alone as the yardstick.

    python benchmarks/bench_run.py [--repeats 3] [--scenario scenarios/withdrawal.toml]

Measured (medians of ``--repeats``, after one warm-up so that the numba cache and the document cache are warm):

- ``import sim`` and ``import sim.runner`` in fresh interpreters;
- ``spillover run SCENARIO --out DIR -q --force`` in a fresh interpreter (what a user waits for, import included);
- reading the documents in a fresh interpreter, from the cache and with ``SPILLOVER_CACHE=off`` (spaCy imported
  and run), beyond the import of ``sim.runner``;
- in one process: loading the scenario, building the grid, the forcing, the kernel loop alone (``integrate`` with a no-op snapshot callback),
  ``run(s)`` (no files), ``run(s, out)`` with the files written by the writer process (:mod:`sim.writerproc`),
  by the background thread, and with the writer called inline (the baseline: what writing cost on the critical path before).

Ratios to the kernel loop are printed beside the seconds, so a busy machine shows in every row alike.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def subprocess_seconds(argv: list[str], repeats: int, env=None) -> float:
    def once():
        subprocess.run(argv, check=True, capture_output=True, env=env, cwd=ROOT)
    return timed(once, repeats)


class InlineWriter:
    """The baseline: snapshots written on the calling thread (no overlap with the kernel)."""

    def __init__(self, consumer, maxsize: int = 4, name: str = ""):
        self.consumer = consumer

    def put(self, day, date, u, sigma):
        self.consumer(day, date, u.copy(), sigma.copy())

    def close(self):
        finish = getattr(self.consumer, "finish", None)
        if finish:
            finish()

    def abort(self, exc):
        abort = getattr(self.consumer, "abort", None)
        if abort:
            abort(exc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "withdrawal.toml"))
    args = parser.parse_args()
    n = args.repeats
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="bench_run_"))
    env = {**os.environ}

    import sim.output
    import sim.runner
    from sim import forcing
    from sim.forcing import build_forcing, document_inputs, scenario_grid
    from sim.model import integrate
    from sim.scenario import Scenario

    scenario = Scenario.load(args.scenario)
    sim.runner.run(scenario, work / "warm", force=True)  # warm the numba and document caches

    rows: list[tuple[str, float]] = []
    rows.append(("import sim (fresh interpreter)", subprocess_seconds([python, "-c", "import sim"], n, env)))
    rows.append(("import sim.runner (fresh interpreter)", subprocess_seconds([python, "-c", "import sim.runner"], n,
                                                                             env)))
    cli = [python, "-m", "sim.cli", "run", args.scenario, "--out", str(work / "cli"), "-q", "--force"]
    rows.append(("spillover run, fresh interpreter, warm caches (the user's wait)", subprocess_seconds(cli, n, env)))

    rows.append(("Scenario.load", timed(lambda: Scenario.load(args.scenario), n)))

    def grid():
        forcing._grid_cached.cache_clear()
        scenario_grid(scenario)
    rows.append(("grid (build_grid)", timed(grid, n)))

    read = ("import sim.runner, sys; from sim.scenario import Scenario; from sim.forcing import document_inputs; "
            f"document_inputs(Scenario.load({args.scenario!r}))")
    imports = rows[1][1]
    hit = subprocess_seconds([python, "-c", read], n, env) - imports
    miss = subprocess_seconds([python, "-c", read], n, {**env, "SPILLOVER_CACHE": "off"}) - imports
    rows.append(("documents in a fresh interpreter, cache hit (beyond the import)", hit))
    rows.append(("documents in a fresh interpreter, no cache (spaCy import + extraction)", miss))

    g = scenario_grid(scenario)
    inputs = document_inputs(scenario)
    rows.append(("forcing (tables, initial risk)", timed(lambda: build_forcing(scenario, g, inputs), n)))
    f = build_forcing(scenario, g, inputs)
    info = scenario.scenario

    def kernel():
        integrate([f], g, info.start, scenario.days, info.output_every_days, lambda *a: None,
                  dtype=scenario.output.dtype, dt_days=scenario.numerics.dt_days)
    kernel_s = timed(kernel, n)
    rows.append(("kernel loop alone (integrate, no output)", kernel_s))
    rows.append(("run(s): result in memory, no files", timed(lambda: sim.runner.run(scenario), n)))
    from sim import writerproc

    rows.append(("run(s, out): files from the writer process (default on Linux)",
                 timed(lambda: sim.runner.run(scenario, work / "process", force=True), n)))
    os.environ[writerproc.ENV] = "thread"  # SnapshotWriter, and the inline baseline replacing it
    try:
        rows.append(("run(s, out): NetCDF etc. from the writer thread",
                     timed(lambda: sim.runner.run(scenario, work / "threaded", force=True), n)))
        threaded = sim.output.SnapshotWriter
        sim.output.SnapshotWriter = InlineWriter
        try:
            rows.append(("run(s, out): writer inline (baseline)",
                         timed(lambda: sim.runner.run(scenario, work / "inline", force=True), n)))
        finally:
            sim.output.SnapshotWriter = threaded
    finally:
        os.environ.pop(writerproc.ENV, None)

    load = os.getloadavg()
    print(f"default run phases, {scenario.scenario.name}: {g.shape[0]} x {g.shape[1]} cells, {scenario.days} days; "
          f"medians of {n}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores\n")
    print("| phase | seconds | × kernel loop |")
    print("|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / kernel_s:.2f} |")


if __name__ == "__main__":
    main()
