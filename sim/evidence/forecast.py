r"""Forecasts from the calibrated model: an ensemble of parameter draws, assimilated at the origin, NB counts.

For an origin ``O`` (forecast made on 1 January of ``O``: only years ``≤ O − 1`` are seen) and last year ``L``:

1. **Posterior at the origin.** The design runs (:func:`sim.evidence.calibrate.run_design`, run once to ``L``;
   the forcing after ``O`` is the scenario's own timeline) are weighted by their likelihood on the years
   ``first .. O − 1`` only (:func:`sim.evidence.calibrate.fit_points`, :func:`~sim.evidence.calibrate.posterior`).
   Member ``j`` is a design point drawn by weight with its ``α_j, φ_j, u_{0,j}``; its expected deaths are
   ``μ_{j,i,t} = e^{α_j} (X_{j,i,t} + u_{0,j} P_i)``.
2. **Assimilation at the origin** (in observation space): each unit's model expectation is rescaled by what was
   recorded in the year before the origin,

   .. math:: \hat μ_{j,i,t} = μ_{j,i,t}\, \frac{y_{i,O−1} + c}{μ_{j,i,O−1} + c}, \qquad t ≥ O

   so ``c → ∞`` is the free model and ``c → 0`` persistence times the model's trend. The pseudo-count ``c``
   (from :data:`PSEUDO_COUNTS`) and one NB dispersion ``φ_h`` per horizon ``h`` are fitted by maximum
   likelihood **on the training years only**, on the pairs ``(t − h → t)``, ``t ≤ O − 1``, with the best design
   point; a horizon without training pairs takes the longest fitted one's ``φ``. Units without cells on the
   grid (``P_i = 0``) forecast ``\hat μ = y_{i,O−1}``.
3. **Counts.** One draw per member and unit-year. ``spread="empirical"``:
   ``y^{(j)}_{i,t} = \exp(\ln(1 + \hat μ_{j,i,t}) + e) − 1`` with ``e`` resampled from the log-ratio errors
   ``\ln(1+y_t) − \ln(1+\hat μ_t)`` of the training pairs at the same horizon and state (``quiet``:
   ``y_{i,O−1} = 0``, ``active``: > 0), and ``c`` chosen to minimise their mean absolute deviation; ``"nb"`` (default):
   ``NB(\hat μ_{j,i,t}, φ_{h,state})`` with ``c`` and ``φ`` by NB likelihood (NB2 with one φ is far too
   skewed for active units: its median sits well below its mean). The members give the mean, quantiles, CRPS,
   Brier and coverage (:mod:`sim.evidence.scores`); the point forecast (log-MAE) is the members' median.
   ``"mixed"``: NB for quiet units, the empirical log-ratio errors for active ones (``c`` by NB likelihood).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import optimize

from geo.errors import SpilloverError
from sim.evidence.likelihood import BOUNDS, nb_logpmf, nb_sample

STATES = ("quiet", "active")
SPREADS = ("nb", "empirical", "mixed")
PSEUDO_COUNTS = (0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 100.0, np.inf)
DEFAULT_MEMBERS = 1000


@dataclass
class Level:
    """One level's data aligned: observed ``y`` (units, years), exposures ``X`` (points, units, years), people."""

    name: str  # "admin1" | "country"
    units: tuple[str, ...]
    years: tuple[int, ...]
    y: np.ndarray
    exposure: np.ndarray
    people: np.ndarray
    ok: np.ndarray


def align(runs, counts, level: str = "admin1", quantity: str = "deaths_best") -> Level:
    """The design runs and a yearly :class:`~sim.evidence.aggregate.ObservedCounts` on the record's units."""
    from sim.evidence.calibrate import observed_matrix

    table = counts.array(quantity)
    units = tuple(table["unit"].values)
    if level == "admin1":
        labels, x, people = runs.labels, runs.exposure, runs.people
    elif level == "country":
        labels, x, people = runs.country_exposure()
    else:
        raise SpilloverError(f"level {level!r}: valid levels are admin1, country")
    pos = {u: k for k, u in enumerate(labels)}
    n_pts, n_years = x.shape[0], len(runs.years)
    xx = np.zeros((n_pts, len(units), n_years))
    pp = np.zeros(len(units))
    for i, u in enumerate(units):
        if u in pos:
            xx[:, i], pp[i] = x[:, pos[u]], people[pos[u]]
    y = observed_matrix(counts, units, runs.years, quantity)
    return Level(level, units, runs.years, y, xx, pp, runs.ok)


def _mu(lv: Level, prof: dict, m: int) -> np.ndarray:
    return np.exp(prof["alpha"][m]) * (lv.exposure[m] + prof["u0"][m] * lv.people[:, None])


