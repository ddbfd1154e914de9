"""Validity of the default scenario against the UCDP GED record of 2010-2019 (issue #15).

Three checks, computed by :func:`validity` and written to ``benchmarks/results_validity.md`` by ``main``:

1. **Ranking within Mali, Burkina Faso and Niger.** For each admin-1 unit of each of the three, the model's mean
   risk over the snapshots of 2017-2019 (``admin1.csv``'s ``mean_risk``, the area mean of the unit) against the
   observed deaths per km² over 2017-2019: GED "best" deaths summed per unit
   (:func:`sim.evidence.aggregate.aggregate`, ``by="admin1"``) over the unit's area (its cells × cell area).
   Spearman rank correlation within each country; target ≥ 0.7 in each.
2. **No false spread.** None of DZA, MRT, SAH, SEN, GIN, GHA crosses the run's crossing rule
   (``output.crossing_area_fraction`` of its area at risk ≥ ``output.threshold``) before 2025-01-01.
3. **Burkina Faso overtakes Mali.** The first year whose mean country risk (mean over that year's snapshots) of
   BFA exceeds MLI's, with BFA below MLI in the year before; target 2019 ± 1.

Usage::

    SPILLOVER_SHARED=/work/shared PYTHONPATH=. python benchmarks/validity.py [--cell-km 10] [--write]
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FOCUS = ("MLI", "BFA", "NER")
NO_SPREAD = ("DZA", "MRT", "SAH", "SEN", "GIN", "GHA")
YEARS = (2017, 2019)
SPEARMAN_TARGET = 0.7
OVERTAKE_TARGET = (2018, 2020)


#: Other windows of the record on which the ranking is reported beside the target's (supplementary, not targets).
WINDOWS = ((2013, 2015), (2014, 2016), (2015, 2017), (2016, 2018), (2017, 2019), (2017, 2017), (2018, 2018),
           (2019, 2019))


def spearman(a, b) -> float:
    """Spearman rank correlation (scipy: average ranks for ties); NaN when either side is constant."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    return float(spearmanr(a, b).statistic)


def observed_density(grid, ged_path: Path, years=YEARS) -> pd.DataFrame:
    """Observed GED best deaths per km² per admin-1 unit of the focus countries over ``years``."""
    from sim.evidence.aggregate import aggregate
    from sim.evidence.observed import read_ged

    counts = aggregate(read_ged(ged_path, years=years), by="admin1", period="year", years=years)
    deaths = counts.frame.groupby("unit")["deaths_best"].sum()
    cells = grid.cells_per_admin1()
    rows = []
    for code, country in zip(grid.admin1_codes, grid.admin1_country):
        if country in FOCUS and cells.get(code, 0):
            area = cells[code] * grid.cell_area_km2
            rows.append({"country": country, "adm1_code": code, "area_km2": area,
                         "deaths": float(deaths.get(code, 0.0)), "deaths_per_km2": float(deaths.get(code, 0.0)) / area})
    return pd.DataFrame(rows)


def units_in_window(result, grid, ged_path: Path, years=YEARS) -> pd.DataFrame:
    """:func:`observed_density` over ``years`` with the model's mean risk over the same years' snapshots."""
    units = result.admin1.copy()
    units["year"] = pd.DatetimeIndex(units["time"]).year
    window = units[(units["year"] >= years[0]) & (units["year"] <= years[1])]
    model = window.groupby("adm1_code")["mean_risk"].mean()
    obs = observed_density(grid, ged_path, years=years)
    obs["model_mean_risk"] = obs["adm1_code"].map(model)
    return obs


def ranks_by_country(obs: pd.DataFrame) -> dict:
    """Spearman of model mean risk against observed deaths per km², within each country of ``obs``."""
    return {c: spearman(g["model_mean_risk"], g["deaths_per_km2"]) for c, g in obs.groupby("country")}


def window_ranks(result, grid, ged_path: Path, windows=WINDOWS) -> pd.DataFrame:
    """The ranking check on other windows of the record: one row per window, each country with and without the
    unit holding its capital (how stable the target window's numbers are; no window is a target)."""
    rows = []
    for years in windows:
        obs = units_in_window(result, grid, ged_path, years)
        row = {"window": f"{years[0]}" if years[0] == years[1] else f"{years[0]}-{years[1]}"}
        row.update(ranks_by_country(obs))
        row.update({f"{c} w/o capital": r for c, r in _without_capitals(obs).items()})
        rows.append(row)
    cols = ["window", *FOCUS, *(f"{c} w/o capital" for c in FOCUS)]
    return pd.DataFrame(rows).reindex(columns=cols)


def validity(result, grid, ged_path: Path) -> dict:
    """The three checks of the module docstring for a run ``result`` (:class:`sim.runner.RunResult`)."""
    obs = units_in_window(result, grid, ged_path)
    ranks = ranks_by_country(obs)
    cross = result.crossings.set_index("country")["first_crossing"]
    limit = pd.Timestamp("2025-01-01")
    false_spread = {c: (None if pd.isna(cross.get(c)) else cross[c].date().isoformat()) for c in NO_SPREAD}
    series = result.series.copy()
    series["year"] = pd.DatetimeIndex(series["time"]).year
    yearly = series.pivot_table(index="year", columns="country", values="mean_risk", aggfunc="mean")
    ahead = yearly["BFA"] > yearly["MLI"]
    overtake = None
    for year in yearly.index[1:]:
        if ahead[year] and not ahead[year - 1]:
            overtake = int(year)
            break
    return {
        "spearman": ranks,
        "spearman_bfa_regions": _bfa_regions(obs),
        "spearman_without_capitals": _without_capitals(obs),
        "windows": window_ranks(result, grid, ged_path),
        "units": obs,
        "false_spread": false_spread,
        "false_spread_ok": all(v is None or pd.Timestamp(v) >= limit for v in false_spread.values()),
        "overtake_year": overtake,
        "yearly": yearly[["MLI", "BFA", "NER"]],
        "ok": (all(r >= SPEARMAN_TARGET for r in ranks.values()) and len(ranks) == 3
               and all(v is None or pd.Timestamp(v) >= limit for v in false_spread.values())
               and overtake is not None and OVERTAKE_TARGET[0] <= overtake <= OVERTAKE_TARGET[1]),
    }


