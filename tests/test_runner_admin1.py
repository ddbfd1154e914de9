"""Runs report per admin-1 unit: admin1.csv, the admin-1 rows of crossings.csv and admin1_id in risk.nc."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from geo.admin1 import load_admin1
from sim import Scenario, run
from sim.output import ADMIN1_FILE, RISK_FILE
from sim.plotting.maps import RunData

ROOT = Path(__file__).resolve().parent.parent

CODES = ["MLI", "BFA", "NER"]
SMALL = {
    "grid.cell_km": 25.0, "grid.countries": CODES, "scenario.start": "2012-01-01", "scenario.end": "2013-07-01",
    "scenario.output_every_days": 90, "documents.seeds": "", "initial.places": ["Mopti"],
    "initial.from_documents": False,
    # K = p ≈ 1 wherever anyone lives, so the onset place starts at risk 1 (above the threshold)
    "initial.risk": 1.0, "growth.population_half_per_km2": 1e-3, "output.threshold": 0.5,
}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run(Scenario().replace(**SMALL), tmp_path_factory.mktemp("run"))


def test_admin1_csv_has_every_unit_at_every_snapshot(result):
    table = pd.read_csv(result.out / ADMIN1_FILE, keep_default_na=False, na_values=[""])
    assert list(table.columns) == ["time", "adm0_a3", "adm1_code", "name", "mean_risk", "area_at_risk_km2",
                                   "fraction_at_risk"]
    units = load_admin1(codes=CODES)
    times = pd.read_csv(result.out / "countries.csv")["time"].unique()
    assert len(table) == len(units) * len(times) == 62 * len(times)
    for _, snapshot in table.groupby("time"):
        assert list(snapshot["adm1_code"]) == list(units["adm1_code"])
    assert set(table.loc[table["adm1_code"] == "MLI-2809", "name"]) == {"Mopti"}


def test_admin1_series_agree_with_the_cells_and_the_countries(result):
    table = pd.read_csv(result.out / ADMIN1_FILE)
    series = pd.read_csv(result.out / "countries.csv")
    with xr.open_dataset(result.out / RISK_FILE) as ds:
        risk, ids = ds["risk"].values, ds["admin1_id"].values
        codes = ds["admin1_id"].attrs["adm1_codes"].split()
    last = table[table["time"] == table["time"].max()].set_index("adm1_code")
    mopti = ids == codes.index("MLI-2809") + 1
    assert last.loc["MLI-2809", "mean_risk"] == pytest.approx(float(np.nanmean(risk[-1][mopti])), rel=1e-5)
    assert last.loc["MLI-2809", "mean_risk"] > last.loc["MLI-2689", "mean_risk"]  # the onset was in Mopti
    # area at risk of the units adds up to the country's
    for code in CODES:
        mine = table[(table["adm0_a3"] == code) & (table["time"] == table["time"].max())]
        country = series[(series["country"] == code) & (series["time"] == series["time"].max())]
        assert mine["area_at_risk_km2"].sum() == pytest.approx(country["area_at_risk_km2"].iloc[0])


def test_crossings_have_country_and_admin1_rows(result):
    cross = pd.read_csv(result.out / "crossings.csv", keep_default_na=False)
    assert list(cross["level"].unique()) == ["country", "admin1"]
    admin1 = cross[cross["level"] == "admin1"].set_index("unit")
    assert len(admin1) == 62 and admin1.loc["MLI-2809", "country"] == "MLI"
    assert admin1.loc["MLI-2809", "first_crossing"] == "2012-01-01"  # initial risk 0.5 in the whole unit
    assert admin1.loc["NER-800", "first_crossing"] == ""
    assert cross.set_index("unit").loc["MLI", "name"] == "Mali"
    assert list(result.crossings["level"].unique()) == ["country"] and len(result.admin1_crossings) == 62


def test_netcdf_admin1_id_has_cf_flags_and_rebuilds_the_grid(result):
    with xr.open_dataset(result.out / RISK_FILE) as ds:
        var = ds["admin1_id"]
        assert var.dims == ("y", "x") and var.dtype == np.int8  # CF-1.8 has no unsigned types: 62 units fit int8
        assert list(var.attrs["flag_values"]) == list(range(1, 63))
        assert var.attrs["flag_meanings"].split() == var.attrs["adm1_codes"].split()  # no '?' among these codes
        assert (var.values[ds["country_id"].values == 0] == 0).all()
    with RunData(result.out) as data:
        grid = data.grid
        assert grid.admin1_codes[:9] == tuple(load_admin1(codes=["MLI"])["adm1_code"])
        assert data.admin1 is not None and len(data.admin1) == len(pd.read_csv(result.out / ADMIN1_FILE))


def test_flag_meanings_are_cf_safe_for_western_sahara(tmp_path):
    run_dir = run(Scenario().replace(**{**SMALL, "grid.countries": ["SAH", "MRT"], "grid.cell_km": 50.0,
                                        "initial.places": ["Mauritania"], "scenario.end": "2012-06-01"}), tmp_path)
    with xr.open_dataset(run_dir.out / RISK_FILE) as ds:
        attrs = ds["admin1_id"].attrs
    assert "SAH+00?" in attrs["adm1_codes"].split() and "SAH+00_" in attrs["flag_meanings"].split()


def test_the_default_scenario_reports_every_unit_of_the_18_countries(tmp_path):
    """The default run (scenarios/withdrawal.toml, its documents, all 18 countries), only coarser and shorter:
    admin1.csv lists all 343 units at every snapshot, even units smaller than a 100 km cell (NaN risk)."""
    scenario = Scenario.load(ROOT / "scenarios" / "withdrawal.toml")
    assert len(scenario.grid.countries) == 18
    done = run(scenario.replace(**{"grid.cell_km": 100.0, "scenario.end": "2012-03-01", "output.geotiff_days": []}),
               tmp_path / "run")
    table = pd.read_csv(done.out / ADMIN1_FILE, keep_default_na=False, na_values=[""])
    units = load_admin1()
    assert len(units) == 343
    for _, snapshot in table.groupby("time"):
        assert list(snapshot["adm1_code"]) == list(units["adm1_code"])
    assert table["time"].nunique() == len(pd.read_csv(done.out / "countries.csv")["time"].unique()) >= 2
    small = table[table["time"] == table["time"].min()].set_index("adm1_code")
    assert np.isnan(small.loc["MLI-2792", "mean_risk"])  # Bamako district: 250 km², no 100 km cell of its own
    cross = pd.read_csv(done.out / "crossings.csv", keep_default_na=False)
    assert (cross["level"] == "admin1").sum() == 343 and (cross["level"] == "country").sum() == 18