def _nb_fit(y: np.ndarray, mu: np.ndarray) -> tuple[float, float]:
    """Max over ``φ`` of ``Σ log NB(y; μ, φ)``: ``(loglik, φ)``."""
    lo, hi = BOUNDS["log_phi"]
    f = lambda v: -float(nb_logpmf(y, mu, np.exp(v)).sum())  # noqa: E731
    best = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-5})
    return -float(best.fun), float(np.exp(best.x))


def _assimilated(mu: np.ndarray, y_prev: np.ndarray, mu_prev: np.ndarray, c: float, people: np.ndarray) -> np.ndarray:
    """``μ (y_prev + c)/(μ_prev + c)`` per unit (``μ`` (..., units, years)); persistence where no people."""
    if np.isinf(c):
        out = mu.copy()
    else:
        out = mu * ((y_prev + c) / (mu_prev + c))[..., None]
    none = people <= 0
    out[..., none, :] = np.broadcast_to(y_prev[none, None], out[..., none, :].shape)
    return out


def fit_assimilation(lv: Level, prof: dict, origin: int, horizons: int, spread: str = "nb") -> dict:
    """``c`` and ``φ_h`` (h = 1 … horizons) on the training pairs (module docstring, step 2)."""
    best = int(np.nanargmax(prof["loglik"]))
    mu = _mu(lv, prof, best)
    t_of = {t: k for k, t in enumerate(lv.years)}
    train = [t for t in lv.years if t < origin]
    if len(train) < 2:
        raise SpilloverError(f"origin {origin}: need two training years in the runs (years {lv.years[0]}..)")

    def pairs(c, h, state=None):
        ys, ms = [], []  # observed, assimilated prediction of the training pairs
        for t in train:
            if t - h not in t_of:
                continue
            s = t - h
            pred = _assimilated(mu[:, [t_of[t]]], lv.y[:, t_of[s]], mu[:, t_of[s]], c, lv.people)[:, 0]
            ok = np.isfinite(lv.y[:, t_of[t]]) & np.isfinite(pred) & np.isfinite(lv.y[:, t_of[s]])
            if state is not None:
                ok &= (lv.y[:, t_of[s]] > 0) == (state == "active")
            ys.append(lv.y[ok, t_of[t]]); ms.append(np.maximum(pred[ok], 1e-9))
        return (np.concatenate(ys), np.concatenate(ms)) if ys else (None, None)

    if spread in ("nb", "mixed"):
        scores = {c: _nb_fit(*pairs(c, 1))[0] for c in PSEUDO_COUNTS}
    else:  # the log-scale error the point forecast is judged by (minus: larger is better)
        scores = {}
        for c in PSEUDO_COUNTS:
            yy, mm = pairs(c, 1)
            e = np.log1p(yy) - np.log1p(mm)
            scores[c] = -float(np.abs(e - np.median(e)).mean())
    c = max(scores, key=scores.get)
    phis, errors = {}, {}
    for state in STATES:
        phis[state], errors[state] = [], []
        for h in range(1, horizons + 1):
            yy, mm = pairs(c, h, state)
            if yy is not None and yy.size >= 5:
                errors[state].append(np.log1p(yy) - np.log1p(mm))
                phis[state].append(_nb_fit(yy, mm)[1] if spread != "empirical" else np.nan)
            else:
                errors[state].append(errors[state][-1]); phis[state].append(phis[state][-1])
    return {"c": c, "phi_h": phis, "errors_h": errors, "spread": spread,
            "score_by_c": {str(k): v for k, v in scores.items()}}


