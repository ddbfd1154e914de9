"""The model's time loop: insurgency risk as a reaction-diffusion process on the equal-area grid.

Model (u: risk, dimensionless in [0, 1]; x in km; t in days)::

    ∂u/∂t = ∇·(κ w ∇u) + r(x, t) u (1 − u / K(x)) − δ u − σ(x, t) u        zero flux at the edge and the coast

    K(x) = p(x) = ρ(x) / (ρ(x) + ρ_half)          r(x, t) = r0 p(x) D_c(x)(t)

- ``ρ`` (people/km²): the population surface (:mod:`geo.population`); ``ρ_half = growth.population_half_per_km2``
  (default 2 people/km²: the insurgency lives in pastoral areas of a few people per km²). No people, no
  insurgency: where ``p → 0`` (the desert) both growth and capacity vanish.
- ``r0 = growth.base_rate_per_year`` (1/year, default 0.6): growth in a densely populated cell before any driver.
- ``D_c(t)`` (dimensionless): the country's drivers in force on day t, ``f_c (1 + w_coups · coups since their
  date + w_armed_partner · partnerships since their start)`` (:mod:`sim.forcing`); outcomes are never drivers.
- ``δ = growth.loss_per_year`` (1/year, default 0.1): loss of risk everywhere, so risk can settle and decline.
- ``σ(x, t) = s Σ_g troops_g/1000 · exp(−|x − x_g|²/2ℓ²) + s_cap exp(−|x − x_cap(x)|²/2ℓ_cap²)`` (1/year):
  suppression around the garrisons present on day t (``s = suppression.troops_effect_per_year`` per 1,000
  troops, ``ℓ = suppression.footprint_km``, km) and by each state around its own capital ``x_cap``
  (``s_cap = suppression.state_capital_per_year``, ``ℓ_cap = suppression.state_reach_km``): state power radiates
  from the capital and weakens with distance (Herbst 2000), and civil-war violence lies far from capitals.
- ``κ = diffusion.kappa_km2_per_year`` (km²/year), ``w`` the border permeability of each face.
- Dated onsets raise u to ``initial.risk · K`` in the documented onset places on their documented dates.

Why these terms: the logistic ``r u (1 − u/K)`` lets risk grow where an insurgency has a foothold and saturate at
the level the local population can sustain; with ``K = p`` the steady state without diffusion is
``u* = K (1 − (δ + σ)/r) = p − (δ + σ) / (r0 D)`` when positive, else 0: risk settles, is lower near garrisons and
declines where ``δ + σ > r`` (sparse or well-garrisoned places); a sparse corridor (``r0 D p < δ``) stops a front.
Without suppression an established front advances at the Fisher–KPP speed ``c = 2 √((r − δ − σ) κ)``.

Numerics: explicit Euler on the conservative 5-point stencil (:mod:`sim.kernel`), in the kernel's form
``du/dt = div(κ w ∇u) + u (l − q u)`` with per-cell fields ``l = r0 D p − δ − σ`` and ``q = r / K = r0 D``.
Bound: with ``M = 1`` (``K = p < 1`` everywhere) ``l ≤ q M`` holds in every cell, so the kernel's theorem
(:mod:`sim.kernel`: u stays in [0, M] when ``dt (κ Σw / dx² + q M + max(0, −l)) ≤ 1``) keeps u in [0, 1]; and where
``u > K(x)`` the reaction ``u (l − q u) < 0`` pulls it back towards ``K``, so u exceeds the local capacity only by
what diffusion carries in from denser neighbours. The loop sub-steps each day within that bound automatically.
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
from sim.forcing import Forcing, noise_of
from sim.kernel import advance, stable_dt, step_bound

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

    The bound is :func:`sim.kernel.stable_dt` with the worst case of each member over every change of its fields:
    the largest ``q = r0 D_c`` and the most negative ``l = −δ − max σ`` with face sums ``4 max(perm)``
    (or, given ``country_id``, each country's largest face sum). A requested ``dt_days`` > 0 is used (rounded
    down to divide a day) if it is within the stability limit; above it a :class:`SpilloverError` is raised.
    """
    limits = []
    for f in forcings:
        if country_id is not None:
            face_sum = float(_face_sum_by_id(faces_for(country_id, f.perm), country_id, len(f.perm)).max())
        else:
            face_sum = 4.0 * float(f.perm.max())
        q_max = max(float(c[1].max()) * (1.0 if noise_of(c) is None else float(noise_of(c).max()))
                    for c in f.changes)
        sigma_max = max(float(c[2].max()) for c in f.changes)
        limits.append(stable_dt(f.kappa, cell_km, face_sum, np.array([-f.delta - sigma_max]), np.array([q_max]),
                                capacity=1.0, safety=SAFETY))
    dt_max = min(limits)
    if not math.isfinite(dt_max) or dt_max <= 0:
        raise SpilloverError(f"no stable time step exists for these rates (limit {dt_max}); lower kappa, r or sigma")
    if dt_days > 0:
        if dt_days > dt_max:
            raise SpilloverError(
                f"numerics.dt_days = {dt_days:g} day exceeds the explicit scheme's stability limit {dt_max:.4g} day "
                f"(dt (κ Σw / dx² + r + δ + σ) ≤ 1 with a {SAFETY:g} margin, dx = {cell_km:g} km); set "
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
    per-country summary (largest σ, 1/day) in force. ``progress(days_done)`` is called after each integrated
    segment. ``device`` is ``"cpu"`` (numba) or ``"cuda"`` (:mod:`sim.kernel_cuda`).

    The kernel's per-cell fields ``L = dt (r0 D p − δ − σ)`` and ``Q = dt r0 D`` are rebuilt only on the days a
    member's drivers or garrisons change; dated onsets raise u to ``level · K`` in their cells on their day.
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
    u = np.ascontiguousarray(np.stack([f.u0 for f in forcings]).astype(ftype))
    u[:, cid == 0] = 0

    outputs = snapshot_days(total_days, every)
    changes = {(c[0] - start).days for f in forcings for c in f.changes}
    onset_days = {(d - start).days for f in forcings for d, _, _ in f.onsets}
    bounds = sorted(set(outputs) | {d for d in changes | onset_days if 0 < d < total_days})
    outputs_set = set(outputs)

    def sigma_at(day: int) -> np.ndarray:
        date = start + dt.timedelta(days=day)
        return np.stack([f.sigma_on(date) for f in forcings])

    groups: dict[bytes, list[int]] = {}  # members sharing a permeability table share their face weights
    for k, f in enumerate(forcings):
        groups.setdefault(np.ascontiguousarray(f.perm, dtype=np.float64).tobytes(), []).append(k)
    runs = [_Group(idx, forcings, cid, grid.cell_km, step.dt, ftype, u, device) for idx in groups.values()]
    state = np.empty_like(u)

    def gather() -> np.ndarray:
        if len(runs) == 1 and runs[0].gpu is None:
            return runs[0].u  # the kernel's own buffer: no copy
        for g in runs:
            g.read_state(state)
        return state

    on_snapshot(0, start, u, sigma_at(0).astype(ftype))
    for here, there in zip(bounds[:-1], bounds[1:]):
        date = start + dt.timedelta(days=here)
        for g in runs:
            g.onsets(date)
            g.advance(date, (there - here) * step.substeps)
        if progress is not None:
            progress(there - here)
        if there in outputs_set:
            on_snapshot(there, start + dt.timedelta(days=there), gather(), sigma_at(there).astype(ftype))
    return step


class _Group:
    """Members with one permeability table: their kernel arrays, refreshed in place when their fields change."""

    def __init__(self, idx, forcings, cid, cell_km, dt_step, ftype, u_all, device):
        self.idx = idx
        self.fs = [forcings[k] for k in idx]
        self.single = len(idx) == len(forcings)
        self.faces = faces_for(cid, self.fs[0].perm)
        self.cid, self.dt, self.device, self.ftype = cid, dt_step, device, ftype
        self.coef = np.array([f.kappa * dt_step / cell_km**2 for f in self.fs], dtype=ftype)
        ny, nx = cid.shape
        self.L = np.zeros((len(idx), ny, nx), ftype)
        self.Q = np.zeros((len(idx), ny, nx), ftype)
        self.keys = [None] * len(idx)
        self.u = u_all if self.single else np.ascontiguousarray(u_all[idx])
        self.buf = np.zeros_like(self.u)
        self.gpu = None

    def onsets(self, date) -> None:
        hit = False
        for j, f in enumerate(self.fs):
            for day, mask, level in f.onsets:
                if day == date:
                    if not hit and self.gpu is not None:
                        self.gpu.state(self.u)
                    hit = True
                    self.u[j][mask] = np.maximum(self.u[j][mask], (level * f.p[mask]).astype(self.ftype))
        if hit and self.gpu is not None:
            self.gpu = None  # re-uploaded with the new state on the next advance

    def _refresh(self, date) -> None:
        changed = False
        for j, f in enumerate(self.fs):
            key = f._at(date)[0]
            if key == self.keys[j]:
                continue
            self.keys[j] = key
            self.L[j], self.Q[j] = f.level_fields(date, self.dt, self.ftype)
            changed = True
        if not changed:
            return
        worst = step_bound(self.faces, self.coef, self.L, self.Q, capacity=1.0)
        if worst > 1.0:  # stepping() guarantees this; a failure here is a bug, never an unstable run
            raise SpilloverError(f"internal error: the kernel's stability bound is {worst:.6g} > 1 for dt = "
                                 f"{self.dt:g} day")
        if self.gpu is not None:
            self.gpu.set_rates(L=self.L, Q=self.Q)

    def advance(self, date, nsteps: int) -> None:
        self._refresh(date)
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
