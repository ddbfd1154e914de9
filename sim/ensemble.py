r"""Ensembles: members that differ in parameters and in the seeded growth noise; the median and 90% band per unit.

Member ``j`` (``j = 0 … N−1``) is the base scenario with ``scenario.seed = seed + j`` (so its own growth noise
fields, :func:`sim.noise.noise_field`, when ``growth.noise_sd`` > 0) and, for each ``KEY=LOW:HIGH`` range, a
value from a Latin hypercube over the ranges (``scipy.stats.qmc.LatinHypercube`` seeded with ``seed``). The
members run through the sweep batch engine (:func:`sim.sweep.batch.run_ensemble`: local processes or Dask), which
keeps per admin-1 unit and calendar year only the sum of ``u`` over its cells and snapshots
(:class:`sim.sweep.UnitYearSums`), never the fields, so an ensemble of hundreds of members at 10 km fits in memory.

Per member ``j``, unit ``k`` (cells ``C_k``) and year ``y`` with ``S_y`` snapshots::

    mean_risk[j, k, y] = u_sum[j, k, y] / (S_y · |C_k|)
    mean_risk[j, c, y] = Σ_{k in c} u_sum[j, k, y] / (S_y · Σ_{k in c} |C_k|)        (country c)

and the band of a unit and year is the 5th and 95th percentile over the members (``numpy.quantile``, linear),
with the median between them. Members that failed are left out of the quantiles and listed in ``members.csv``.

Examples
--------
>>> from sim.scenario import Scenario
>>> base = Scenario.load("scenarios/withdrawal.toml").replace(**{"grid.cell_km": 100})  # doctest: +SKIP
>>> ens = run_members(base, design(base, 8, {"growth.base_rate_per_year": (0.4, 0.8)}))  # doctest: +SKIP
>>> band(ens.countries).query("unit == 'MLI'").columns.tolist()                      # doctest: +SKIP
['year', 'unit', 'members', 'q05', 'q50', 'q95']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from sim.scenario import Scenario

#: The band's quantiles: a 90% interval and the median.
QUANTILES = {"q05": 0.05, "q50": 0.5, "q95": 0.95}


@dataclass(frozen=True)
class Ensemble:
    """An ensemble's members and yearly series (see the module docstring).

    members: one row per member (``member``, ``seed``, the varied keys, ``ok``, ``error``);
    admin1: ``member, year, country, unit, mean_risk`` (unit = ``adm1_code``);
    countries: ``member, year, unit, mean_risk`` (unit = ADM0_A3).
    """

    members: pd.DataFrame
    admin1: pd.DataFrame
    countries: pd.DataFrame
    seconds: float


def design(base: Scenario, n: int, ranges: Mapping[str, tuple[float, float]], seed: int | None = None) -> list:
    """``n`` members: seeds ``seed + j`` and Latin-hypercube values of ``ranges`` (module docstring)."""
    from scipy.stats import qmc

    from sim.sweep import Member

    if n < 1:
        raise SpilloverError(f"--members {n}: give at least 1 (e.g. 50)")
    if n > base.numerics.max_runs:
        raise SpilloverError(f"--members {n:,}: more model runs than numerics.max_runs = {base.numerics.max_runs:,}; "
                             "give fewer, or raise numerics.max_runs in the scenario")
    seed = base.scenario.seed if seed is None else int(seed)
    names = list(ranges)
    values = np.zeros((n, 0))  # no ranges: members differ only in their seeds
    if names:
        unit = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
        lo = np.array([ranges[k][0] for k in names], float)
        hi = np.array([ranges[k][1] for k in names], float)
        values = lo + unit * (hi - lo)
    return [Member({k: float(v) for k, v in zip(names, row)}, seed=seed + j) for j, row in enumerate(values)]


def run_members(base: Scenario, members: list, executor=None, batch: int = 8, on_batch=None) -> Ensemble:
    """Run the members and return their yearly series per admin-1 unit and country."""
    from sim.forcing import scenario_grid
    from sim.sweep import UnitYearSums, run_ensemble

    grid = scenario_grid(base)
    start, end = base.scenario.start, base.scenario.end
    years = range(start.year, end.year + (1 if (end.month, end.day) != (1, 1) else 0))
    acc = UnitYearSums.admin1(grid, years)
    result = run_ensemble(base, members, acc, executor=executor, batch=batch, on_batch=on_batch)
    u_sum = result.values["u_sum"]  # (members, units, years)
    snaps = result.values["snapshots"]  # (members, years)
    cells = np.bincount(acc.index.unit, minlength=acc.index.n_units).astype(float)  # |C_k|
    codes = np.array(grid.admin1_codes, dtype=object)
    country = np.array(grid.admin1_country, dtype=object)
    ok = np.asarray(result.ok, bool)
    years_ = np.array(acc.years)
    # admin-1: u_sum / (S_y |C_k|), for the ok members, the units with cells and the years with snapshots
    with np.errstate(invalid="ignore", divide="ignore"):
        unit_mean = u_sum / (snaps[:, None, :] * cells[None, :, None])
    j, k, y = np.nonzero(ok[:, None, None] & (cells > 0)[None, :, None] & (snaps > 0)[:, None, :])
    admin1 = pd.DataFrame({"member": j, "year": years_[y], "country": country[k], "unit": codes[k],
                           "mean_risk": unit_mean[j, k, y]})
    # countries: the units' sums and cells added per country
    names = list(dict.fromkeys(country[cells > 0]))
    in_country = np.array([(country == name) & (cells > 0) for name in names], float)  # (countries, units)
    c_sum = np.einsum("ck,jky->jcy", in_country, np.nan_to_num(u_sum))
    with np.errstate(invalid="ignore", divide="ignore"):
        c_mean = c_sum / (snaps[:, None, :] * (in_country @ cells)[None, :, None])
    j, c, y = np.nonzero(np.broadcast_to(ok[:, None, None] & (snaps > 0)[:, None, :], c_mean.shape))
    countries = pd.DataFrame({"member": j, "year": years_[y], "unit": np.array(names, dtype=object)[c],
                              "mean_risk": c_mean[j, c, y]})
    table = pd.DataFrame([{"member": i, "seed": m.seed, **m.overrides, "ok": bool(result.ok[i]),
                           "error": str(result.errors[i])} for i, m in enumerate(members)])
    order = ["member", "year", "unit"]
    return Ensemble(table, admin1.sort_values(order, ignore_index=True),
                    countries.sort_values(order, ignore_index=True), result.wall_seconds)


def band(series: pd.DataFrame) -> pd.DataFrame:
    """Per unit and year: the number of members, the median and the 90% band of ``mean_risk``."""
    if series.empty:
        return pd.DataFrame(columns=["year", "unit", "members", *QUANTILES])
    grouped = series.groupby(["year", "unit"])["mean_risk"]
    out = grouped.quantile(list(QUANTILES.values())).unstack()
    out.columns = list(QUANTILES)
    out.insert(0, "members", grouped.size())
    return out.reset_index()


def ensemble_folder(out, force: bool = False):
    """``with ensemble_folder(out) as folder``: the guarded ensemble folder (lock, never a user's files), to hold
    while the members run so that a folder that would be refused is refused before any work."""
    from sim.outdir import output_folder

    return output_folder(out, manifest="ensemble.json", kind="ensemble", force=force)


def write_ensemble(ensemble: Ensemble, base: Scenario, out, ranges: Mapping[str, tuple[float, float]],
                   force: bool = False, folder=None) -> list:
    """Write the ensemble folder: ``members.csv``, ``countries.csv`` and ``admin1.csv`` (every member's yearly
    series), ``band_countries.csv`` and ``band_admin1.csv`` (median and 90% band), ``ensemble.png`` and the
    manifest ``ensemble.json`` (resolved base scenario, seeds, ranges, package and data versions), last.

    ``folder``: an :func:`ensemble_folder` already open (the command opens it before running the members).
    """
    import contextlib
    from geo.admin1 import load_admin1
    from sim.forcing import document_inputs
    from sim.output import provenance
    from sim.plotting.ensemble import plot_ensemble
    from sim.plotting.series import country_names

    bands = {"countries": band(ensemble.countries), "admin1": band(ensemble.admin1)}
    names = dict(load_admin1()[["adm1_code", "name"]].itertuples(index=False))
    names.update(country_names(sorted(set(ensemble.countries["unit"]))))
    prov = provenance(base, document_inputs(base).documents)
    written = []
    with (contextlib.nullcontext(folder) if folder is not None else ensemble_folder(out, force)) as folder:
        for name, frame in (("members.csv", ensemble.members), ("countries.csv", ensemble.countries),
                            ("admin1.csv", ensemble.admin1), ("band_countries.csv", bands["countries"]),
                            ("band_admin1.csv", bands["admin1"])):
            frame.to_csv(folder.file(name), index=False, float_format="%.6g")
            written.append(folder.path / name)
        ok = int(ensemble.members["ok"].sum())
        footer = (f"scenario {base.scenario.name} · {ok} of {len(ensemble.members)} members, seeds "
                  f"{int(ensemble.members['seed'].min())}–{int(ensemble.members['seed'].max())}, growth noise sd "
                  f"{base.growth.noise_sd:g}" + "".join(f" · {k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in
                                                         ranges.items())
                  + f" · {base.grid.cell_km:g} km cells · sahel-spillover {prov['sahel_spillover_version']}")
        written += plot_ensemble(bands["countries"], bands["admin1"], names, folder.file("ensemble.png"),
                                 f"Insurgency risk, ensemble of scenario “{base.scenario.name}”", footer)
        folder.commit({"provenance": prov, "members": len(ensemble.members), "members_ok": ok,
                       "ranges": {k: list(v) for k, v in ranges.items()}, "seconds": round(ensemble.seconds, 2)})
    return written
