"""Benchmark of the model kernel (sim/kernel.py) on the real 10 km region grid, beside the plain Fisher-KPP kernel
and today's kernel, in one process.

Kernels, each with m = 1, 8 and 32 ensemble members:

* ``model``     sim.kernel.advance on the grid of scenarios/withdrawal.toml (388 x 595 cells at 10 km, 62% of them
                modelled), with per-member per-cell fields L, Q (l = r - sigma, q = r per country, as the model loop
                builds them), face weights from the permeability table; its default temporal block (auto_block)
* ``model b1``  the same, block=1 (no temporal blocking)
* ``v1``        today's kernel before this change, frozen in benchmarks/baseline_kernel_v1.py, on the same grid and
                the same model (per-country tables), its default block
* ``fkpp``      sim.kernel.fisher_kpp_advance, the plain fused Fisher-KPP step (uniform coefficients, no mask, no
                fields) on an N x N square with N² = m x ny x nx: the same number of cell updates per step

Cell updates are counted over the whole grid (m x ny x nx per step, cells outside the mask included, as for the
square). ``land`` counts only the modelled cells (a stricter figure for the real grid).

Timing: every kernel is compiled and warmed up first; then ``--repeats`` rounds, each timing every kernel once
(interleaved, so load from other processes falls on all of them alike) for about ``--seconds``; the figure is the
median over rounds. With one numba thread the clock is the calling thread's CPU time (``time.thread_time``: time
when another process had the core is not counted, which makes ratios stable on a shared machine); with more
threads it is wall time. Ratios are of medians measured in this run. The load average and ``busy`` (other
runnable threads, sampled around the run) are printed.

    python benchmarks/bench_kernel.py                       # 1 and 2 threads, m = 1, 8, 32: a few minutes
    python benchmarks/bench_kernel.py --threads 2 --members 8 --repeats 9
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import baseline_kernel_v1 as v1  # noqa: E402
from bench_kernel_square import cpu_name, others_running  # noqa: E402
from sim.faces import faces_for  # noqa: E402
from sim.kernel import advance, auto_block, fisher_kpp_advance, prepare, stable_dt  # noqa: E402
from sim.rates import fill_rate  # noqa: E402

KAPPA = 2500.0 / 365.25  # km²/day (the default scenario's)
R = 1.0 / 365.25  # 1/day
SIGMA = 0.3 / 365.25


def real_grid():
    """(country ids, permeability table, cell km) of the default scenario's grid."""
    from sim.forcing import permeability_table, scenario_grid
    from sim.scenario import Scenario

    scenario = Scenario.load(ROOT / "scenarios" / "withdrawal.toml")
    grid = scenario_grid(scenario)
    return np.ascontiguousarray(grid.country_id, np.uint8), permeability_table(scenario, grid), grid.cell_km


def swapper(call, u, buf):
    """step(k) that advances ``k`` steps with ``call(u, buf, k) -> result`` and keeps the result in ``u``."""
    st = {"u": u, "buf": buf}

    def step(k):
        out = call(st["u"], st["buf"], k)
        if out is st["buf"]:
            st["u"], st["buf"] = st["buf"], st["u"]

    return step


def model_kernels(cid, perm, dx, m, rng):
    """The new kernel's steppers (default block and block 1) and today's kernel's, on the same model (they agree
    to rounding: tests/test_kernel.py)."""
    ny, nx = cid.shape
    n1 = len(perm)
    faces = faces_for(cid, perm)
    r = R * rng.uniform(0.5, 1.5, (m, n1))
    r[:, 0] = 0
    sigma = SIGMA * rng.uniform(0, 1, (m, n1)) * (rng.random((m, n1)) < 0.5)
    sigma[:, 0] = 0
    kappa = KAPPA * rng.uniform(0.8, 1.2, m)
    dt = stable_dt(kappa, dx, faces.face_sum.max(), (r - sigma).min(), r.max())
    u0 = rng.uniform(0, 1, (m, ny, nx))
    args = prepare(u0, faces, kappa, dx, dt)
    ones = np.ones((1, ny, nx), np.float32)
    L, Q = np.empty((m, ny, nx), np.float32), np.empty((m, ny, nx), np.float32)
    fill_rate(L, cid, np.ascontiguousarray((r - sigma)[:, None, :]), ones, dt)
    fill_rate(Q, cid, np.ascontiguousarray(r[:, None, :]), ones, dt)
    new = {"model": swapper(lambda u, b, k: advance(u, b, faces, args.coef, L, Q, k), args.u, args.buf),
           "model b1": swapper(lambda u, b, k: advance(u, b, faces, args.coef, L, Q, k, block=1), args.u.copy(),
                               args.buf.copy())}
    old = v1.prepare(u0, cid, perm, r, sigma, kappa, dx, dt)
    new["v1"] = swapper(lambda u, b, k: v1.advance(u, b, *old[2:], nsteps=k), old.u, old.buf)
    return new, auto_block((m, ny, nx), np.float32)


