"""Forecast-mode scenario comparison (``spillover forecast --against``): paired members, comparison.csv, errors."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.errors import SpilloverError
from sim.evidence import calibrate as cal
from sim.evidence import forecast as fcm
from sim.evidence.comparison import COLUMNS, comparison_rows
from sim.evidence.observed import default_ged_path

ROOT = Path(__file__).resolve().parents[1]
YEARS = tuple(range(2012, 2018))
BOX = {"growth.base_rate_per_year": (0.6, 2.4)}


@pytest.fixture(scope="module")
def level():
    """Design runs at 100 km and counts drawn from the observation model at one of them."""
    from sim import Scenario

    base = Scenario.load(ROOT / "scenarios" / "withdrawal.toml")
    runs = cal.run_design(base, list(BOX), cal.design(BOX, 8, seed=2), YEARS, 100.0)
    mu = np.exp(3.0) * (runs.exposure[3] + 1e-3 * runs.people[:, None])
    y = np.random.default_rng(5).negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    return runs, fcm.Level("admin1", runs.labels, YEARS, y, runs.exposure, runs.people, runs.ok)


def test_the_same_scenario_against_itself_differs_in_no_member(level):
    runs, lv = level
    fc = fcm.forecast_members(lv, runs.keys, runs.points, 2015, 2017, members=200, against=lv)
    assert np.array_equal(fc["members"], fc["against_members"])
    rows = pd.DataFrame(comparison_rows(lv, fc))
    assert list(rows.columns) == list(COLUMNS)
    assert (rows[["difference_mean", "difference_q05", "difference_q95", "p_more", "p_fewer"]] == 0).all().all()


def test_members_are_paired_and_a_scenario_with_more_exposure_after_the_origin_forecasts_more(level):
    runs, lv = level
    more = lv.exposure.copy()
    more[:, :, YEARS.index(2016):] *= 3.0  # the other timeline triples the modelled exposure from 2016 on
    other = dataclasses.replace(lv, exposure=more)
    fc = fcm.forecast_members(lv, runs.keys, runs.points, 2016, 2017, members=400, against=other)
    alone = fcm.forecast_members(lv, runs.keys, runs.points, 2016, 2017, members=400)
    assert np.array_equal(alone["members"], fc["members"])  # comparing does not change SCENARIO's own forecast
    # μ = e^α (X + u₀ P) times the same assimilation ratio (the year before the origin is unchanged): tripling X
    # multiplies μ by (3X + u₀P)/(X + u₀P), between 1 (no modelled exposure) and 3 (exposure ≫ background)
    busy = fc["expected"] > 1e-9
    ratio = fc["against_expected"][busy] / fc["expected"][busy]
    assert ratio.min() >= 1 - 1e-12 and ratio.max() <= 3 + 1e-12 and ratio.max() > 2.9
    d = pd.DataFrame(comparison_rows(lv, fc))
    tripled = (fc["against_expected"] >= 2.5 * fc["expected"]).all(axis=0).ravel()  # (units, years) as the rows
    active = (d["against_deaths_q50"] >= 20).to_numpy()
    assert (active & tripled).sum() > 5 and (d["p_fewer"][active & tripled] > 0.9).all()
    raised = (fc["against_expected"] >= 1.5 * fc["expected"]).all(axis=0).ravel()
    assert (d["p_fewer"][active & raised] > d["p_more"][active & raised]).all()  # fewer deaths under SCENARIO
    # paired: the spread of the member differences is below that of two independent ensembles' differences
    a, b = fc["members"], fc["against_members"]
    i, h = np.unravel_index(np.argmax(np.median(b, axis=0)), b.shape[1:])
    independent = a[:, i, h] - np.random.default_rng(9).permutation(b[:, i, h])
    assert np.std(a[:, i, h] - b[:, i, h]) < np.std(independent)


def test_a_scenario_with_other_units_is_refused(level):
    runs, lv = level
    other = dataclasses.replace(lv, units=lv.units[::-1])
    with pytest.raises(SpilloverError, match="same units"):
        fcm.forecast_members(lv, runs.keys, runs.points, 2016, 2017, members=20, against=other)


GED = default_ged_path()


@pytest.mark.skipif(not GED.is_file(), reason="the shared UCDP GED extract is absent (no ../shared beside the clone)")
def test_forecast_against_stay_through_the_cli(tmp_path, capsys):
    from sim.cli import main

    fit = tmp_path / "fit"
    assert main(["calibrate", str(ROOT / "scenarios" / "withdrawal.toml"), "--observed", str(GED), "--train",
                 "2012:2019", "--param", "growth.loss_per_year=0.1:0.5", "--points", "4", "--cell-km", "100",
                 "--out", str(fit), "-q"]) == 0
    base = ["forecast", str(ROOT / "scenarios" / "withdrawal.toml"), "--observed", str(GED), "--fit",
            str(fit / "fit.json"), "--origin", "2020", "--until", "2024", "--members", "100", "-q"]
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "nowhere.toml"\n')
    assert main(base + ["--against", str(bad), "--out", str(tmp_path / "no")]) == 2
    assert "nowhere.toml" in capsys.readouterr().err and not (tmp_path / "no").exists()
    out = tmp_path / "fc"
    assert main(base + ["--against", str(ROOT / "scenarios" / "stay.toml"), "--out", str(out)]) == 0
    c = pd.read_csv(out / "comparison.csv")
    assert list(c.columns) == list(COLUMNS) and set(c["year"]) == set(range(2020, 2025))
    p = pd.read_csv(out / "predictions.csv")
    assert np.allclose(c["deaths_q50"], p["deaths_q50"])  # SCENARIO's medians, as in predictions.csv
    mli = c[(c["level"] == "country") & (c["unit"] == "MLI")].set_index("year")
    assert mli.loc[2020, "name"] == "Mali"
    assert (c["difference_q05"] <= c["difference_q50"]).all() and (c["difference_q50"] <= c["difference_q95"]).all()
    assert ((c["p_more"] + c["p_fewer"]) <= 1).all()
    assert (out / "fan_countries.png").stat().st_size > 10_000
