r"""The hindcast: the scenario as it stands, run over the recorded years and set beside what GED recorded.

What it decides: how the run a user makes (the scenario's own values, no calibration of its dynamics) compares
with the record, per country and year, once the observation model puts both in deaths.

1. **One run** of the scenario over the record's years (from ``scenario.start`` to 1 January after the last
   recorded year it covers), on the scenario's own grid, through the calibration's batch engine
   (:func:`sim.evidence.calibrate.run_design`, one point: the scenario's own value of one key). It keeps the
   exposures ``X_{i,t}`` (yearly mean over snapshots of risk × people / 10⁴ per admin-1 unit ``i``).
2. **Only the scale is fitted**: ``μ_{i,t} = e^α (X_{i,t} + u_0 P_i)`` with ``α``, the NB dispersion ``φ`` and the
   background ``u_0`` profiled by maximum likelihood on the admin-1 deaths of those years
   (:func:`sim.evidence.calibrate.fit_points`, the observation model of :mod:`sim.evidence.likelihood`). The
   dynamics (growth, spread, suppression, the dated drivers) are not fitted: a hindcast of the dynamics, not a fit.
3. **Per country**: the expected deaths ``Σ_{i ∈ c} μ_{i,t}`` and the 5-95 % range of
   ``Σ_{i ∈ c} NB(μ_{i,t}, φ)`` (:data:`DRAWS` draws, seeded), beside the recorded deaths of the country's
   admin-1 units (events placed to admin-1 or better, as for the fit).

Example
-------
>>> table, fit = hindcast(Scenario.load("scenarios/withdrawal.toml"), read_ged(path))  # doctest: +SKIP
>>> table.columns.tolist()  # doctest: +SKIP
['country', 'year', 'observed', 'expected', 'q05', 'q95']
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import SpilloverError

#: Negative-binomial draws per unit and year for the 5-95 % range.
DRAWS = 2000
#: The countries drawn (the rest are in the table).
SHOWN = ("MLI", "BFA", "NER")


def hindcast(scenario, events, admin1=None, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """The hindcast table (country, year, observed, expected, q05, q95) and the fitted ``alpha, phi, u0``.

    ``scenario`` is a :class:`sim.Scenario`, ``events`` an :class:`~sim.evidence.observed.ObservedEvents`.
    """
    from geo.admin1 import load_admin1
    from sim.evidence import calibrate as cal
    from sim.evidence import forecast as fcm
    from sim.evidence.aggregate import aggregate
    from sim.evidence.likelihood import nb_sample

    admin1 = load_admin1() if admin1 is None else admin1
    first = max(scenario.scenario.start.year, int(events.events["year"].min()))
    last = min(scenario.scenario.end.year - 1, int(events.events["year"].max()))
    if last < first:
        raise SpilloverError(f"{events.source}: its years {int(events.events['year'].min())}-"
                             f"{int(events.events['year'].max())} do not overlap the scenario's "
                             f"{scenario.scenario.start.year}-{scenario.scenario.end.year - 1}")
    years = tuple(range(first, last + 1))
    key = "growth.base_rate_per_year"
    runs = cal.run_design(scenario, [key], np.array([[scenario.growth.base_rate_per_year]]), years,
                          scenario.grid.cell_km)
    if not runs.ok.all():
        raise SpilloverError(f"the hindcast run failed: {runs.errors[0]}")
    counts = aggregate(events, by="admin1", period="year", years=(first, last), admin1=admin1)
    lv = fcm.align(runs, counts, "admin1")
    prof = cal.fit_points(lv.y, lv.exposure, lv.people, lv.ok, years, years)
    mu = fcm._mu(lv, prof, 0)  # (units, years)
    country_of = dict(zip(admin1["adm1_code"], admin1["adm0_a3"]))
    rng = np.random.default_rng(seed)
    rows = []
    for code in dict.fromkeys(country_of.get(u) for u in lv.units):
        sel = np.array([country_of.get(u) == code for u in lv.units]) & np.isfinite(lv.y).all(axis=1)
        if not sel.any():
            continue
        draws = nb_sample(rng, np.broadcast_to(mu[sel], (DRAWS,) + mu[sel].shape), prof["phi"][0]).sum(axis=1)
        q05, q95 = np.quantile(draws, [0.05, 0.95], axis=0)
        for k, year in enumerate(years):
            rows.append({"country": code, "year": year, "observed": float(lv.y[sel, k].sum()),
                         "expected": float(mu[sel, k].sum()), "q05": float(q05[k]), "q95": float(q95[k])})
    fit = {"alpha": float(prof["alpha"][0]), "phi": float(prof["phi"][0]), "u0": float(prof["u0"][0]),
           "loglik": float(prof["loglik"][0]), "years": [first, last], "cell_km": float(scenario.grid.cell_km)}
    return pd.DataFrame(rows, columns=["country", "year", "observed", "expected", "q05", "q95"]), fit


def plot_hindcast(table: pd.DataFrame, fit: dict, path: Path, footer: str, shown=SHOWN) -> list[Path]:
    """Observed against expected deaths per year for the ``shown`` countries (log scale), with the NB range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.plotting.style import save_figure

    shown = [c for c in shown if c in set(table["country"])] or list(dict.fromkeys(table["country"]))[:3]
    fig, axes = plt.subplots(1, len(shown), figsize=(3.7 * len(shown), 3.4), squeeze=False, sharey=True)
    for ax, code in zip(axes[0], shown):
        part = table[table["country"] == code]
        ax.fill_between(part["year"], part["q05"], part["q95"], color="C0", alpha=0.25, lw=0,
                        label="model, 5-95% of NB counts")
        ax.plot(part["year"], part["expected"], color="C0", label="model, expected deaths")
        ax.plot(part["year"], part["observed"], "ko-", ms=3.5, lw=0.8, label="UCDP GED recorded")
        ax.set_title(code)
        ax.set_xlabel("year")
        ax.set_yscale("symlog", linthresh=10)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3, lw=0.5)
    axes[0][0].set_ylabel("deaths per year (admin-1 units summed)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7.5, frameon=False, bbox_to_anchor=(0.5, 0.04))
    fig.suptitle(f"Hindcast {fit['years'][0]}-{fit['years'][1]}: the scenario's own dynamics, only the deaths "
                 f"scale fitted (α = {fit['alpha']:.2f}, φ = {fit['phi']:.3g})", fontsize=9)
    fig.text(0.01, 0.01, footer, fontsize=6, color="0.35")
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    return save_figure(fig, path, description=footer)
