"""Benchmark: runs per minute of sweep and calibration batches against the kernel-only rate, in one process.

The same Latin-hypercube members (``--runs`` parameter sets of the withdrawal scenario over ``--years`` from
2020, so that the 2022 withdrawals fall inside) are integrated several ways, interleaved over ``--repeats``
rounds (medians reported):

k. kernel only: the members' forcings built beforehand (not timed), then ``sim.model.integrate`` in batches of
   ``--batch`` with a no-op snapshot callback: the same member count, steps and kernel calls as the batch engine,
   nothing else. This is the ceiling.
e. the batch engine with the sweep's metrics (``run_ensemble`` + ``CountryMetrics``): scenarios, forcings,
   ensemble integration, per-country crossing days and horizon metrics on the fly.
c. a calibration batch (``run_ensemble`` + ``UnitYearSums.admin1``): per admin-1 unit and year, sums of risk and
   of risk × population (``geo.population``).
s. ``run_sweep`` in this process (``--workers 0``): the engine plus the results store (Parquet parts, resume).
p. ``run_sweep`` on the local process pool (``--workers``, cores split between them), pool start-up included.
r. (``--runner``) ``sim.runner.run`` in a plain loop, one run at a time with its files.

Target (issue 12): the calibration batch at ≥ 70 % of the kernel-only rate. Wall times on a shared machine swing
with other jobs' load, so the script also reports this process's CPU time (every thread of it; not the pool's
workers), which other jobs disturb much less. Modes s and p must give identical
metrics (checked). The kernels are loaded from numba's cache and a warm-up run is made before any timing.

    python benchmarks/bench_sweep.py                 # 10 km, 16 runs, 3 years, 3 rounds
    python benchmarks/bench_sweep.py --threads 1     # one thread, CPU time of the thread: ratios on a busy machine
    python benchmarks/bench_sweep.py --cell-km 50    # a quick smoke test
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: CPU clock: the process's (every thread), or with --threads 1 the calling thread's alone (time the scheduler gave
#: other processes is not counted, so the ratios hold on a loaded machine).
_CPU = {"clock": time.process_time}


def _cpu() -> float:
    return _CPU["clock"]()
PARAMS = ("growth.base_rate_per_year=0.5:2", "diffusion.kappa_km2_per_year=1000:5000",
          "suppression.exit_shift_days=-365:365", "suppression.troops_effect_per_year=0:1")


def scenario(cell_km: float, years: int):
    from sim import Scenario

    base = Scenario.load(ROOT / "scenarios" / "withdrawal.toml")
    start = dt.date(2020, 1, 1)
    return base.replace(**{"grid.cell_km": cell_km, "scenario.start": start.isoformat(),
                           "scenario.end": start.replace(year=start.year + years).isoformat(),
                           "output.geotiff_days": []})


def config(cell_km: float, years: int, runs: int):
    from sim.sweep import Metrics, SweepConfig, default_horizons, parse_param

    s = scenario(cell_km, years)
    return SweepConfig(s, tuple(parse_param(p) for p in PARAMS), method="lhs", n=runs, seed=1,
                       metrics=Metrics(horizons=default_horizons(s)))


def calibration_accumulator(base, grid):
    """Per admin-1 unit of the grid and calendar year, with the population surface as exposure."""
    from geo.population import population_surface
    from sim.sweep import UnitYearSums

    years = range(base.scenario.start.year, base.scenario.end.year)
    sums = UnitYearSums.admin1(grid, years, exposure=population_surface(grid).people)
    return sums, f"{sums.index.n_units} admin-1 units × population"


def mode_kernel(base, members, grid, inputs, batch: int) -> float:
    from sim.forcing import build_forcing
    from sim.model import integrate

    info = base.scenario
    forcings = [build_forcing(m.scenario(base), grid, inputs) for m in members]
    t0, c0 = time.perf_counter(), _cpu()
    for i in range(0, len(forcings), batch):
        integrate(forcings[i:i + batch], grid, info.start, base.days, info.output_every_days,
                  lambda *args: None, dtype=base.output.dtype, dt_days=base.numerics.dt_days)
    return time.perf_counter() - t0, _cpu() - c0


def mode_engine(base, members, accumulator, inputs, batch: int) -> float:
    from sim.sweep import run_ensemble

    t0, c0 = time.perf_counter(), _cpu()
    result = run_ensemble(base, members, accumulator, inputs=inputs, batch=batch)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    assert result.ok.all(), result.errors[~result.ok][:3]
    return seconds, cpu


def mode_sweep(cfg, work: Path, workers: int, batch: int) -> tuple[float, float, pd.DataFrame]:
    from sim.sweep import run_sweep

    out = Path(tempfile.mkdtemp(prefix=f"sweep-w{workers}-", dir=work))
    t0, c0 = time.perf_counter(), _cpu()
    outcome = run_sweep(cfg, out, workers=workers, batch=batch, progress=False)
    seconds, cpu = time.perf_counter() - t0, (_cpu() - c0 if workers == 0 else float("nan"))
    assert outcome.failed == 0, outcome.results[outcome.results.status != "ok"]["error"].tolist()
    shutil.rmtree(out, ignore_errors=True)
    return seconds, cpu, outcome.results


def mode_runner(cfg, work: Path) -> float:
    from sim.runner import run
    from sim.sweep import scenario_for

    t0, c0 = time.perf_counter(), _cpu()
    for r in cfg.runs(cfg.design()):
        run(scenario_for(cfg.scenario, r), work / "runner" / r.run_id)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    shutil.rmtree(work / "runner", ignore_errors=True)
    return seconds, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell-km", type=float, default=10.0)
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--runner", action="store_true", help="also time a plain loop of runner.run (slow)")
    ap.add_argument("--threads", type=int, default=None,
                    help="numba threads in this process (1: CPU time of the calling thread, robust to load)")
    args = ap.parse_args()

    import numba

    if args.threads:
        numba.set_num_threads(args.threads)
        if args.threads == 1:
            _CPU["clock"] = time.thread_time

    from sim.forcing import scenario_grid
    from sim.sweep import CountryMetrics, Member, read_inputs, warm_worker

    cfg = config(args.cell_km, args.years, args.runs)
    base = cfg.scenario
    grid = scenario_grid(base)
    inputs = read_inputs(base)
    members = [Member(r.params, r.seed) for r in cfg.runs(cfg.design())]
    calibration, units = calibration_accumulator(base, grid)
    warm_worker(args.threads, (base.output.dtype,))
    load0 = os.getloadavg()
    print(f"# sweep benchmark {dt.datetime.now().isoformat(timespec='minutes')}")
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} logical CPUs, numba "
          f"{numba.__version__} ({numba.config.THREADING_LAYER} threads: {numba.get_num_threads()}), Python "
          f"{platform.python_version()}; load average at start {load0[0]:.2f}")
    print(f"grid: {args.cell_km:g} km, {grid.shape[0]} x {grid.shape[1]} cells ({int(grid.mask.sum()):,} modelled), "
          f"{len(grid.codes)} countries; {args.runs} runs (LHS over {len(PARAMS)} parameters) of {args.years} years "
          f"({base.days} days, a snapshot every {base.scenario.output_every_days} days), batches of {args.batch}; "
          f"calibration units: {units}; {args.repeats} rounds, medians; CPU clock: "
          f"{'this thread (numba on 1 thread)' if _CPU['clock'] is time.thread_time else 'the whole process'}")
    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    pool = f"p. run_sweep, process pool ({args.workers} workers × {max(1, (os.cpu_count() or 1) // args.workers)} thr)"
    labels = {"k": "k. kernel only (integrate, no-op callback)", "e": "e. batch engine, sweep metrics",
              "c": "c. calibration batch (UnitYearSums)", "s": "s. run_sweep in this process (engine + store)",
              "p": pool, "r": "r. runner.run loop (files)"}
    times: dict[str, list[float]] = {k: [] for k in labels}  # wall seconds
    cpus: dict[str, list[float]] = {k: [] for k in labels}  # this process's CPU seconds (all its threads)
    try:
        mode_engine(base.replace(**{"scenario.end": "2020-02-01"}), members[:2], CountryMetrics(cfg.metrics),
                    inputs, args.batch)  # warm-up: grid, documents, first kernel calls
        reference = None
        def record(key, seconds, cpu):
            times[key].append(seconds)
            cpus[key].append(cpu)

        for _ in range(args.repeats):
            record("k", *mode_kernel(base, members, grid, inputs, args.batch))
            record("e", *mode_engine(base, members, CountryMetrics(cfg.metrics), inputs, args.batch))
            record("c", *mode_engine(base, members, calibration, inputs, args.batch))
            for key, workers in (("s", 0), ("p", args.workers)):
                seconds, cpu, results = mode_sweep(cfg, work, workers, args.batch)
                metrics = results.drop(columns=["seconds"])
                if reference is None:
                    reference = metrics
                pd.testing.assert_frame_equal(metrics, reference)  # identical results whatever the execution
                record(key, seconds, cpu)
        if args.runner:
            record("r", *mode_runner(cfg, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    kernel, kernel_cpu = statistics.median(times["k"]), statistics.median(cpus["k"])
    print()
    print("| mode | wall s (median) | runs/min | × kernel-only rate | CPU s (median) | × kernel-only, CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label in labels.items():
        if not times[key]:
            continue
        seconds, cpu = statistics.median(times[key]), statistics.median(cpus[key])
        cpu_cells = f"{cpu:.2f} | {kernel_cpu / cpu:.2f}" if cpu == cpu else "– | –"
        print(f"| {label} | {seconds:.2f} | {args.runs / seconds * 60:.1f} | {kernel / seconds:.2f} | {cpu_cells} |")
    spread = {k: f"{min(v):.2f}–{max(v):.2f}" for k, v in times.items() if v}
    print(f"\nper-round seconds (min–max): {spread}")
    print(f"load average at end {os.getloadavg()[0]:.2f}; sweep metrics identical in this process and on the "
          "pool: yes")


if __name__ == "__main__":
    main()
