"""Benchmark of the CUDA model kernel (sim/kernel_cuda.py) where an NVIDIA GPU exists; checks it against the CPU.

    pip install -e '.[cuda]'                      # NVIDIA's numba-cuda with the CUDA 12 libraries
    python benchmarks/bench_kernel_cuda.py        # real 10 km grid, m = 1, 8, 32, 128; squares 4096² and 8192²

For each case: device time per step (CUDA events around ``--steps`` launches after a warm-up, median of
``--repeats``), cell updates per second (grid cells x members, as benchmarks/bench_kernel.py counts them) and the
effective bandwidth (u read and written, L and Q read: 16 bytes per float32 cell update; the weights and mask are
shared by the members and mostly come from cache). Before timing, 20 steps on the GPU are compared with the numba
CPU kernel on the same arrays: on a GPU, NVVM contracts multiply-adds into FMAs, so they differ by rounding only
(printed as the largest difference, and relative to float32's eps). The guide's reference: a plain CUDA C 5-point
float32 step ran at ~240e9 cell updates/s on an H200 (4.2 TB/s device copy bandwidth).

Without a GPU it says so and exits 0 (under NUMBA_ENABLE_CUDASIM=1 it runs one tiny case, for a smoke test).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.faces import faces_for  # noqa: E402
from sim.kernel import advance, prepare, stable_dt  # noqa: E402
from sim.kernel_cuda import DeviceRun, available  # noqa: E402


def case(ids, perm, m, rng, dx=10.0):
    faces = faces_for(ids, perm)
    ny, nx = ids.shape
    q = (rng.uniform(0.5, 1.5, (m, 1, 1)) / 365.25) * (ids > 0)
    l = q - 0.3 / 365.25 * rng.random((m, ny, nx))
    kappa = 2500 / 365.25 * rng.uniform(0.8, 1.2, m)
    dt = stable_dt(kappa, dx, faces.face_sum, l, q)
    return prepare(rng.uniform(0, 1, (m, ny, nx)), faces, kappa, dx, dt, l, q)


def bench(name, args, steps, repeats):
    from numba import cuda

    run = DeviceRun(args.u, args.faces, args.coef, args.L, args.Q)
    run.advance(20)
    ref = advance(args.u.copy(), args.buf.copy(), *args[2:], nsteps=20)
    diff = float(np.abs(run.state() - ref).max())
    run.advance(steps)  # warm-up
    times = []
    for _ in range(repeats):
        start, stop = cuda.event(), cuda.event()
        start.record()
        run.advance(steps)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3 / steps)
    sec = max(statistics.median(times), 1e-12)  # the simulator reports 0
    cells = args.u.size
    print(f"| {name:22} | {args.u.shape[0]:4d} | {sec * 1e6:9.1f} | {cells / sec:10.3e} | {16 * cells / sec / 1e9:7.0f} |"
          f" {diff:8.1e} ({diff / np.finfo(np.float32).eps:5.1f} eps) |", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", default="1,8,32,128")
    p.add_argument("--squares", default="4096,8192")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args(argv)
    from numba.core import config

    if not available():
        print("# no CUDA GPU available here (numba.cuda.is_available() is False): nothing to measure. Run this where "
              "an NVIDIA GPU and the [cuda] extra are installed.")
        return 0
    rng = np.random.default_rng(0)
    header = f"| {'case':22} | {'m':>4} | {'us/step':>9} | {'cell-upd/s':>10} | {'GB/s':>7} | {'max diff vs CPU':>22} |"
    print(header, flush=True)
    print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    one = np.array([[0, 0], [0, 1.0]])
    if config.ENABLE_CUDASIM:  # a smoke test of this script: the simulator runs every thread in Python
        bench("simulator 6x9", case(np.ones((6, 9), np.uint8), one, 2, rng), 2, 1)
        return 0
    from sim.forcing import permeability_table, scenario_grid
    from sim.scenario import Scenario

    scenario = Scenario.load(ROOT / "scenarios" / "withdrawal.toml")
    grid = scenario_grid(scenario)
    cid, perm = np.ascontiguousarray(grid.country_id, np.uint8), permeability_table(scenario, grid)
    from numba import cuda

    name = cuda.get_current_device().name
    print(f"# {name.decode() if isinstance(name, bytes) else name}, numba {cuda.implementation} numba.cuda")
    for m in [int(x) for x in a.members.split(",")]:
        bench(f"real grid {cid.shape[0]}x{cid.shape[1]}", case(cid, perm, m, rng), a.steps, a.repeats)
    for n in [int(x) for x in a.squares.split(",") if x]:
        bench(f"square {n}²", case(np.ones((n, n), np.uint8), one, 1, rng, dx=1.0), a.steps, a.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