def forecast_members(lv: Level, keys: Sequence[str], points: np.ndarray, origin: int, last: int,
                     members: int = DEFAULT_MEMBERS, ess: float = 8.0, seed: int = 0,
                     assimilate: bool = True, spread: str = "nb", against: Level | None = None) -> dict:
    """Ensemble forecast of ``lv`` from ``origin`` to ``last``: ``{"members": (M, units, years), ...}``.

    Member ``k`` draws its counts from its own random streams ``default_rng([seed, k, horizon, state])``. With ``against`` (the same
    units and years under another scenario's design runs), the same members (design point, ``α``, ``φ``, ``u₀``,
    assimilation) are drawn again from the same streams on ``against``'s exposures: ``"against_members"`` and
    ``"against_expected"`` are then paired member by member with ``"members"`` and ``"expected"`` (common random
    numbers), so ``members − against_members`` is the scenarios' difference with the parameter uncertainty and
    the count noise shared. Identical exposures give identical draws.

    Example
    -------
    >>> fc = forecast_members(level, runs.keys, runs.points, 2016, 2019)  # doctest: +SKIP
    >>> fc["members"].shape  # doctest: +SKIP
    (1000, 100, 4)
    """
    from sim.evidence.calibrate import DesignRuns, fit_points, posterior

    if origin not in lv.years or last not in lv.years or last < origin:
        raise SpilloverError(f"origin {origin} and last year {last} must lie in the run years "
                             f"{lv.years[0]}..{lv.years[-1]} with origin ≤ last")
    if against is not None and (against.units != lv.units or against.years != lv.years
                                or against.exposure.shape != lv.exposure.shape):
        raise SpilloverError("the scenario to compare against must have the same units, years and design points")
    train = [t for t in lv.years if t < origin]
    prof = fit_points(lv.y, lv.exposure, lv.people, lv.ok, lv.years, train)
    fake = DesignRuns(tuple(keys), points, lv.years, lv.units, lv.units, lv.exposure, lv.people, lv.ok, 0.0)
    post = posterior(fake, prof, ess=ess, draws=members, seed=seed)
    t0, t1 = lv.years.index(origin), lv.years.index(last)
    horizons = t1 - t0 + 1
    if spread not in SPREADS:
        raise SpilloverError(f"spread {spread!r}: valid spreads are {', '.join(SPREADS)}")
    assim = (fit_assimilation(lv, prof, origin, horizons, spread) if assimilate
             else {"c": np.inf, "phi_h": None, "spread": "nb"})
    levels = (lv,) if against is None else (lv, against)
    out = np.empty((len(levels), members, len(lv.units), horizons))
    mean_mu = np.empty_like(out)
    for k, m in enumerate(post["draw_index"]):
        for s, level in enumerate(levels):
            out[s, k], mean_mu[s, k] = _member(level, prof, int(m), assim, t0, t1, (seed, k))
    result = {"members": out[0], "expected": mean_mu[0], "point": np.median(mean_mu[0], axis=0),
              "years": tuple(range(origin, last + 1)), "posterior": post, "assimilation": assim, "profile": prof}
    if against is not None:
        result.update(against_members=out[1], against_expected=mean_mu[1])
    return result


def _member(lv: Level, prof: dict, m: int, assim: dict, t0: int, t1: int,
            stream: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """One member's counts and assimilated expectations, ``(units, horizons)`` each, at design point ``m``.

    Each horizon and state draws from its own stream ``default_rng([*stream, h, state])``: the Poisson step takes a
    number of variates that depends on the mean, so one stream shared across horizons would pair two scenarios' draws
    in the first horizon only."""
    y_prev = np.nan_to_num(lv.y[:, t0 - 1])
    active = y_prev > 0
    mu = _mu(lv, prof, m)
    mu_hat = _assimilated(mu[:, t0:t1 + 1], y_prev, mu[:, t0 - 1], assim["c"], lv.people)
    counts = np.empty_like(mu_hat)
    for h in range(mu_hat.shape[1]):
        mu_h = np.maximum(mu_hat[:, h], 0.0)
        if assim["phi_h"] is None:
            counts[:, h] = nb_sample(np.random.default_rng([*stream, h]), mu_h, prof["phi"][m])
            continue
        for s, (state, where) in enumerate((("active", active), ("quiet", ~active))):
            if not where.any():
                continue
            rng = np.random.default_rng([*stream, h, s])
            if assim["spread"] == "nb" or (assim["spread"] == "mixed" and state == "quiet"):
                counts[where, h] = nb_sample(rng, mu_h[where], assim["phi_h"][state][h])
            else:
                e = rng.choice(assim["errors_h"][state][h], size=int(where.sum()))
                counts[where, h] = np.maximum(np.expm1(np.log1p(mu_h[where]) + e), 0.0)
    return counts, mu_hat


def summary_rows(lv: Level, fc: dict, names: dict | None = None) -> list[dict]:
    """Rows of ``predictions.csv``: level, unit, name, year, deaths_mean, deaths_q05, deaths_q50, deaths_q95 and
    p_ge_25 (the share of members with at least 25 deaths: the Brier score's event)."""
    x = fc["members"]
    q = np.quantile(x, [0.05, 0.5, 0.95], axis=0)
    rows = []
    for i, u in enumerate(lv.units):
        for h, year in enumerate(fc["years"]):
            rows.append({"level": lv.name, "unit": u, "name": (names or {}).get(u, u), "year": year,
                         "deaths_mean": float(x[:, i, h].mean()), "deaths_q05": float(q[0, i, h]),
                         "deaths_q50": float(q[1, i, h]), "deaths_q95": float(q[2, i, h]),
                         "p_ge_25": float((x[:, i, h] >= 25).mean())})
    return rows
