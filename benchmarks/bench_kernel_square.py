"""Square-grid benchmark of the kernels (sim/kernel.py) against numpy and py-pde on one Fisher-KPP problem.

(The real-grid benchmark of the model kernel is benchmarks/bench_kernel.py.)

    du/dt = D laplace(u) + r u (1 - u),  D = 1 km²/day, r = 1/day, dx = 1 km, zero flux at the edges,
    explicit Euler with dt = stable_dt(D, dx, r, 0) = 0.18 day, u0 uniform random in [0, 1].

Kernels, all on that problem, on N x N grids:

* ``model``        sim.kernel.advance (the model kernel: one country covering the grid, sigma = 0), block=1
* ``model tb<k>``  the same with temporal blocking, k steps per pass over the grid (bit-identical results)
* ``fkpp numba``   sim.kernel.fisher_kpp_advance: the plain fused Fisher-KPP step (uniform coefficients, no mask)
* ``fkpp numpy``   sim.kernel.fisher_kpp_advance_numpy: numpy slicing with out=, no allocation in the loop
                   (single-threaded whatever the thread count)
* ``py-pde``       pde.PDE({"u": "D*laplace(u) + r*u*(1-u)"}) on a CartesianGrid, Neumann 0, EulerSolver with a
                   fixed dt and the numba backend (float64 only: py-pde computes in float64), multithreading on

Only stepping is timed: every kernel is compiled and warmed up first; each figure is the median over repeats of
(wall time of n steps) / n. Columns: ms per step (median), cell updates per second (median, and ``best``: the
fastest repeat), effective GB/s (state bytes read and written per step, 2 x itemsize x N², over the median time
per step: the temporally blocked kernel moves fewer real bytes; the model kernel also reads 1 byte of country id
per cell and pass), the speed-up over numpy and over py-pde at the same size (the py-pde figure is float64 at the
same thread count, also for the float32 rows), and ``busy``: the mean number of other runnable threads on the
machine, sampled just before and after the timing (0 on a quiet machine; on 2 cores, 1 means a competing process
had about half the machine).

    python benchmarks/bench_kernel_square.py             # full run: 512² .. 4096², float32 and float64, 1 and 2 threads
    python benchmarks/bench_kernel_square.py --quick     # 512² and 1024², float32, py-pde at 512² only: under a minute
    python benchmarks/bench_kernel_square.py --sizes 4096 --dtypes float32 --threads 2 --no-pypde
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.faces import faces_for  # noqa: E402
from sim.kernel import (  # noqa: E402
    advance,
    fisher_kpp_advance,
    fisher_kpp_advance_numpy,
    prepare,
    stable_dt,
)

D, R, DX = 1.0, 1.0, 1.0
DT = stable_dt(D, DX, 4.0, R, R)


def others_running(samples: int = 10) -> float:
    """Mean number of other runnable threads on the machine (``procs_running`` of /proc/stat, less this one).

    The machine is shared; a figure measured while others run is slower than the kernel is. Sampled between
    timings, after a short sleep so that this process's idle worker threads stop spinning."""
    counts = []
    for _ in range(samples):
        time.sleep(0.03)
        try:
            for line in Path("/proc/stat").read_text().splitlines():
                if line.startswith("procs_running"):
                    counts.append(int(line.split()[1]) - 1)
        except OSError:
            return float("nan")
    return statistics.fmean(counts) if counts else float("nan")


def wait_quiet(max_wait: float) -> float:
    """Wait up to ``max_wait`` seconds for the other runnable threads to go below 0.3; return the last reading."""
    deadline = time.monotonic() + max_wait
    busy = others_running()
    while busy >= 0.3 and time.monotonic() < deadline:
        busy = others_running()
    return busy


