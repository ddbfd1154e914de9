"""Benchmark: build the equal-area grid with country ids over the whole region (REGION) at 1, 5 and 10 km.

For each cell size it prints the grid size, the wall time of ``build_grid`` (median of 3), the peak of Python
(numpy) allocations during one build (tracemalloc) and the growth of the process's peak resident memory
(``resource.getrusage(...).ru_maxrss``, which also sees GDAL's own buffers inside rasterio).

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
    from geo.shapes import REGION

    countries = load_countries(codes=REGION)
    build_grid(countries, cell_km=50.0)  # warm up imports, PROJ and GDAL
    rss_before = _maxrss_mb()

    tracemalloc.start()
    grid = build_grid(countries, cell_km=cell_km)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = _maxrss_mb() - rss_before
    del grid

    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        grid = build_grid(countries, cell_km=cell_km)
        times.append(time.perf_counter() - start)
    ny, nx = grid.shape
    return {
        "cell_km": cell_km, "ny": ny, "nx": nx, "cells": ny * nx, "land_cells": int(grid.mask.sum()),
        "countries": len(grid.codes), "dtype": str(grid.country_id.dtype), "array_mb": grid.country_id.nbytes / 1e6,
        "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
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
    print(f"# bench_grid: build_grid over REGION (18 countries), Albers equal-area; {time.strftime('%Y-%m-%d')}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, numpy {numpy.__version__}, "
          f"rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__}), {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    header = (f"{'cell km':>7} {'grid (ny x nx)':>15} {'cells':>12} {'land cells':>12} {'id array MB':>11} "
              f"{'median s':>9} {'min-max s':>13} {'tracemalloc peak MB':>19} {'ru_maxrss +MB':>13}")
    print(header)
    print("-" * len(header))
    for cell_km in SIZES_KM:
        out = subprocess.run([sys.executable, __file__, "--one", str(cell_km)], check=True, capture_output=True,
                             text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        shape = f"{r['ny']} x {r['nx']}"
        spread = f"{r['min_s']:.3f}-{r['max_s']:.3f}"
        print(f"{r['cell_km']:>7g} {shape:>15} {r['cells']:>12,} {r['land_cells']:>12,} "
              f"{r['array_mb']:>11.1f} {r['median_s']:>9.3f} {spread:>13} "
              f"{r['tracemalloc_peak_mb']:>19.1f} {r['maxrss_growth_mb']:>13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
