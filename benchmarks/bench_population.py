"""Benchmark: the population surface (geo.population) over the whole region at 10, 5 and 1 km cells.

For each cell size, in a fresh interpreter: the wall time of ``population_surface`` with its cache emptied (median
of 3, after one warm-up call that also loads numba's cached distance kernel), the time of a cached call, and,
in the same process as the baseline, the time of ``build_grid`` for the same grid (the ratio is what to read on a
shared machine). Requirement (issue 10): well under a second at 10 km, a few seconds at 1 km.

    python benchmarks/bench_population.py
    python benchmarks/bench_population.py --one 1
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

SIZES_KM = (10.0, 5.0, 1.0)
REPEATS = 3


def measure(cell_km: float) -> dict:
    import geo.population as population
    from geo import build_grid, load_countries

    countries = load_countries()
    grid = build_grid(countries, cell_km=cell_km)
    population.population_surface(grid)  # warm up: places, numba kernel from its cache
    cold, builds = [], []
    for _ in range(REPEATS):
        population._CACHE.clear()
        start = time.perf_counter()
        surface = population.population_surface(grid)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        build_grid(countries, cell_km=cell_km)
        builds.append(time.perf_counter() - start)
    start = time.perf_counter()
    population.population_surface(grid)
    cached = time.perf_counter() - start
    return {"cell_km": cell_km, "cells": grid.shape[0] * grid.shape[1], "median_s": statistics.median(cold),
            "min_s": min(cold), "cached_s": cached, "grid_s": statistics.median(builds),
            "surface_mb": (surface.density.nbytes + surface.distance_km.nbytes) / 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=float)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one)))
        return 0
    print(f"# bench_population: population_surface over REGION; {time.strftime('%Y-%m-%d')}")
    header = (f"{'cell km':>7} {'cells':>12} {'surface s':>10} {'min s':>7} {'cached s':>9} {'build_grid s':>12} "
              f"{'ratio':>6} {'arrays MB':>9}")
    print(header)
    print("-" * len(header))
    for cell_km in SIZES_KM:
        out = subprocess.run([sys.executable, __file__, "--one", str(cell_km)], check=True, capture_output=True,
                             text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{r['cell_km']:>7g} {r['cells']:>12,} {r['median_s']:>10.3f} {r['min_s']:>7.3f} {r['cached_s']:>9.4f} "
              f"{r['grid_s']:>12.3f} {r['median_s'] / r['grid_s']:>6.1f} {r['surface_mb']:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