def timed(step, min_seconds: float, repeats: int, max_wait: float = 0.0) -> tuple[float, float, float]:
    """(median, best) seconds per step of ``step(n)`` over ``repeats`` runs of ``n`` steps (n sized to about
    ``min_seconds``), and the mean number of other runnable threads sampled before and after."""
    busy_before = wait_quiet(max_wait)
    step(1)  # warm-up (compilation happened before)
    t = time.perf_counter()
    step(2)
    per = (time.perf_counter() - t) / 2
    n = max(1, int(min_seconds / max(per, 1e-9)))
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        step(n)
        samples.append((time.perf_counter() - t) / n)
    return statistics.median(samples), min(samples), (busy_before + others_running()) / 2


def model_stepper(u0, dtype, block):
    """(step(k), state()) for the model kernel on the whole grid as one country."""
    n = u0.shape[0]
    args = prepare(u0, faces_for(np.ones((n, n), np.uint8), [[0, 0], [0, 1]]), D, DX, DT, l=R, q=R, dtype=dtype)
    st = {"u": args.u, "buf": args.buf}

    def step(k):
        out = advance(st["u"], st["buf"], *args[2:], nsteps=k, block=block)
        if out is st["buf"]:
            st["u"], st["buf"] = st["buf"], st["u"]

    return step, lambda: st["u"][0]


def fkpp_stepper(u0, dtype, kernel):
    """(step(k), state()) for one of the plain Fisher-KPP kernels."""
    st = {"u": u0.astype(dtype), "buf": np.empty(u0.shape, dtype)}

    def step(k):
        out = kernel(st["u"], st["buf"], D * DT / DX**2, R * DT, k)
        if out is st["buf"]:
            st["u"], st["buf"] = st["buf"], st["u"]

    return step, lambda: st["u"]


def pypde_stepper(u0):
    """(step(k), state(), seconds spent compiling) for py-pde's compiled Euler stepper on the same problem."""
    import pde
    from pde.solvers import EulerSolver

    pde.config["backend.numba.multithreading"] = "always"
    n = u0.shape[0]
    grid = pde.CartesianGrid([[0, n * DX], [0, n * DX]], [n, n])
    eq = pde.PDE({"u": "D*laplace(u) + r*u*(1-u)"}, consts={"D": D, "r": R}, bc={"derivative": 0})
    field = pde.ScalarField(grid, u0.astype(np.float64))
    solver = EulerSolver(eq, backend="numba", adaptive=False)
    t = time.perf_counter()
    stepper = solver.make_stepper(field, dt=DT)
    stepper(field, 0.0, DT)  # compiles (and makes one step)
    compile_s = time.perf_counter() - t
    field.data[...] = u0  # back to the start
    clock = {"t": 0.0}

    def step(k):  # py-pde makes round((t_end - t_start) / dt) steps
        clock["t"] = stepper(field, clock["t"], clock["t"] + k * DT)

    return step, lambda: field.data, compile_s


def agreement(u0, others) -> float:
    """Largest difference after 6 steps from ``u0`` (float64) between the model kernel and ``others`` (steppers)."""
    runs = [model_stepper(u0, np.float64, 1)] + list(others)
    for step, _ in runs:
        step(6)
    ref = runs[0][1]()
    return max(float(np.abs(state() - ref).max()) for _, state in runs[1:])


