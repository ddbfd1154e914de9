"""The temporal block on a grid that fits in cache: the default run's kernel loop with 1, 4, ... steps per pass.

The grid of scenarios/withdrawal.toml (388 x 595 cells at 10 km), one member, and the default run's pattern of calls:
210 calls of 26 one-day steps (about the 5,479 days of the run, one call per snapshot). Rounds are interleaved (each round times every
block once), so load from other processes falls on all blocks alike; the figure is the median over rounds. Results
are bit-identical whatever the block (tests/test_kernel.py); only the number of per-step thread barriers changes
(one per pass), which matters when another process holds a core.

    python benchmarks/bench_kernel_block.py                     # blocks 1, 4, 8; 9 rounds
    python benchmarks/bench_kernel_block.py --busy              # the same with a busy loop holding one core
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_kernel import KAPPA, R, real_grid  # noqa: E402
from sim.faces import faces_for  # noqa: E402
from sim.kernel import advance, auto_block, prepare  # noqa: E402
from sim.rates import fill_rate  # noqa: E402

DAYS, PER_CALL = 5479, 26


def _spin():
    while True:
        pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", default="1,4,8", help="comma-separated temporal blocks")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--busy", action="store_true", help="hold one core with a busy loop while timing")
    args = ap.parse_args(argv)
    blocks = [int(b) for b in args.blocks.split(",")]
    cid, perm, dx = real_grid()
    ny, nx = cid.shape
    faces = faces_for(cid, perm)
    rng = np.random.default_rng(0)
    r = R * rng.uniform(0.5, 1.5, (1, len(perm)))
    r[:, 0] = 0
    base = prepare(rng.uniform(0, 1, (1, ny, nx)), faces, np.full(1, KAPPA), dx, 1.0)
    ones = np.ones((1, ny, nx), np.float32)
    L, Q = np.empty((1, ny, nx), np.float32), np.empty((1, ny, nx), np.float32)
    fill_rate(L, cid, np.ascontiguousarray(r[:, None, :]), ones, 1.0)
    fill_rate(Q, cid, np.ascontiguousarray(r[:, None, :]), ones, 1.0)
    for b in blocks:  # compile / load every specialisation first
        advance(base.u.copy(), base.buf.copy(), faces, base.coef, L, Q, PER_CALL, block=b)
    spinner = multiprocessing.Process(target=_spin, daemon=True) if args.busy else None
    if spinner is not None:
        spinner.start()
    times = {b: [] for b in blocks}
    try:
        for _ in range(args.rounds):
            for b in blocks:
                u, buf = base.u.copy(), base.buf.copy()
                t0 = time.perf_counter()
                for _ in range(DAYS // PER_CALL):
                    out = advance(u, buf, faces, base.coef, L, Q, PER_CALL, block=b)
                    if out is buf:
                        u, buf = buf, u
                times[b].append(time.perf_counter() - t0)
    finally:
        if spinner is not None:
            spinner.terminate()
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"default run's kernel loop, {ny} x {nx} cells, m = 1, {DAYS // PER_CALL} calls of {PER_CALL} steps; "
          f"auto_block {auto_block((1, ny, nx), np.float32)}; {'one core busy; ' if args.busy else ''}"
          f"medians of {args.rounds}; load average {load}")
    first = statistics.median(times[blocks[0]])
    print("| block | seconds (median) | min | max | × block %d |" % blocks[0])
    print("|---:|---:|---:|---:|---:|")
    for b in blocks:
        med = statistics.median(times[b])
        print(f"| {b} | {med:.3f} | {min(times[b]):.3f} | {max(times[b]):.3f} | {med / first:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
