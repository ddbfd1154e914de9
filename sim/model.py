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

Numerics: explicit Euler on the conservative 5-point stencil (:mod:`sim.kernel`), in the kernel's general form
``du/dt = div(κ w ∇u) + u (l − q u)`` with face weights ``w`` from the permeability table (:mod:`sim.faces`) and
per-cell fields ``l = r − σ``, ``q = r`` (:mod:`sim.rates`), i.e. ``K = 1``. The step keeps u in [0, 1] when
``dt · (κ Σw / dx² + max(r, σ)) ≤ 1`` in every cell (proof in :mod:`sim.kernel`); the loop sub-steps each day
automatically (and reports how), so an unstable step is never run. ``numerics.device = "cuda"`` runs the same
kernel on an NVIDIA GPU (:mod:`sim.kernel_cuda`).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from geo.errors import SpilloverError
from geo.grid import Grid
from sim.faces import Faces, faces_for
from sim.forcing import Forcing
from sim.kernel import advance, stable_dt, step_bound
from sim.rates import fill_rate

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


def _face_sum_by_id(faces: Faces, cid: np.ndarray, n_ids: int) -> np.ndarray:
    """The largest face-weight sum of the cells of each id (0 for an id without cells)."""
    out = np.zeros(n_ids)
    np.maximum.at(out, cid.ravel(), faces.face_sum.ravel())
    return out


def stepping(forcings: Sequence[Forcing], cell_km: float, dt_days: float = 0.0,
             country_id: np.ndarray | None = None) -> Stepping:
    """The common sub-stepping for an ensemble: the smallest stable dt over the members, at most one day.

    The bound is :func:`sim.kernel.stable_dt` per cell, for every suppression table of the schedule: with
    ``l = r − σ`` and ``q = r`` it is ``dt (κ Σw / dx² + max(r, σ)) ≤ 1``. Given the grid's ``country_id`` the face
    sums are those of each country's cells; without it, the worst case ``4 max(perm)`` is used.
    A requested ``dt_days`` > 0 is used (rounded down to divide a day) if it is within the stability limit;
    above it a :class:`SpilloverError` is raised: an unstable step is never run.
    """
    limits = []
    for f in forcings:
        if country_id is not None:
            face_sum = _face_sum_by_id(faces_for(country_id, f.perm), country_id, len(f.r_tab))
        else:
            face_sum = 4.0 * float(f.perm.max())
        sigma = np.stack([t for _, t in f.sigma_changes])  # (changes, n+1)
        limits.append(stable_dt(f.kappa, cell_km, face_sum, f.r_tab[None, :] - sigma, f.r_tab[None, :],
                                capacity=1.0, safety=SAFETY))
    dt_max = min(limits)
    if not math.isfinite(dt_max) or dt_max <= 0:
        raise SpilloverError(f"no stable time step exists for these rates (limit {dt_max}); lower kappa, r or sigma")
    if dt_days > 0:
        if dt_days > dt_max:
            raise SpilloverError(
                f"numerics.dt_days = {dt_days:g} day exceeds the explicit scheme's stability limit {dt_max:.4g} day "
                f"(dt (κ Σw / dx² + max(r, σ)) ≤ 1 with a {SAFETY:g} margin, dx = {cell_km:g} km); set "
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
    device: str = "cpu",
) -> Stepping:
    """Integrate an ensemble of forcings on one grid and call ``on_snapshot(day, date, u, sigma)`` at each snapshot.

    ``u`` has shape (members, ny, nx) and must be copied by the callback if kept; ``sigma`` is the (members, n+1)
    suppression table in force. ``progress(days_done)`` is called after each integrated segment. ``device`` is
    ``"cpu"`` (numba) or ``"cuda"`` (:mod:`sim.kernel_cuda`; a :class:`SpilloverError` says what to do when no GPU
    is available).

    The kernel's fields are built here once and refreshed in place only when a member's suppression changes:
    ``L = dt (r − σ)`` and ``Q = dt r`` per member and cell (shared by all members when they agree), face weights
    from each member's permeability table (members with different tables are integrated as separate groups).
    """
    if not forcings:
        raise SpilloverError("nothing to integrate: no scenario given")
    if device not in ("cpu", "cuda"):
        raise SpilloverError(f"numerics.device = {device!r}; valid: 'cpu' or 'cuda'")
    if device == "cuda":
        from sim.kernel_cuda import require

        require()
    cid = np.ascontiguousarray(grid.country_id, dtype=np.uint8)
    step = stepping(forcings, grid.cell_km, dt_days, country_id=cid)
    ftype = np.dtype(dtype)
    m = len(forcings)
    u = np.ascontiguousarray(np.stack([f.u0 for f in forcings]).astype(ftype))
    u[:, cid == 0] = 0

    outputs = snapshot_days(total_days, every)
    changes = {(day - start).days for f in forcings for day, _ in f.sigma_changes}
    bounds = sorted(set(outputs) | {d for d in changes if 0 < d < total_days})
    outputs_set = set(outputs)

    def sigma_at(day: int) -> np.ndarray:
        date = start + dt.timedelta(days=day)
        return np.stack([f.sigma_on(date) for f in forcings])

    groups: dict[bytes, list[int]] = {}  # members sharing a permeability table share their face weights
    for k, f in enumerate(forcings):
        groups.setdefault(np.ascontiguousarray(f.perm, dtype=np.float64).tobytes(), []).append(k)
    runs = [_Group(idx, forcings, cid, grid.cell_km, step.dt, ftype, u, device, sigma_at, changes, total_days)
            for idx in groups.values()]
    state = np.empty_like(u)

    def gather() -> np.ndarray:
        if len(runs) == 1 and runs[0].gpu is None:
            return runs[0].u  # the kernel's own buffer: no copy
        for g in runs:
            g.read_state(state)
        return state

    sigma = sigma_at(0)
    on_snapshot(0, start, u, sigma.astype(ftype))
    for here, there in zip(bounds[:-1], bounds[1:]):
        sigma = sigma_at(here)
        for g in runs:
            g.advance(sigma, (there - here) * step.substeps)
        if progress is not None:
            progress(there - here)
        if there in outputs_set:
            on_snapshot(there, start + dt.timedelta(days=there), gather(), sigma.astype(ftype))
    return step