def check_kernels() -> float:
    """The numba and numpy kernels solve the same problem: their largest difference on 96² (float64)."""
    u0 = np.random.default_rng(1).uniform(0, 1, (96, 96))
    return agreement(u0, [model_stepper(u0, np.float64, 4), fkpp_stepper(u0, np.float64, fisher_kpp_advance),
                          fkpp_stepper(u0, np.float64, fisher_kpp_advance_numpy)])


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="512,1024,2048,4096", help="grid sizes N (N x N), comma-separated")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--threads", default="1,2", help="numba thread counts, comma-separated")
    p.add_argument("--blocks", default="16", help="temporal blocks to time besides block=1, comma-separated")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seconds", type=float, default=0.3, help="wall time of one repeat, roughly")
    p.add_argument("--no-pypde", action="store_true", help="skip py-pde")
    p.add_argument("--pypde-max", type=int, default=4096, help="largest N for py-pde")
    p.add_argument("--wait", type=float, default=0.0,
                   help="before each timing, wait up to this many seconds for the other processes to go idle")
    p.add_argument("--quick", action="store_true",
                   help="512² and 1024², float32, 3 repeats of ~0.1 s, py-pde at 512² only")
    a = p.parse_args(argv)
    if a.quick:
        a.sizes, a.dtypes, a.repeats, a.seconds, a.pypde_max = "512,1024", "float32", 3, 0.1, 512
    sizes = [int(s) for s in a.sizes.split(",")]
    dtypes = [np.dtype(d) for d in a.dtypes.split(",")]
    threads = [min(int(t), numba.config.NUMBA_NUM_THREADS) for t in a.threads.split(",")]
    blocks = [int(b) for b in a.blocks.split(",") if b]

    print(f"# bench_kernel  {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}")
    diff = check_kernels()
    print(f"# {cpu_name()}, {os.cpu_count()} cores, numba {numba.__version__} ({numba.threading_layer()} threading "
          f"layer), numpy {np.__version__}, python {platform.python_version()}")
    print(f"# the numba and numpy kernels agree after 6 steps on 96² (float64) to {diff:.1e}")
    print(f"# Fisher-KPP D={D} r={R} dx={DX} dt={DT:.4f}; median of {a.repeats} repeats of ~{a.seconds}s; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    header = (f"| {'N':>5} | {'dtype':7} | {'thr':>3} | {'kernel':12} | {'ms/step':>9} | {'cell-upd/s':>10} | "
              f"{'best':>9} | {'GB/s':>6} | {'x numpy':>7} | {'x py-pde':>8} | {'busy':>4} |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    rng = np.random.default_rng(0)
    reps_slow = max(3, a.repeats // 2)
    for n in sizes:
        u0 = rng.uniform(0, 1, (n, n))
        cells = n * n
        pypde = {}
        if not a.no_pypde and n <= a.pypde_max:
            step, state, compile_s = pypde_stepper(u0)
            diff = agreement(u0, [(step, state)])
            for th in threads:
                numba.set_num_threads(th)
                pypde[th] = timed(step, a.seconds, reps_slow, a.wait)
            print(f"# N={n}: py-pde compiled in {compile_s:.0f} s; after 6 steps it agrees with the model kernel "
                  f"to {diff:.1e}")
        for dtype in dtypes:
            numba.set_num_threads(1)
            t_numpy = timed(fkpp_stepper(u0, dtype, fisher_kpp_advance_numpy)[0], a.seconds, reps_slow, a.wait)
            for th in threads:
                numba.set_num_threads(th)
                rows = [("model", timed(model_stepper(u0, dtype, 1)[0], a.seconds, a.repeats, a.wait))]
                for b in blocks:
                    rows.append((f"model tb{b}", timed(model_stepper(u0, dtype, b)[0], a.seconds, a.repeats,
                                                       a.wait)))
                rows.append(("fkpp numba", timed(fkpp_stepper(u0, dtype, fisher_kpp_advance)[0], a.seconds,
                                                 a.repeats, a.wait)))
                if th == threads[0]:
                    rows.append(("fkpp numpy", t_numpy))
                if th in pypde and dtype == np.float64:
                    rows.append(("py-pde", pypde[th]))
                for name, (sec, best, busy) in rows:
                    gbs = 2 * dtype.itemsize * cells / sec / 1e9
                    vs_pde = f"{pypde[th][0] / sec:8.1f}" if th in pypde else f"{'-':>8}"
                    print(f"| {n:5d} | {dtype.name:7} | {th:3d} | {name:12} | {sec * 1e3:9.3f} | "
                          f"{cells / sec:10.3e} | {cells / best:9.2e} | {gbs:6.1f} | {t_numpy[0] / sec:7.1f} | "
                          f"{vs_pde} | {busy:4.1f} |", flush=True)
    print(f"# load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
