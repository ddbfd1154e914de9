"""The hindcast (sim/evidence/hindcast.py, `spillover demo --observed`): a twin experiment and bad input.

Twin: the scenario's own run gives exposures X per admin-1 unit and year; deaths are drawn from the observation
model with a known scale, dispersion and background, written as one GED-like event per unit-year (at a point of
the unit), read back; the hindcast must return the drawn counts per country exactly and the known scale within
its sampling error.
"""
from __future__ import annotations

import numpy as np
import pytest

from ged_synthetic import event, write_ged
from geo.admin1 import load_admin1
from sim import Scenario
from sim.cli import main
from sim.evidence import calibrate as cal
from sim.evidence.hindcast import hindcast, plot_hindcast
from sim.evidence.likelihood import nb_sample
from sim.evidence.observed import read_ged

NAMES = {"MLI": "Mali", "BFA": "Burkina Faso", "NER": "Niger"}
TRUTH = {"alpha": 3.0, "phi": 3.0, "u0": 1e-3}  # u0 on the profiled grid cal.BACKGROUND


@pytest.fixture(scope="module")
def small():
    return Scenario.load("scenarios/withdrawal.toml").replace(**{"grid.cell_km": 50.0,
                                                                 "scenario.end": "2018-01-01",
                                                                 "output.geotiff_days": []})


def test_hindcast_returns_the_drawn_counts_and_the_known_scale(small, tmp_path):
    assert TRUTH["u0"] in cal.BACKGROUND
    years = tuple(range(2013, 2018))
    runs = cal.run_design(small.replace(**{"scenario.end": "2019-01-01"}), ["growth.base_rate_per_year"],
                          np.array([[small.growth.base_rate_per_year]]), years, small.grid.cell_km)
    admin1 = load_admin1()
    where = admin1.set_index("adm1_code").geometry.representative_point()
    country_of = dict(zip(admin1["adm1_code"], admin1["adm0_a3"]))
    rng = np.random.default_rng(0)
    mu = np.exp(TRUTH["alpha"]) * (runs.exposure[0] + TRUTH["u0"] * runs.people[:, None])
    drawn = nb_sample(rng, mu, TRUTH["phi"])
    rows, totals = [], {}
    for i, code in enumerate(runs.labels):
        if country_of[code] not in NAMES:
            continue
        for t, year in enumerate(years):
            totals[(country_of[code], year)] = totals.get((country_of[code], year), 0) + int(drawn[i, t])
            if drawn[i, t] > 0:
                p = where[code]
                rows.append(event(len(rows), date=f"{year}-06-01", best=int(drawn[i, t]), lon=p.x, lat=p.y,
                                  country=NAMES[country_of[code]], where_prec=1))
    # the record's first year without deaths anywhere still fixes the years: a zero event in 2013
    rows.append(event(len(rows), date="2013-01-02", best=0))
    ged = write_ged(tmp_path / "twin.csv", rows)
    table, fit = hindcast(small.replace(**{"scenario.end": "2019-01-01"}), read_ged(ged))
    assert fit["years"] == [2013, 2017]
    got = {(r.country, r.year): r.observed for r in table.itertuples() if r.country in NAMES}
    assert got == totals  # every drawn death comes back, in its country and year
    # the scale's sampling error from the Fisher information of NB(e^α X, φ) in α, Σ μ φ / (φ + μ): 0.050 here;
    # with φ profiled as well, 60 seeds gave an sd of 0.058 and no bias (mean 2.994). Three of those sds:
    m = mu[[country_of[c] in NAMES for c in runs.labels]]
    sd = 1.15 / np.sqrt(np.sum(m * TRUTH["phi"] / (TRUTH["phi"] + m)))
    assert abs(fit["alpha"] - TRUTH["alpha"]) < 3 * sd
    assert fit["u0"] == TRUTH["u0"]
    exp = table.set_index(["country", "year"])["expected"]
    for code in NAMES:
        truth = mu[[country_of[c] == code for c in runs.labels]].sum(axis=0)
        assert np.allclose(exp.loc[code].values, truth, rtol=0.25)
    assert (table["q05"] <= table["expected"]).all() and (table["expected"] <= table["q95"]).all()
    written = plot_hindcast(table, fit, tmp_path / "hindcast.png", "footer")
    assert [p.name for p in written] == ["hindcast.png"] and written[0].stat().st_size > 10_000


def test_hindcast_refuses_a_record_outside_the_scenario(small, tmp_path):
    ged = write_ged(tmp_path / "late.csv", [event(1, date="2021-05-05", best=3)])
    with pytest.raises(Exception, match="do not overlap the scenario's 2012-2017"):
        hindcast(small, read_ged(ged))


def test_demo_refuses_a_bad_ged_file_before_running_anything(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,year\n1,2019\n", encoding="utf-8")
    figures = tmp_path / "figures"
    assert main(["demo", "--observed", str(bad), "--figures", str(figures), "--runs", str(tmp_path / "runs")]) == 2  # bad input
    err = capsys.readouterr().err
    assert "bad.csv" in err and "date_start" in err
    assert not figures.exists() and not (tmp_path / "runs").exists()