class _Group:
    """Members with one permeability table: their kernel arrays, refreshed in place when suppression changes."""

    def __init__(self, idx, forcings, cid, cell_km, dt_step, ftype, u_all, device, sigma_at, changes, total_days):
        self.idx = idx
        fs = [forcings[k] for k in idx]
        self.single = len(idx) == len(forcings)
        self.faces = faces_for(cid, fs[0].perm)
        self.cid, self.dt, self.device = cid, dt_step, device
        self.r = np.stack([f.r_tab for f in fs]).astype(np.float64)  # (mg, n+1), 1/day
        self.coef = np.array([f.kappa * dt_step / cell_km**2 for f in fs], dtype=ftype)
        ny, nx = cid.shape
        self.ones = np.ones((1, ny, nx), ftype)
        # L is shared when every member has the same growth and the same suppression on every change day
        days = sorted({0} | {d for d in changes if 0 < d < total_days})
        same_r = bool(np.all(self.r == self.r[:1]))
        same_sigma = all(np.all(s[idx] == s[idx][:1]) for s in (sigma_at(d) for d in days))
        self.Q = np.empty((1 if same_r else len(idx), ny, nx), ftype)
        fill_rate(self.Q, cid, self.r[: len(self.Q), None, :], self.ones, dt_step)
        self.L = np.empty((1 if same_r and same_sigma else len(idx), ny, nx), ftype)
        self.sigma = None
        self.u = u_all if self.single else np.ascontiguousarray(u_all[idx])
        self.buf = np.zeros_like(self.u)
        self.gpu = None

    def _refresh(self, sigma) -> None:
        mine = sigma[self.idx]
        if self.sigma is not None and np.array_equal(mine, self.sigma):
            return
        self.sigma = mine.copy()
        table = (self.r - mine)[: len(self.L), None, :]  # (mL, 1 field, n+1): l = r - sigma
        fill_rate(self.L, self.cid, np.ascontiguousarray(table), self.ones, self.dt)
        worst = step_bound(self.faces, self.coef, self.L, self.Q, capacity=1.0)
        if worst > 1.0:  # stepping() guarantees this; a failure here is a bug, never an unstable run
            raise SpilloverError(f"internal error: the kernel's stability bound is {worst:.6g} > 1 for dt = "
                                 f"{self.dt:g} day")
        if self.gpu is not None:
            self.gpu.set_rates(L=self.L)

    def advance(self, sigma, nsteps: int) -> None:
        self._refresh(sigma)
        if self.device == "cuda":
            if self.gpu is None:
                from sim.kernel_cuda import DeviceRun

                self.gpu = DeviceRun(self.u, self.faces, self.coef, self.L, self.Q)
            self.gpu.advance(nsteps)
            return
        out = advance(self.u, self.buf, self.faces, self.coef, self.L, self.Q, nsteps)
        if out is self.buf:
            self.u, self.buf = self.buf, self.u

    def read_state(self, into: np.ndarray) -> None:
        """Write this group's members into their rows of ``into`` (m, ny, nx)."""
        if self.gpu is not None:
            self.gpu.state(self.u)
        into[self.idx] = self.u
