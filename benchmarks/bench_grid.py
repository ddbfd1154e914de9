"""Benchmark: build the equal-area grid with country and admin-1 ids over the whole region (REGION) at 1, 5, 10 km.

For each cell size it prints the grid size, the wall time of ``build_grid`` with admin-1 ids (the default; median
of 3) and, beside it in the same process, without them (``admin1=None``: country ids only, the old build) and
their ratio, the peak of Python (numpy) allocations during one build (tracemalloc) and the growth of the process's
peak resident memory (``resource.getrusage(...).ru_maxrss``, which also sees GDAL's own buffers inside rasterio).

Each cell size runs in a fresh interpreter, so that the ru_maxrss high-water mark of one size does not hide the
next. The requirement (issue): the 1 km build takes seconds, not minutes, and stays under 1 GB.

    python benchmarks/bench_grid.py            # all sizes
    python benchmarks/bench_grid.py --one 1    # one size, in this process
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

SIZES_KM = (1.0, 5.0, 10.0)
REPEATS = 3


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def measure(cell_km: float) -> dict:
    from geo import build_grid, load_countries
    from geo.admin1 import load_admin1
    from geo.shapes import REGION

    countries = load_countries(codes=REGION)
    units = load_admin1(codes=REGION)
    build_grid(countries, cell_km=50.0)  # warm up imports, PROJ and GDAL
    rss_before = _maxrss_mb()

    tracemalloc.start()
    grid = build_grid(countries, cell_km=cell_km, admin1=units)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = _maxrss_mb() - rss_before
    del grid

    times, plain = [], []
    for _ in range(REPEATS):  # interleaved, so that both see the same machine load
        start = time.perf_counter()
        grid = build_grid(countries, cell_km=cell_km, admin1=units)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        build_grid(countries, cell_km=cell_km, admin1=None)
        plain.append(time.perf_counter() - start)
    ny, nx = grid.shape
    return {
        "cell_km": cell_km, "ny": ny, "nx": nx, "cells": ny * nx, "land_cells": int(grid.mask.sum()),
        "countries": len(grid.codes), "units": len(grid.admin1_codes),
        "array_mb": (grid.country_id.nbytes + grid.admin1_id.nbytes) / 1e6,
        "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
        "plain_median_s": statistics.median(plain),
        "tracemalloc_peak_mb": traced_peak / 1e6, "maxrss_growth_mb": rss_growth, "maxrss_mb": _maxrss_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=float, help="measure one cell size in this process and print JSON")
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one)))
        return 0

    import numpy, rasterio  # noqa: E401  (versions for the record)
    print(f"# bench_grid: build_grid over REGION (18 countries, 343 admin-1 units), Albers equal-area; "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, numpy {numpy.__version__}, "
          f"rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__}), {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    header = (f"{'cell km':>7} {'grid (ny x nx)':>15} {'cells':>12} {'land cells':>12} {'ids MB':>7} "
              f"{'median s':>9} {'min-max s':>13} {'no adm1 s':>9} {'ratio':>6} {'tracemalloc peak MB':>19} "
              f"{'ru_maxrss +MB':>13}")
    print(header)
    print("-" * len(header))
    for cell_km in SIZES_KM:
        out = subprocess.run([sys.executable, __file__, "--one", str(cell_km)], check=True, capture_output=True,
                             text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        shape = f"{r['ny']} x {r['nx']}"
        spread = f"{r['min_s']:.3f}-{r['max_s']:.3f}"
        print(f"{r['cell_km']:>7g} {shape:>15} {r['cells']:>12,} {r['land_cells']:>12,} "
              f"{r['array_mb']:>7.1f} {r['median_s']:>9.3f} {spread:>13} {r['plain_median_s']:>9.3f} "
              f"{r['median_s'] / r['plain_median_s']:>6.1f} {r['tracemalloc_peak_mb']:>19.1f} "
              f"{r['maxrss_growth_mb']:>13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