def _bfa_regions(obs: pd.DataFrame) -> float:
    """Spearman over Burkina Faso's 13 regions (its first-level units; Natural Earth's admin-1 are its provinces):
    deaths and areas summed, model risk area-weighted."""
    from geo.admin1 import load_admin1

    region = load_admin1().set_index("adm1_code")["region"]
    b = obs[obs["country"] == "BFA"].assign(region=lambda f: f["adm1_code"].map(region),
                                           weighted=lambda f: f["model_mean_risk"] * f["area_km2"])
    g = b.groupby("region")[["deaths", "area_km2", "weighted"]].sum()
    return spearman(g["weighted"] / g["area_km2"], g["deaths"] / g["area_km2"])


def _without_capitals(obs: pd.DataFrame) -> dict:
    """Spearman within each country without the unit holding its capital (Bamako, Kadiogo, Niamey: a few urban
    attacks on a few hundred km² give them the highest deaths per km², which no model of rural spread can show)."""
    from geo.names import adm1_code, capital_of

    capitals = {adm1_code(capital_of(c)[0], c) for c in FOCUS}
    rest = obs[~obs["adm1_code"].isin(capitals)]
    return ranks_by_country(rest)


def run_default(cell_km: float, scenario_path: Path = ROOT / "scenarios" / "withdrawal.toml"):
    """The default scenario at ``cell_km`` to 2025-01-01 (in memory); returns (result, grid, seconds)."""
    from sim import Scenario, run
    from sim.forcing import scenario_grid

    s = Scenario.load(scenario_path).replace(**{"grid.cell_km": float(cell_km), "scenario.end": "2025-01-01"})
    t0 = time.perf_counter()
    result = run(s)
    return result, scenario_grid(s), time.perf_counter() - t0


def report(v: dict, cell_km: float, seconds: float) -> str:
    lines = [f"Default scenario (scenarios/withdrawal.toml) at {cell_km:g} km, run to 2025-01-01 in {seconds:.1f} s; "
             f"UCDP GED 2010-2019 ({dt.date.today().isoformat()}).", "",
             "| check | value | target |", "|---|---|---|"]
    for c in FOCUS:
        lines.append(f"| Spearman admin-1 mean risk 2017-2019 vs deaths/km², {c} | {v['spearman'].get(c, float('nan')):.3f}"
                     f" | ≥ {SPEARMAN_TARGET} |")
    for c, when in v["false_spread"].items():
        lines.append(f"| first crossing {c} | {when or 'never'} | none before 2025 |")
    lines.append(f"| year BFA mean risk overtakes MLI | {v['overtake_year']} | 2019 ± 1 |")
    lines += ["", "Supplementary (not the targets): Burkina Faso by its 13 regions instead of Natural Earth's 45 "
              f"provinces {v['spearman_bfa_regions']:.3f}; without the unit holding the capital "
              + ", ".join(f"{c} {v['spearman_without_capitals'].get(c, float('nan')):.3f}" for c in FOCUS) + "."]
    lines += ["", "The same ranking on other windows of the record (model mean risk and observed deaths per km² over "
              "the same years; Spearman within each country; blank where a country has no recorded death):", "",
              "```\n" + v["windows"].round(3).to_string(index=False, na_rep="") + "\n```"]
    lines += ["", "Yearly mean country risk:", "", "```\n" + v["yearly"].round(4).to_string() + "\n```", "",
              "Admin-1 units (model mean risk 2017-2019, observed best deaths 2017-2019 per km²):", "",
              "```\n" + v["units"].round(6).to_string(index=False) + "\n```"]
    return "\n".join(lines) + "\n"


#: The heading from which results_validity.md is kept by hand: ``--write`` rewrites only what is above it.
HAND_KEPT = "## How the defaults were chosen"


def write_results(text: str, path: Path = ROOT / "benchmarks" / "results_validity.md") -> None:
    """Rewrite the generated part of ``path`` (method and result) and keep its hand-kept part from
    :data:`HAND_KEPT` on, byte for byte; written to a temporary file first, then moved into place."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = old[old.index(HAND_KEPT):] if HAND_KEPT in old else ""
    body = ("# Validity against UCDP GED 2010-2019\n\n" + __doc__.split("\n\n", 1)[1].split("Usage")[0]
            + "\n## Result\n\n" + text + ("\n" + kept if kept else ""))
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)


def main(argv=None) -> int:
    from sim.evidence.observed import default_ged_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-km", type=float, default=10.0)
    parser.add_argument("--write", action="store_true", help="write benchmarks/results_validity.md")
    args = parser.parse_args(argv)
    result, grid, seconds = run_default(args.cell_km)
    v = validity(result, grid, default_ged_path())
    text = report(v, args.cell_km, seconds)
    print(text)
    if args.write:
        write_results(text)
    return 0 if v["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
