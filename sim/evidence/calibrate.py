r"""Calibration of the dynamic and observation parameters to the yearly deaths GED records per admin-1 unit.

Method (a space-filling design, the observation model profiled, a tempered importance posterior):

1. **Design.** ``n`` points of a scrambled Sobol sequence (:mod:`scipy.stats.qmc`) over the box of the dynamic
   keys (``--param KEY=LOW:HIGH``), scaled linearly (or in log where the box spans a factor > 20).
2. **Runs.** Each point is one member of :func:`sim.sweep.run_ensemble` (local pool or Dask) on a coarse grid
   (``cell_km``, stated in ``fit.json``) from ``scenario.start`` to 1 January after the last year needed; the
   accumulator :class:`sim.sweep.UnitYearSums` keeps, per admin-1 unit ``i`` and year ``t``, the yearly mean over
   the snapshots of ``X_{m,i,t} = Σ_{c ∈ i} u_m(c) p_c / p_{ref}`` (``p_c`` people in cell ``c``,
   ``p_ref = 10^4``). A background risk ``u_0`` (deaths where the model has no risk yet, e.g. Burkina Faso
   before its onset; without it one death where ``u = 0`` makes the likelihood ``−∞``) is added:
   ``μ_{m,i,t} = e^α (X_{m,i,t} + u_0 P_i)``, ``P_i = Σ_{c ∈ i} p_c / p_ref``; ``u_0`` is profiled on the grid
   :data:`BACKGROUND` per point. This is the observation model of :mod:`sim.evidence.likelihood` with ``γ = β = 1``
   (deaths proportional to risk times people): the batch engine reduces sums, not powers, so ``γ`` and ``β`` are
   fixed here, and said so in ``fit.json``.
3. **Profile.** For each point the scale ``α`` and the NB dispersion ``φ`` are profiled out
   (:func:`sim.evidence.likelihood.profile_loglik`) on the training years: ``ℓ_m = max_{α,φ} Σ_{i,t}
   \log NB(y_{i,t}; e^α X_{m,i,t}, φ)``, units of countries the GED file does not cover left out (NaN).
4. **Posterior.** Weights ``w_m ∝ exp((ℓ_m − \max ℓ)/T)`` with a flat prior on the box. Unit-years are not
   independent (one run's error is shared by a country's units for years), so the plain likelihood (``T = 1``)
   puts all weight on one design point and states a spread of zero; ``T ≥ 1`` is the smallest temperature
   whose effective sample size ``(Σw)²/Σw²`` reaches ``ess`` (default 8), found by bisection. The weighted mean
   and sd of each parameter (dynamic keys, ``α``, ``φ``) are the estimate and its uncertainty; ``draws`` are
   design points resampled by weight.

Runs are resumable: each finished batch is saved to ``DIR/runs/`` under the hash of everything that determines
it (the scenario, the points, the grid and years); a rerun loads the batches already there.
"""
from __future__ import annotations

import hashlib
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from geo.errors import SpilloverError

P_REF = 1.0e4
DEFAULT_ESS = 8.0
#: The background risks profiled per point (risk units, i.e. a share of ``u = 1``).
BACKGROUND = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
#: A plausible box for the default scenario's dynamic keys (used when no --param is given).
DEFAULT_BOX = {
    "growth.base_rate_per_year": (0.3, 3.0),
    "growth.loss_per_year": (0.05, 0.8),
    "diffusion.kappa_km2_per_year": (300.0, 10000.0),
    "suppression.troops_effect_per_year": (0.0, 1.0),
}


