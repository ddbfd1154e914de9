"""Ensembles: Latin-hypercube members with their own seeds, yearly series that equal single runs, bands, the CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import run
from sim.cli import main
from sim.ensemble import band, design, run_members
from sim.scenario import Scenario

SMALL = {"grid.cell_km": 100.0, "grid.countries": ["MLI", "BFA", "NER"], "scenario.start": "2012-01-01",
         "scenario.end": "2016-01-01", "scenario.output_every_days": 30, "documents.seeds": "",
         "initial.places": ["northern Mali"], "initial.from_documents": False, "initial.risk": 1.0,
         "growth.population_half_per_km2": 1e-3, "output.geotiff_days": []}


def small(**changes) -> Scenario:
    return Scenario().replace(**{**SMALL, **changes})


def test_design_gives_each_member_a_seed_and_a_latin_hypercube_value():
    members = design(small(**{"scenario.seed": 10}), 8, {"growth.base_rate_per_year": (0.4, 0.8),
                                                          "growth.loss_per_year": (0.0, 0.2)})
    assert [m.seed for m in members] == list(range(10, 18))
    for key, (lo, hi) in {"growth.base_rate_per_year": (0.4, 0.8), "growth.loss_per_year": (0.0, 0.2)}.items():
        strata = np.floor((np.array([m.overrides[key] for m in members]) - lo) / (hi - lo) * 8)
        assert sorted(strata) == list(range(8))  # one value in each eighth of the range
    again = design(small(**{"scenario.seed": 10}), 8, {"growth.base_rate_per_year": (0.4, 0.8),
                                                        "growth.loss_per_year": (0.0, 0.2)})
    assert [m.overrides for m in again] == [m.overrides for m in members]


@pytest.fixture(scope="module")
def ensemble():
    base = small(**{"growth.noise_sd": 0.4})
    return base, run_members(base, design(base, 3, {"growth.base_rate_per_year": (0.5, 1.5)}))


def test_a_members_yearly_series_equal_its_single_runs_yearly_means(ensemble):
    base, ens = ensemble
    row = ens.members.iloc[1]
    single = run(base.replace(**{"growth.base_rate_per_year": row["growth.base_rate_per_year"],
                                 "scenario.seed": int(row["seed"])}))
    series = single.series.assign(year=lambda f: f["time"].dt.year)
    expected = series[series["year"] < 2016].groupby(["year", "country"])["mean_risk"].mean()
    mine = ens.countries[ens.countries["member"] == 1].set_index(["year", "unit"])["mean_risk"]
    got = mine.reindex(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=2e-5)  # float32 fields, float64 sums


def test_members_differ_and_the_band_holds_the_median(ensemble):
    _, ens = ensemble
    last = ens.countries[(ens.countries["year"] == 2015) & (ens.countries["unit"] == "MLI")]["mean_risk"]
    assert last.nunique() == 3
    b = band(ens.countries).set_index(["year", "unit"]).loc[(2015, "MLI")]
    assert b["members"] == 3 and b["q50"] == pytest.approx(np.median(last))
    assert b["q05"] == pytest.approx(np.quantile(last, 0.05)) and b["q05"] <= b["q50"] <= b["q95"]


def test_without_noise_or_ranges_every_member_is_the_same():
    base = small()
    ens = run_members(base, design(base, 2, {}))
    b = band(ens.countries)
    np.testing.assert_allclose(b["q05"], b["q95"], rtol=1e-12)


def test_the_command_writes_the_folder_and_never_replaces_it_unasked(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(small().to_toml())
    out = tmp_path / "ens"
    args = ["ensemble", str(scenario), "--out", str(out), "-n", "3", "--noise", "0.3", "--workers", "0",
            "-p", "growth.base_rate_per_year=0.5:1.5", "-q"]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} >= {"members.csv", "countries.csv", "admin1.csv", "band_countries.csv",
                                               "band_admin1.csv", "ensemble.png", "ensemble.json"}
    manifest = json.loads((out / "ensemble.json").read_text())
    assert manifest["members"] == 3 and manifest["provenance"]["scenario"]["growth"]["noise_sd"] == 0.3
    assert manifest["ranges"] == {"growth.base_rate_per_year": [0.5, 1.5]}
    assert len(pd.read_csv(out / "members.csv")) == 3
    capsys.readouterr()
    assert main(args) == 2  # a previous ensemble: only with --force
    assert "--force" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0
    assert main(["ensemble", str(scenario), "--out", str(tmp_path / "x"), "-p", "growth.nope=0:1"]) == 2
    assert "growth.nope" in capsys.readouterr().err
