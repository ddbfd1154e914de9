"""How far below persistence can any linear median forecaster get? The admin-1 log-MAE ceiling of issue 11's bar.

    SPILLOVER_SHARED=/work/shared .venv/bin/python benchmarks/skill_ceiling.py [--ged PATH] [--fit DIR/fit.json]

Issue 11 asks the calibrated model to beat last-year persistence on admin-1 log-MAE over the rolling origins
2016, 2017, 2018 (forecasting every year to 2019). This script asks what is possible at all on those unit-years.
A point forecast ``ŷ`` is scored by ``|ln(1 + ŷ) − ln(1 + y)|``; the best forecast of that kind for given features
``z`` is the conditional median of ``ln(1 + y)``, so a median (least absolute deviations) regression

    ln(1 + ŷ_{i,t}) = max(0, β · z_{i,O,t})

is the natural family. It is fitted two ways, on the same unit-years persistence is scored on:

* **in-sample**: β fitted on the evaluation unit-years themselves (it sees the answers). No forecaster of these
  features can have a lower log-MAE than this (for a linear β): a ceiling, not a forecast.
* **out-of-sample**: β fitted, per origin, on the training pairs ``(s → t)`` with ``t < O`` only (an honest
  forecaster of the same family).

Features ``z``: a constant; ``ln(1 + y)`` of the last three years before the origin; whether the unit recorded a
death in the last year (``active``) and ``active × h`` (horizon ``h`` in years); the mean of ``ln(1 + y)`` over
the admin-1 units touching it last year (``neighbours``: what diffusion would bring); the deaths of the last six
months before the origin at a yearly rate (momentum inside the year); and, with ``--fit`` (a
``spillover calibrate`` folder), the calibrated model's expectation ``ln(1 + μ)`` at the target year and its
change since the last observed year (posterior-weighted over the design, re-weighted on the years before the
origin, as :mod:`sim.evidence.forecast` does). The least absolute deviations problem is solved as a linear
programme (:func:`scipy.optimize.linprog`, HiGHS).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.optimize import linprog

ORIGINS, LAST = (2016, 2017, 2018), 2019
FOCUS = ("MLI", "BFA", "NER")


def lad(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """β minimising ``Σ |y − X β|`` (a linear programme: ``X β + e⁺ − e⁻ = y``, ``e± ≥ 0``)."""
    n, p = X.shape
    cost = np.concatenate([np.zeros(p), np.ones(2 * n)])
    res = linprog(cost, A_eq=np.hstack([X, np.eye(n), -np.eye(n)]), b_eq=y,
                  bounds=[(None, None)] * p + [(0, None)] * (2 * n), method="highs")
    if not res.success:
        raise RuntimeError(f"least absolute deviations failed: {res.message}")
    return res.x[:p]


def touching(units, admin1) -> np.ndarray:
    """(units, units) 1 where two admin-1 units share a boundary."""
    import geopandas as gpd

    a1 = admin1.set_index("adm1_code").loc[list(units)].reset_index()
    pairs = gpd.sjoin(a1[["geometry"]], a1[["geometry"]], predicate="touches")
    out = np.zeros((len(units), len(units)))
    out[pairs.index.values, pairs["index_right"].values] = 1.0
    return out


def model_levels(fit_path: Path, counts, origins):
    """Per origin, the posterior-weighted mean of ``ln(1 + μ)`` (units, run years) and the run years."""
    from sim.evidence import forecast as fcm
    from sim.evidence import workflow as wf
    from sim.evidence.calibrate import DesignRuns, fit_points, posterior

    fit = wf._fit_design(fit_path)
    runs = wf._runs_for(fit, Path(fit["scenario"]), int(fit["train"][0]), LAST, fit_path.parent, 0, None, False)
    lv = fcm.align(runs, counts, "admin1")
    out = {}
    for origin in origins:
        train = [t for t in lv.years if t < origin]
        prof = fit_points(lv.y, lv.exposure, lv.people, lv.ok, lv.years, train)
        fake = DesignRuns(tuple(runs.keys), runs.points, lv.years, lv.units, lv.units, lv.exposure, lv.people,
                          lv.ok, 0.0)
        post = posterior(fake, prof, draws=200, seed=0)
        out[origin] = np.mean([np.log1p(fcm._mu(lv, prof, m)) for m in post["draw_index"]], axis=0)
    return out, lv.years, lv.units


def features(H, col, s, t, nbr, half, model=None, model_col=None):
    y = lambda year: np.log1p(H[:, col[year]])  # noqa: E731
    active = (H[:, col[s]] > 0).astype(float)
    z = [np.ones(H.shape[0]), y(s), y(s - 1), y(s - 2), active, active * (t - s),
         (nbr @ y(s)) / np.maximum(nbr.sum(axis=1), 1), np.log1p(half[s])]
    if model is not None:
        z += [model[:, model_col[t]], model[:, model_col[t]] - model[:, model_col[s]]]
    return np.column_stack(z)


NAMES = ["const", "y(O-1)", "y(O-2)", "y(O-3)", "active", "active×h", "neighbours", "last 6 months", "model level",
         "model change"]
SETS = {"persistence alone": [0, 1], "+ two more lags": [0, 1, 2, 3], "+ active, active×h": [0, 1, 2, 3, 4, 5],
        "+ neighbours": [0, 1, 2, 3, 4, 5, 6], "+ last 6 months": [0, 1, 2, 3, 4, 5, 6, 7],
        "persistence + model": [0, 1, 8, 9], "everything": list(range(10))}


def main(argv=None) -> None:
    from geo.admin1 import load_admin1
    from sim.evidence.aggregate import aggregate
    from sim.evidence.observed import default_ged_path, read_ged

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ged", type=Path, default=None, help="UCDP GED CSV (default: ../shared/data/...)")
    p.add_argument("--fit", type=Path, default=None, help="fit.json of `spillover calibrate` (model features)")
    args = p.parse_args(argv)
    admin1 = load_admin1()
    events = read_ged(args.ged or default_ged_path())
    counts = aggregate(events, by="admin1", period="year", years=(2010, LAST),
                       admin1=admin1)
    table = counts.array("deaths_best")
    H, years, units = table.values.T.astype(float), [int(y) for y in table["period"].values], tuple(table["unit"].values)
    col = {y: k for k, y in enumerate(years)}
    country = dict(zip(admin1["adm1_code"], admin1["adm0_a3"]))
    focus = np.array([country[u] in FOCUS for u in units])
    nbr = touching(units, admin1)
    models, model_col = {}, None
    if args.fit:
        models, run_years, run_units = model_levels(args.fit, counts, ORIGINS)
        assert run_units == units
        model_col = {y: k for k, y in enumerate(run_years)}
    sets = {k: v for k, v in SETS.items() if args.fit or max(v) < 8}
    monthly = aggregate(events, by="admin1", period="month", years=(2010, LAST), admin1=admin1).array("deaths_best")
    assert tuple(monthly["unit"].values) == units
    months = [str(m) for m in monthly["period"].values]
    half = {year: 2 * monthly.values.T[:, [k for k, m in enumerate(months) if m.startswith(f"{year}-")][-6:]].sum(1)
            for year in years}  # deaths of the year's last six months, at a yearly rate

    def pairs(origin, targets, lags_from):
        X, y = [], []
        for t in targets:
            for s in lags_from(t):
                X.append(features(H, col, s, t, nbr, half, models.get(origin), model_col)[focus])
                y.append(np.log1p(H[focus, col[t]]))
        return np.vstack(X), np.concatenate(y)

    evals = {o: pairs(o, range(o, LAST + 1), lambda t, o=o: [o - 1]) for o in ORIGINS}
    first_train = max(years[0] + 2, min(model_col) if model_col else years[0] + 2)
    trains = {o: pairs(o, range(first_train + 1, o), lambda t, o=o: range(first_train, t)) for o in ORIGINS}
    X_all = np.vstack([evals[o][0] for o in ORIGINS])
    y_all = np.concatenate([evals[o][1] for o in ORIGINS])
    print(f"admin-1 units of {', '.join(FOCUS)}: {int(focus.sum())}; origins {ORIGINS} to {LAST}: "
          f"{len(y_all)} unit-years")
    print("| features | in-sample LAD (ceiling) | out-of-sample LAD | in-sample coefficients |")
    print("|---|---:|---:|---|")
    for name, sel in sets.items():
        beta = lad(X_all[:, sel], y_all)
        ceiling = np.abs(y_all - np.maximum(X_all[:, sel] @ beta, 0)).mean()
        errs = []
        for o in ORIGINS:
            b = lad(trains[o][0][:, sel], trains[o][1])
            errs.append(np.abs(evals[o][1] - np.maximum(evals[o][0][:, sel] @ b, 0)))
        coefs = ", ".join(f"{NAMES[i]} {v:+.2f}" for i, v in zip(sel, beta) if abs(v) >= 0.005)
        print(f"| {name} | {ceiling:.3f} | {np.concatenate(errs).mean():.3f} | {coefs} |")
    print(f"persistence (ŷ = y(O-1)): {np.abs(y_all - X_all[:, 1]).mean():.3f}")


if __name__ == "__main__":
    main()