def parse_param(text: str) -> tuple[str, float, float]:
    """``KEY=LOW:HIGH`` to ``(key, low, high)``.

    Examples
    --------
    >>> parse_param("growth.loss_per_year=0.1:0.5")
    ('growth.loss_per_year', 0.1, 0.5)
    """
    if "=" not in text or ":" not in text.split("=", 1)[1]:
        raise SpilloverError(f"--param {text!r}: expected KEY=LOW:HIGH, e.g. growth.loss_per_year=0.1:0.5")
    key, box = text.split("=", 1)
    try:
        lo, hi = (float(v) for v in box.split(":", 1))
    except ValueError:
        raise SpilloverError(f"--param {text!r}: LOW and HIGH must be numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise SpilloverError(f"--param {text!r}: need finite LOW < HIGH")
    return key.strip(), lo, hi


def _log_scaled(lo: float, hi: float) -> bool:
    return lo > 0 and hi / lo > 20


def design(box: dict[str, tuple[float, float]], n: int, seed: int = 0) -> np.ndarray:
    """``n`` scrambled Sobol points in ``box`` (log-scaled where it spans a factor > 20), shape (n, keys).

    Examples
    --------
    >>> x = design({"a": (0.0, 1.0), "b": (1.0, 100.0)}, 16)
    >>> x.shape, bool((x[:, 1] >= 1).all() and (x[:, 1] <= 100).all())
    ((16, 2), True)
    """
    from scipy.stats import qmc

    if n < 2:
        raise SpilloverError(f"calibration needs at least 2 design points, got {n}")
    import warnings

    with warnings.catch_warnings():  # any n is fine; powers of 2 keep Sobol's balance properties
        warnings.simplefilter("ignore", UserWarning)
        q = qmc.Sobol(len(box), scramble=True, seed=seed).random(n)
    out = np.empty_like(q)
    for j, (lo, hi) in enumerate(box.values()):
        if _log_scaled(lo, hi):
            out[:, j] = np.exp(np.log(lo) + q[:, j] * (np.log(hi) - np.log(lo)))
        else:
            out[:, j] = lo + q[:, j] * (hi - lo)
    return out


def observed_matrix(counts, labels: Sequence[str], years: Sequence[int], quantity: str = "deaths_best") -> np.ndarray:
    """(units, years) observed deaths in the order of ``labels``; NaN for units the record does not cover.

    ``counts`` is a yearly :class:`sim.evidence.aggregate.ObservedCounts` (its units are those of the file's
    countries, with 0 where nothing was recorded).
    """
    table = counts.array(quantity)
    periods = [int(p) for p in table["period"].values]
    units = list(table["unit"].values)
    col = {u: k for k, u in enumerate(units)}
    out = np.full((len(labels), len(years)), np.nan)
    for t, y in enumerate(years):
        if y not in periods:
            continue
        row = table.values[periods.index(y)]
        for i, lab in enumerate(labels):
            if lab in col:
                out[i, t] = row[col[lab]]
    return out


def tempered_weights(loglik: np.ndarray, ess: float = DEFAULT_ESS) -> tuple[np.ndarray, float]:
    """Weights ``∝ exp((ℓ − max ℓ)/T)`` with the smallest ``T ≥ 1`` whose effective sample size ≥ ``ess``.

    Examples
    --------
    >>> w, t = tempered_weights(np.array([0.0, -1000.0, -2000.0, -3000.0]), ess=2)
    >>> round(float(w.sum()), 6), t > 1
    (1.0, True)
    """
    ll = np.asarray(loglik, float)
    good = np.isfinite(ll)
    if not good.any():
        raise SpilloverError("no design point has a finite likelihood (every run failed?)")
    ess = min(float(ess), float(good.sum()))

    def weights(temp):
        w = np.where(good, np.exp((np.where(good, ll, -np.inf) - ll[good].max()) / temp), 0.0)
        return w / w.sum()

    def size(w):
        return 1.0 / float((w ** 2).sum())

    if size(weights(1.0)) >= ess:
        return weights(1.0), 1.0
    lo, hi = 1.0, 2.0
    while size(weights(hi)) < ess and hi < 1e12:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if size(weights(mid)) < ess else (lo, mid)
    return weights(hi), hi


@dataclass
class DesignRuns:
    """The design's runs: per point the yearly admin-1 exposures ``X`` (points, units, years)."""

    keys: tuple[str, ...]
    points: np.ndarray
    years: tuple[int, ...]
    labels: tuple[str, ...]  # admin-1 codes
    countries: tuple[str, ...]  # ADM0_A3 of each unit
    exposure: np.ndarray
    people: np.ndarray  # (units,) P_i = people / p_ref
    ok: np.ndarray
    cell_km: float
    seconds: float = 0.0
    errors: list = field(default_factory=list)

    def country_exposure(self) -> tuple[tuple[str, ...], np.ndarray]:
        """Exposures summed to countries (expected deaths add): ``(codes, X (points, countries, years), P)``."""
        codes = tuple(sorted(set(self.countries)))
        idx = np.array([codes.index(c) for c in self.countries])
        out = np.zeros((len(self.points), len(codes), len(self.years)))
        np.add.at(out, (slice(None), idx), self.exposure)
        people = np.zeros(len(codes))
        np.add.at(people, idx, self.people)
        return codes, out, people


def design_hash(base, keys, points, years, cell_km) -> str:
    """What determines the runs, hashed (the store's key)."""
    blob = json.dumps({"scenario": repr(base.to_dict()) if hasattr(base, "to_dict") else repr(base),
                       "keys": list(keys), "points": np.round(points, 12).tolist(), "years": list(years),
                       "cell_km": cell_km, "p_ref": P_REF}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_design(base, keys: Sequence[str], points: np.ndarray, years: Sequence[int], cell_km: float,
               executor=None, store: Path | None = None, batch: int = 16,
               on_batch: Callable[[int], None] | None = None) -> DesignRuns:
    """Run every design point (one ensemble member each) and return the admin-1 exposures per year.

    Example
    -------
    >>> runs = run_design(base, ["growth.loss_per_year"], np.array([[0.2], [0.4]]), range(2012, 2016), 50)  # doctest: +SKIP
    >>> runs.exposure.shape  # doctest: +SKIP
    (2, 343, 4)
    """
    import time

    from geo.population import population_surface
    from sim.forcing import scenario_grid
    from sim.sweep import Member, UnitYearSums, run_ensemble

    years = tuple(int(y) for y in years)
    t0 = time.perf_counter()
    base = base.replace(**{"grid.cell_km": float(cell_km), "scenario.end": f"{years[-1] + 1}-01-01",
                           "output.geotiff_days": []})
    if base.scenario.start.year > years[0]:
        raise SpilloverError(f"the scenario starts on {base.scenario.start}, after the first year {years[0]} "
                             "to calibrate or forecast")
    grid = scenario_grid(base)
    pop = np.nan_to_num(np.asarray(population_surface(grid).people, float)) / P_REF
    acc = UnitYearSums.admin1(grid, years, exposure=pop)
    labels = tuple(grid.admin1_codes)
    countries = tuple(grid.admin1_country)
    ids = np.asarray(grid.admin1_id).astype(np.int64).ravel() - 1
    people = np.bincount(ids[ids >= 0], pop.ravel()[ids >= 0], minlength=len(labels))
    n = len(points)
    exposure = np.full((n, len(labels), len(years)), np.nan)
    ok = np.zeros(n, bool)
    errors = [""] * n
    todo = list(range(n))
    part_dir = None
    if store is not None:
        from sim.outdir import mark_cache

        part_dir = mark_cache(Path(store) / "runs") / design_hash(base, keys, points, years, cell_km)
        part_dir.mkdir(parents=True, exist_ok=True)
        for f in sorted(part_dir.glob("part-*.npz")):
            try:
                with np.load(f) as z:
                    idx, x, good = z["index"], z["exposure"], z["ok"]
                exposure[idx], ok[idx] = x, good
            except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile):
                f.unlink(missing_ok=True)  # a part our cache cannot read (an older layout, a bad disk): run it again
        todo = [i for i in range(n) if not ok[i]]
        if on_batch is not None and n - len(todo):
            on_batch(n - len(todo))
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        members = [Member({k: float(points[i, j]) for j, k in enumerate(keys)}) for i in chunk]
        res = run_ensemble(base, members, acc, executor=executor, batch=max(1, batch // max(1, getattr(executor, "slots", 1))))
        snaps = np.maximum(res.values["snapshots"][:, None, :], 1)
        x = res.values["u_exposure_sum"] / snaps
        idx = np.array(chunk)
        exposure[idx], ok[idx] = x, res.ok
        for k, i in enumerate(chunk):
            errors[i] = str(res.errors[k])
        if part_dir is not None:
            _save_part(part_dir / f"part-{chunk[0]:05d}.npz", index=idx, exposure=x, ok=res.ok)
        if on_batch is not None:
            on_batch(len(chunk))
    return DesignRuns(tuple(keys), np.asarray(points, float), years, labels, countries, exposure, people, ok,
                      float(cell_km), time.perf_counter() - t0, errors)


def _save_part(path: Path, **arrays) -> None:
    """Write a part of the runs cache atomically: a process killed while writing leaves no truncated part."""
    from geo.atomic import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def fit_points(y: np.ndarray, exposure: np.ndarray, people: np.ndarray, ok: np.ndarray, years: Sequence[int],
               train: Sequence[int], background: Sequence[float] = BACKGROUND) -> dict:
    """Profile ``α, φ, u_0`` per design point on the training years; returns loglik, alpha, phi, u0 (points,)."""
    from sim.evidence.likelihood import profile_loglik

    cols = [k for k, t in enumerate(years) if t in set(train)]
    if not cols:
        raise SpilloverError(f"no training year {list(train)} among the run years {list(years)}")
    yy = y[:, cols]
    n = len(exposure)
    out = {k: np.full(n, np.nan) for k in ("loglik", "alpha", "phi", "u0")}
    out["loglik"][:] = -np.inf
    for m in range(n):
        if not ok[m]:
            continue
        for u0 in background:
            x = exposure[m:m + 1, :, cols] + u0 * people[None, :, None]
            keep = np.isfinite(yy) & np.isfinite(x[0]) & (x[0] > 0)
            got = profile_loglik(np.where(keep, yy, 0.0), np.where(keep[None], x, 1.0), mask=keep)
            if got["loglik"][0] > out["loglik"][m]:
                for k in ("loglik", "alpha", "phi"):
                    out[k][m] = got[k][0]
                out["u0"][m] = u0
    return out


def posterior(runs: DesignRuns, prof: dict, ess: float = DEFAULT_ESS, draws: int = 200, seed: int = 0) -> dict:
    """Tempered posterior over the design (module docstring): estimates, sds, draws of every parameter."""
    w, temp = tempered_weights(prof["loglik"], ess)
    table = {k: runs.points[:, j] for j, k in enumerate(runs.keys)}
    table["observation.alpha"] = prof["alpha"]
    table["observation.log_phi"] = np.log(prof["phi"])
    table["observation.log10_u0"] = np.log10(prof["u0"])
    est = {}
    for k, v in table.items():
        v = np.where(w > 0, v, 0.0)
        mean = float((w * v).sum())
        est[k] = {"mean": mean, "sd": float(np.sqrt((w * (v - mean) ** 2).sum()))}
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(w), size=draws, p=w)
    best = int(np.nanargmax(prof["loglik"]))
    return {"temperature": temp, "ess": 1.0 / float((w ** 2).sum()), "weights": w, "estimates": est,
            "best": {**{k: float(v[best]) for k, v in table.items()}, "loglik": float(prof["loglik"][best])},
            "draw_index": pick, "draws": {k: v[pick].tolist() for k, v in table.items()}}
