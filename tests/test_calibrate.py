"""Calibration and forecasts: a twin experiment (counts drawn from the model with known parameters), the
posterior's tempering, argument errors, and the real-data chain through the CLI (skipped without the shared data)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.errors import SpilloverError
from sim.evidence import calibrate as cal
from sim.evidence import forecast as fcm
from sim.evidence.observed import default_ged_path

ROOT = Path(__file__).resolve().parents[1]
YEARS = tuple(range(2012, 2016))
TRUTH = {"growth.base_rate_per_year": 1.4, "growth.loss_per_year": 0.25}
BOX = {"growth.base_rate_per_year": (0.6, 2.4), "growth.loss_per_year": (0.05, 0.6)}
ALPHA, PHI, U0 = 3.0, 2.0, 1e-3


def test_parse_param_and_errors():
    assert cal.parse_param("a.b=1:2") == ("a.b", 1.0, 2.0)
    for bad in ("a.b", "a.b=1", "a.b=2:1", "a.b=x:1"):
        with pytest.raises(SpilloverError, match="--param"):
            cal.parse_param(bad)
    with pytest.raises(SpilloverError, match="at least 2"):
        cal.design(BOX, 1)


def test_tempered_weights_reach_the_effective_size():
    ll = -np.arange(20.0) * 500
    w, t = cal.tempered_weights(ll, ess=5)
    assert t > 1 and abs(1 / (w ** 2).sum() - 5) < 1e-3 and abs(w.sum() - 1) < 1e-12
    w1, t1 = cal.tempered_weights(np.zeros(10), ess=5)
    assert t1 == 1.0 and np.allclose(w1, 0.1)


@pytest.fixture(scope="module")
def twin():
    """Design runs at 100 km, counts drawn from the observation model at a run with the true parameters."""
    from sim import Scenario

    base = Scenario.load(ROOT / "scenarios" / "withdrawal.toml")
    points = cal.design(BOX, 24, seed=1)
    runs = cal.run_design(base, list(BOX), points, YEARS, 100.0)
    truth = cal.run_design(base, list(TRUTH), np.array([list(TRUTH.values())]), YEARS, 100.0)
    rng = np.random.default_rng(3)
    mu = np.exp(ALPHA) * (truth.exposure[0] + U0 * truth.people[:, None])
    y = rng.negative_binomial(PHI, PHI / (PHI + mu)).astype(float)
    return runs, y


def test_twin_fit_recovers_the_parameters_within_its_uncertainty(twin):
    runs, y = twin
    assert runs.ok.all()
    prof = cal.fit_points(y, runs.exposure, runs.people, runs.ok, YEARS, YEARS)
    post = cal.posterior(runs, prof)
    for key, true in TRUTH.items():
        e = post["estimates"][key]
        assert e["sd"] > 0
        assert abs(e["mean"] - true) <= 2 * e["sd"], (key, e, true)
    a = post["estimates"]["observation.alpha"]
    assert abs(a["mean"] - ALPHA) <= 2 * a["sd"] + 0.05, a
    # the free (unassimilated) forecast of the last year from the twin's own data has calibrated intervals
    lv = fcm.Level("admin1", runs.labels, YEARS, y, runs.exposure, runs.people, runs.ok)
    fc = fcm.forecast_members(lv, runs.keys, runs.points, 2015, 2015, members=400, assimilate=False)
    lo, hi = np.quantile(fc["members"], [0.05, 0.95], axis=0)
    inside = ((y[:, -1:] >= lo) & (y[:, -1:] <= hi)).mean()
    assert 0.8 <= inside <= 0.99, inside


def test_forecast_rejects_origins_outside_the_runs(twin):
    runs, y = twin
    lv = fcm.Level("admin1", runs.labels, YEARS, y, runs.exposure, runs.people, runs.ok)
    with pytest.raises(SpilloverError, match="origin"):
        fcm.forecast_members(lv, runs.keys, runs.points, 2020, 2021)
    with pytest.raises(SpilloverError, match="two training years"):
        fcm.forecast_members(lv, runs.keys, runs.points, 2013, 2014)


GED = default_ged_path()  # ../shared/data beside the clone (or SPILLOVER_SHARED), as CI has it


@pytest.mark.skipif(not GED.is_file(), reason="the shared UCDP GED extract is absent (no ../shared beside the clone)")
def test_real_chain_through_the_cli(tmp_path):
    from sim.cli import main
    from sim import Scenario

    out = tmp_path / "fit"
    args = ["calibrate", str(ROOT / "scenarios" / "withdrawal.toml"), "--observed", str(GED), "--train", "2012:2017",
            "--param", "growth.loss_per_year=0.1:0.5", "--points", "4", "--cell-km", "100", "--out", str(out), "-q"]
    assert main(args) == 0
    fit = json.loads((out / "fit.json").read_text())
    assert fit["runs_ok"] == 4 and len(fit["observed_sha256"]) == 64 and fit["cell_km"] == 100
    assert set(fit["estimates"]) >= {"growth.loss_per_year", "observation.alpha", "observation.log_phi"}
    s = Scenario.load(out / "calibrated.toml")
    assert s.growth.loss_per_year == pytest.approx(fit["estimates"]["growth.loss_per_year"]["mean"], rel=1e-5)
    assert (out / "fit_countries.png").stat().st_size > 1000
    assert main(args) == 2  # fit.json exists: refused without --force
    fdir = tmp_path / "fc"
    assert main(["forecast", str(ROOT / "scenarios" / "withdrawal.toml"), "--observed", str(GED), "--fit",
                 str(out / "fit.json"), "--origin", "2018-01-01", "--until", "2019", "--members", "50",
                 "--out", str(fdir), "-q"]) == 0
    p = pd.read_csv(fdir / "predictions.csv")
    assert list(p.columns) == ["level", "unit", "name", "year", "deaths_mean", "deaths_q05", "deaths_q50", "deaths_q95",
                               "p_ge_25"]
    assert p["p_ge_25"].between(0, 1).all()
    assert ((p["deaths_q50"] >= 25) <= (p["p_ge_25"] >= 0.5)).all()  # a median of ≥ 25 means P(≥ 25) ≥ 1/2
    assert (fdir / "admin1_2018.png").stat().st_size > 1000
    assert set(p["level"]) == {"country", "admin1"} and set(p["year"]) == {2018, 2019}
    assert (p["deaths_q05"] <= p["deaths_q50"]).all() and (p["deaths_q50"] <= p["deaths_q95"]).all()
    assert main(["calibrate", str(ROOT / "scenarios" / "withdrawal.toml"), "--observed", str(GED), "--param",
                 "growth.nonsense=1:2", "--out", str(tmp_path / "bad"), "-q"]) == 2
