"""The model's time loop: insurgency risk as a reaction-diffusion process on the equal-area grid.

Model (u: risk, dimensionless in [0, 1]; x in km; t in days)::

    ∂u/∂t = ∇·(κ(x) ∇u) + r(x) u (1 − u) − σ(x, t) u        zero flux at the grid edge and the coast

- κ (km²/day): diffusion of risk between neighbouring places (movement of fighters, recruitment networks); on a
  face crossing a border it is scaled by that border's permeability (0 closes it).
- r (1/day): local logistic growth of risk, per country from the document-derived attributes (recent coups,
  partnership with armed groups or foreign military companies, hostility to foreign forces, epicentre, spread).
- σ (1/day): suppression by the foreign troops present in a country on day t (deployment timeline).

Assumptions: risk saturates at 1 (logistic); everything is uniform within a country except through u; the
ocean and non-modelled countries are closed boundaries. Without suppression, an established front advances at the
Fisher–KPP speed ``c = 2 √(r κ)``; the defaults (r0 = 1/year, κ = 2,500 km²/year) give c = 100 km/year, the order
of magnitude of the insurgency's observed expansion (northern Mali 2012 → central Mali 2015 → Burkina Faso and
western Niger 2016–2018: roughly 500–1,000 km in 4–6 years). Suppression lowers the net growth to r − σ where
troops are present.

Numerics: explicit Euler on the conservative 5-point stencil (:mod:`sim.kernel`). The step is stable and keeps
u in [0, 1] when ``4 κ dt / dx² + dt · max(r, σ) ≤ 1``; the loop sub-steps each day automatically (and reports
how), so an unstable step is never run.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from geo.errors import SpilloverError
from geo.grid import Grid
from sim.forcing import Forcing
from sim.kernel import advance, stable_dt

#: The kernel's stability bound is met with this margin.
SAFETY = 0.9


@dataclass(frozen=True)
class Stepping:
    """How each day is integrated: ``substeps`` explicit steps of ``dt`` days."""

    substeps: int
    dt: float
    dt_max: float

    def describe(self) -> str:
        return (f"{self.substeps} sub-step(s) per day of dt = {self.dt:.4g} day "
                f"(stability limit {self.dt_max:.4g} day)")


def stepping(forcings: Sequence[Forcing], cell_km: float, dt_days: float = 0.0) -> Stepping:
    """The common sub-stepping for an ensemble: the smallest stable dt over the members, at most one day.

    A requested ``dt_days`` > 0 is used (rounded down to divide a day) if it is within the stability limit;
    above it a :class:`SpilloverError` is raised: an unstable step is never run.
    """
    limits = []
    for f in forcings:
        sigma_max = max(float(t.max()) for _, t in f.sigma_changes)
        limits.append(stable_dt(f.kappa, cell_km, float(f.r_tab.max()), sigma_max,
                                perm_max=float(f.perm.max()), safety=SAFETY))
    dt_max = min(limits)
    if not math.isfinite(dt_max) or dt_max <= 0:
        raise SpilloverError(f"no stable time step exists for these rates (limit {dt_max}); lower kappa, r or sigma")
    if dt_days > 0:
        if dt_days > dt_max:
            raise SpilloverError(
                f"numerics.dt_days = {dt_days:g} day exceeds the explicit scheme's stability limit {dt_max:.4g} day "
                f"(4 κ dt / dx² + dt · max(r, σ) ≤ 1 with a {SAFETY:g} margin, dx = {cell_km:g} km); set "
                f"numerics.dt_days ≤ {dt_max:.4g} or 0 for automatic sub-stepping")
        n = max(1, math.ceil(1.0 / dt_days - 1e-9))
    else:
        n = max(1, math.ceil(1.0 / dt_max))
    return Stepping(substeps=n, dt=1.0 / n, dt_max=dt_max)


def snapshot_days(total_days: int, every: int) -> list[int]:
    """Day offsets of the saved snapshots: 0, every, 2·every, … and the last day."""
    days = list(range(0, total_days + 1, every))
    if days[-1] != total_days:
        days.append(total_days)
    return days


def integrate(
    forcings: Sequence[Forcing],
    grid: Grid,
    start: dt.date,
    total_days: int,
    every: int,
    on_snapshot: Callable[[int, dt.date, np.ndarray, np.ndarray], None],
    dtype: str = "float32",
    progress: Callable[[int], None] | None = None,
    dt_days: float = 0.0,
) -> Stepping:
    """Integrate an ensemble of forcings on one grid and call ``on_snapshot(day, date, u, sigma)`` at each snapshot.

    ``u`` has shape (members, ny, nx) and must be copied by the callback if kept; ``sigma`` is the (members, n+1)
    suppression table in force. ``progress(days_done)`` is called after each integrated segment.
    """
    if not forcings:
        raise SpilloverError("nothing to integrate: no scenario given")
    step = stepping(forcings, grid.cell_km, dt_days)
    ftype = np.dtype(dtype)
    cid = np.ascontiguousarray(grid.country_id, dtype=np.uint8)
    u = np.ascontiguousarray(np.stack([f.u0 for f in forcings]).astype(ftype))
    buf = np.empty_like(u)
    perm = np.ascontiguousarray(np.stack([f.perm for f in forcings]).astype(ftype))
    r_tab = np.ascontiguousarray(np.stack([f.r_tab for f in forcings]).astype(ftype))
    coef = np.array([f.kappa * step.dt / grid.cell_km**2 for f in forcings], dtype=ftype)

    outputs = snapshot_days(total_days, every)
    changes = {(day - start).days for f in forcings for day, _ in f.sigma_changes}
    bounds = sorted(set(outputs) | {d for d in changes if 0 < d < total_days})
    outputs_set = set(outputs)

    def sigma_at(day: int) -> np.ndarray:
        date = start + dt.timedelta(days=day)
        return np.ascontiguousarray(np.stack([f.sigma_on(date) for f in forcings]).astype(ftype))

    sigma = sigma_at(0)
    on_snapshot(0, start, u, sigma)
    for here, there in zip(bounds[:-1], bounds[1:]):
        sigma = sigma_at(here)
        result = advance(u, buf, cid, perm, r_tab, sigma, coef, ftype.type(step.dt), (there - here) * step.substeps)
        if result is not u:
            u, buf = result, u
        if progress is not None:
            progress(there - here)
        if there in outputs_set:
            on_snapshot(there, start + dt.timedelta(days=there), u, sigma)
    return step
