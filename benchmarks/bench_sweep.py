"""Benchmark: runs per minute of a 10 km sweep, as single runs, as ensemble batches and on the local process pool.

The same LHS design (``--runs`` parameter sets of the withdrawal scenario over a ``--years`` horizon from 2020, so
that the 2022 withdrawals fall inside) is run five ways, all in this script, on the same machine:

a. ``runner.run`` in a plain loop: one run at a time, with its files (NetCDF, CSVs), what a shell loop over
   ``spillover run`` would do minus the interpreter start-up;
b. a plain loop of single runs without files (``sim.sweep`` with ``--batch 1`` in this process);
c. ensemble batches in this process (``--batch`` 8 and 16, ``--workers 0``; numba uses every core);
d. the local process pool (``--workers 2``, one numba thread each), with single runs (``--batch 1``) and with
   ensembles of 8: the sweep command's default.

Every mode computes the same parameter sets; modes b–d use the sweep code path (metrics, store, parquet) and must
give identical metrics, which the script checks. The kernel is loaded from numba's cache before timing starts.

    python benchmarks/bench_sweep.py                 # 10 km, 16 runs, 3 years
    python benchmarks/bench_sweep.py --cell-km 50    # a quick smoke test
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
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


def mode_runner(cfg, work: Path) -> float:
    from sim.runner import run
    from sim.sweep import scenario_for

    t0 = time.perf_counter()
    for r in cfg.runs(cfg.design()):
        run(scenario_for(cfg.scenario, r), work / r.run_id)
    return time.perf_counter() - t0


def mode_sweep(cfg, work: Path, workers: int, batch: int) -> tuple[float, pd.DataFrame]:
    from sim.sweep import run_sweep

    out = work / f"sweep-w{workers}-b{batch}"
    t0 = time.perf_counter()
    outcome = run_sweep(cfg, out, workers=workers, batch=batch, progress=False)
    seconds = time.perf_counter() - t0
    assert outcome.failed == 0, outcome.results[outcome.results.status != "ok"]["error"].tolist()
    return seconds, outcome.results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell-km", type=float, default=10.0)
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-runner", action="store_true", help="skip mode a (the slowest)")
    args = ap.parse_args()

    import numba

    from sim.forcing import scenario_grid
    from sim.sweep import warm_worker

    cfg = config(args.cell_km, args.years, args.runs)
    grid = scenario_grid(cfg.scenario)
    warm_worker(None, ("float32",))
    load0 = os.getloadavg()
    print(f"# sweep benchmark {dt.datetime.now().isoformat(timespec='minutes')}")
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} logical CPUs, numba "
          f"{numba.__version__} ({numba.config.THREADING_LAYER} threads: {numba.get_num_threads()}), Python "
          f"{platform.python_version()}; load average at start {load0[0]:.2f}")
    print(f"grid: {args.cell_km:g} km, {grid.shape[0]} x {grid.shape[1]} cells ({int(grid.mask.sum()):,} modelled), "
          f"{len(grid.codes)} countries; {args.runs} runs (LHS over {len(PARAMS)} parameters) of {args.years} years "
          f"({cfg.scenario.days} days)")
    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    rows = []
    try:
        # a warm-up run so that no mode pays for the grid, the documents or the first kernel call
        mode_sweep(config(args.cell_km, 1, 1), work / "warm", 0, 1)
        if not args.skip_runner:
            rows.append(("a. runner.run loop (files)", 1, 1, mode_runner(cfg, work / "runner")))
        reference = None
        pool = f"d. process pool ({args.workers} workers × {max(1, (os.cpu_count() or 1) // args.workers)} thread)"
        for label, workers, batch in (("b. single runs, no files", 0, 1), ("c. ensemble, one process", 0, 8),
                                      ("c. ensemble, one process", 0, 16), (pool + ", single runs", args.workers, 1),
                                      (pool + ", ensembles", args.workers, 8)):
            seconds, results = mode_sweep(cfg, work, workers, batch)
            metrics = results.drop(columns=["seconds"])
            if reference is None:
                reference = metrics
            pd.testing.assert_frame_equal(metrics, reference)  # identical results whatever the batching
            rows.append((label, workers, batch, seconds))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = rows[0][3]
    print()
    print(f"| mode | workers | batch | seconds | runs/min | × {rows[0][0][:2].strip('. ')} |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, workers, batch, seconds in rows:
        print(f"| {label} | {workers} | {batch} | {seconds:.1f} | {args.runs / seconds * 60:.1f} | "
              f"{base / seconds:.2f} |")
    print(f"\nload average at end {os.getloadavg()[0]:.2f}; metrics identical across modes b-d: yes")


if __name__ == "__main__":
    main()
