"""Bounded work: estimate a run's cells, sub-steps, memory and time before starting, and refuse what is too big.

Two checks, both before any heavy work:

1. :func:`check_grid` from the countries' bounding box alone (no rasterizing): cells against
   ``numerics.max_cells`` and the estimated memory against ``numerics.max_memory_gb``;
2. :func:`check_stepping` once the forcing is known: explicit sub-steps per day (from the stability limit
   ``4 κ dt / dx² + dt · max(r, σ) ≤ 1``) against ``numerics.max_substeps_per_day``.

Each refusal is one :class:`~geo.errors.SpilloverError` naming the key, its value, what was estimated and what to
change. The time estimate assumes :data:`CELL_UPDATES_PER_SECOND` (measured on the 2-core development machine,
real 10 km grid); it is printed for work expected to take longer than :data:`ANNOUNCE_SECONDS`.

Memory model (bytes per cell, measured by the benchmark's peak RSS within ~25%): the grid and its rasterizing
(~4), the forcing (initial risk in float64, 8, and its rasterizing, 2), per member the state and its buffer
(2 × dtype), the snapshots waiting for the writer thread (4 × dtype per member), the NetCDF's lat/lon (8, built
in blocks), and with ``out=None`` every snapshot kept in memory (snapshots × dtype per member); plus a fixed
~0.4 GB for Python and its libraries.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from geo.errors import SpilloverError

#: Model-kernel speed assumed for time estimates (cell-updates per second; real 10 km grid, 2 cores).
CELL_UPDATES_PER_SECOND = 5e8
#: Estimated work longer than this is announced before it starts.
ANNOUNCE_SECONDS = 30.0
BASE_BYTES = 0.4e9


@dataclass(frozen=True)
class Estimate:
    """What a run (or an ensemble of ``members`` runs) will take: cells, steps, memory and time."""

    shape: tuple[int, int]
    members: int
    days: int
    snapshots: int
    substeps_per_day: int | None = None
    memory_gb: float = 0.0

    @property
    def cells(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def cell_updates(self) -> float:
        return float(self.cells) * self.members * self.days * (self.substeps_per_day or 1)

    @property
    def seconds(self) -> float:
        return self.cell_updates / CELL_UPDATES_PER_SECOND

    def describe(self) -> str:
        """One line, e.g. ``388 × 595 cells, 1 member, 1 sub-step/day × 5,479 days, ~0.6 GB, about 3 s``."""
        steps = f"{self.substeps_per_day:,} sub-step(s)/day × " if self.substeps_per_day else ""
        return (f"{self.shape[0]:,} × {self.shape[1]:,} cells, {self.members} member(s), {steps}{self.days:,} days, "
                f"~{self.memory_gb:.1f} GB, about {_duration(self.seconds)}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 0.1):.0f} s" if seconds >= 1 else "under 1 s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def grid_shape(scenario) -> tuple[int, int]:
    """(ny, nx) of the scenario's grid from the countries' projected bounding box (as :func:`geo.grid.build_grid`
    pads it), without rasterizing anything."""
    from pyproj import CRS, Transformer

    from geo.grid import SAHEL_ALBERS
    from sim import geocache

    crs = CRS.from_user_input(scenario.grid.crs or SAHEL_ALBERS)
    # load_countries().loc[codes].total_bounds, without reading the shapes when cached (sim.geocache)
    west, south, east, north = geocache.country_bounds(list(scenario.grid.countries))
    lons = [west + (east - west) * i / 20 for i in range(21)]
    lats = [south + (north - south) * i / 20 for i in range(21)]
    edge = [(lo, south) for lo in lons] + [(lo, north) for lo in lons] + [(west, la) for la in lats] + \
        [(east, la) for la in lats]
    xs, ys = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(*zip(*edge))
    cell_m = float(scenario.grid.cell_km) * 1000.0
    nx = (max(xs) - min(xs)) / cell_m + 4
    ny = (max(ys) - min(ys)) / cell_m + 4
    return (int(min(ny, 1e15)), int(min(nx, 1e15)))


def memory_bytes(shape: tuple[int, int], members: int, dtype: str, snapshots_kept: int = 0) -> float:
    """Estimated peak memory of a run in bytes (see the module docstring)."""
    size = 8 if dtype == "float64" else 4
    cells = float(shape[0]) * shape[1]
    per_cell = 4 + 10 + 8 + members * size * (2 + 4 + snapshots_kept)
    return BASE_BYTES + 1.25 * cells * per_cell


def check_grid(scenarios, keep_snapshots: bool = False) -> Estimate:
    """Refuse a grid above ``numerics.max_cells`` or a run above ``numerics.max_memory_gb``; return the estimate."""
    first = scenarios[0]
    limits = first.numerics
    shape = grid_shape(first)
    from sim.model import snapshot_days

    snapshots = len(snapshot_days(first.days, first.scenario.output_every_days))
    cells = float(shape[0]) * shape[1]
    if cells > limits.max_cells:
        side = first.grid.cell_km * math.sqrt(cells / limits.max_cells)
        raise SpilloverError(
            f"grid.cell_km = {first.grid.cell_km:g} gives about {cells:,.0f} cells ({shape[0]:,} × {shape[1]:,}), above "
            f"numerics.max_cells = {limits.max_cells:,}; use grid.cell_km ≥ {math.ceil(side * 100) / 100:g}, fewer "
            "grid.countries, or raise numerics.max_cells")
    memory = memory_bytes(shape, len(scenarios), first.output.dtype, snapshots if keep_snapshots else 0)
    estimate = Estimate(shape=shape, members=len(scenarios), days=first.days, snapshots=snapshots,
                        memory_gb=memory / 1e9)
    if estimate.memory_gb > limits.max_memory_gb:
        hint = " or write files (out=...) instead of keeping every snapshot in memory" if keep_snapshots else ""
        raise SpilloverError(
            f"this run needs about {estimate.memory_gb:.1f} GB ({shape[0]:,} × {shape[1]:,} cells, "
            f"{len(scenarios)} member(s), {first.output.dtype}), above numerics.max_memory_gb = "
            f"{limits.max_memory_gb:g}; use a coarser grid.cell_km, fewer members{hint}, or raise "
            "numerics.max_memory_gb")
    return estimate


def check_stepping(estimate: Estimate, step, forcings, scenario) -> Estimate:
    """Refuse more than ``numerics.max_substeps_per_day`` sub-steps per day; return the estimate with steps."""
    limit = scenario.numerics.max_substeps_per_day
    if step.substeps > limit:
        kappa = max(f.kappa for f in forcings) * 365.25
        r_max = max(float(f.r_tab.max()) for f in forcings) * 365.25
        sigma_max = max(max(float(c[2].max()) for c in f.changes) for f in forcings) * 365.25
        raise SpilloverError(
            f"the stability limit dt ≤ {step.dt_max:.3g} day needs {step.substeps:,} sub-steps per day, above "
            f"numerics.max_substeps_per_day = {limit:,} (kappa {kappa:.3g} km²/year, max r {r_max:.3g}/year, "
            f"max sigma {sigma_max:.3g}/year, cells {scenario.grid.cell_km:g} km); lower "
            "diffusion.kappa_km2_per_year, the growth or suppression rates, use larger cells, or raise "
            "numerics.max_substeps_per_day")
    return Estimate(shape=estimate.shape, members=estimate.members, days=estimate.days,
                    snapshots=estimate.snapshots, substeps_per_day=step.substeps, memory_gb=estimate.memory_gb)