def fkpp_kernel(cells, rng):
    n = int(round(cells**0.5))
    u = rng.uniform(0, 1, (n, n)).astype(np.float32)
    return swapper(lambda a, b, k: fisher_kpp_advance(a, b, 0.2, 0.01, k), u, np.empty_like(u)), n


def timed_rounds(kernels: dict, seconds: float, repeats: int, cpu_clock: bool) -> dict:
    """Median seconds per step of each kernel over interleaved rounds."""
    clock = time.thread_time if cpu_clock else time.perf_counter
    steps = {}
    for name, step in kernels.items():
        step(2)  # compile and warm up
        t = clock()
        step(2)
        steps[name] = max(1, int(seconds / max((clock() - t) / 2, 1e-9)))
    samples = {name: [] for name in kernels}
    for _ in range(repeats):
        for name, step in kernels.items():
            t = clock()
            step(steps[name])
            samples[name].append((clock() - t) / steps[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", default="1,8,32")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--seconds", type=float, default=0.25, help="time of one kernel in one round, roughly")
    a = p.parse_args(argv)
    members = [int(x) for x in a.members.split(",")]
    threads = [min(int(t), numba.config.NUMBA_NUM_THREADS) for t in a.threads.split(",")]
    rng = np.random.default_rng(0)
    cid, perm, dx = real_grid()
    ny, nx = cid.shape
    land = int((cid > 0).sum())
    print(f"# bench_kernel (real grid)  {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}")
    fisher_kpp_advance(np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32), 0.1, 0.1, 1)  # threading layer
    print(f"# {cpu_name()}, {os.cpu_count()} cores, numba {numba.__version__} ({numba.threading_layer()} threading "
          f"layer), numpy {np.__version__}, python {platform.python_version()}")
    print(f"# grid {ny} x {nx} at {dx:g} km, {land} modelled cells ({land / cid.size:.0%}); {faces_for(cid, perm)}")
    print(f"# median of {a.repeats} interleaved rounds of ~{a.seconds}s per kernel; load average at start "
          f"{os.getloadavg()[0]:.2f}, busy {others_running():.1f}")
    header = (f"| {'m':>3} | {'thr':>3} | {'clock':5} | {'kernel':9} | {'block':>5} | {'ms/step':>9} | "
              f"{'cell-upd/s':>10} | {'land/s':>9} | {'x fkpp':>6} | {'land x fkpp':>11} | {'x v1':>5} |")
    print(header)
    print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    for m in members:
        kernels, block = model_kernels(cid, perm, dx, m, rng)
        cells = m * ny * nx
        fkpp, n_sq = fkpp_kernel(cells, rng)
        kernels["fkpp"] = fkpp
        for th in threads:
            numba.set_num_threads(th)
            cpu = th == 1
            t = timed_rounds(kernels, a.seconds, a.repeats, cpu)
            for name, sec in t.items():
                rate = (n_sq * n_sq if name == "fkpp" else cells) / sec
                fk = (n_sq * n_sq) / t["fkpp"]
                blk = {"model": block, "model b1": 1, "fkpp": 1}.get(name, auto_block((m, ny, nx), np.float32, 0))
                land_cell = f"{m * land / sec:9.2e}" if name != "fkpp" else f"{'-':>9}"
                land_x = f"{m * land / sec / fk:11.2f}" if name != "fkpp" else f"{'-':>11}"
                vs_v1 = f"{t['v1'] / sec:5.2f}" if name != "fkpp" else f"{'-':>5}"
                label = f"{name}" if name != "fkpp" else f"fkpp {n_sq}²"
                print(f"| {m:3d} | {th:3d} | {'cpu' if cpu else 'wall':5} | {label:9} | {blk:5d} | {sec * 1e3:9.3f} | "
                      f"{rate:10.3e} | {land_cell} | {rate / fk:6.2f} | {land_x} | {vs_v1} |", flush=True)
        print(f"# m={m}: fkpp square {n_sq}² = {n_sq * n_sq} cells for {cells} grid cells; busy {others_running():.1f}")
    print(f"# load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
