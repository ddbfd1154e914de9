"""Runs end to end: the run-folder contract, provenance, determinism, atomic writes, the API's data and dates."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr

from geo.errors import SpilloverError
from sim import Scenario, run
from sim.cli import main
from sim.output import RISK_FILE, check_run_dir

SMALL = {
    "grid.cell_km": 50.0,
    "grid.countries": ["MLI", "BFA", "NER", "DZA", "MRT"],
    "scenario.start": "2012-01-01",
    "scenario.end": "2015-01-01",
    "scenario.output_every_days": 90,
    "documents.seeds": "",
    "initial.places": ["northern Mali"],
    "initial.from_documents": False,
    # K = p ≈ 1 wherever anyone lives, so the onset place starts at risk 1 (above the threshold)
    "initial.risk": 1.0, "growth.population_half_per_km2": 1e-3, "output.threshold": 0.5,
    "output.geotiff_days": ["2013-01-01"],
}


def small(**changes) -> Scenario:
    return Scenario().replace(**{**SMALL, **changes})


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    run(small(), out)
    return out


def test_the_run_folder_contract(run_dir):
    assert check_run_dir(run_dir) == run_dir
    series = pd.read_csv(run_dir / "countries.csv")
    assert list(series.columns[:4]) == ["time", "country", "mean_risk", "area_at_risk_km2"]
    assert set(series.country) == set(SMALL["grid.countries"])
    crossings = pd.read_csv(run_dir / "crossings.csv", keep_default_na=False)
    assert list(crossings.columns) == ["level", "unit", "name", "country", "first_crossing", "at_start", "threshold",
                                       "crossing_area_fraction"]
    mali = crossings[crossings["level"] == "country"].set_index("country").loc["MLI"]
    assert mali["first_crossing"] == "2012-01-01" and mali["at_start"]  # northern Mali starts at the threshold


def test_netcdf_opens_georeferenced_in_xarray_and_gdal(run_dir):
    with xr.open_dataset(run_dir / RISK_FILE) as ds:
        risk = ds["risk"]
        assert risk.dims == ("time", "y", "x")
        assert str(ds.time.values[0])[:10] == "2012-01-01"
        assert ds["spatial_ref"].attrs["grid_mapping_name"] == "albers_conical_equal_area"
        assert risk.attrs["grid_mapping"] == "spatial_ref"
        values = risk.values
        cid = ds["country_id"].values
        assert np.isnan(values[:, cid == 0]).all()
        inside = values[:, cid > 0]
        assert np.nanmin(inside) >= 0 and np.nanmax(inside) <= 1
        assert ds.attrs["Conventions"] == "CF-1.8" and "provenance" in ds.attrs
        assert ds["country_id"].attrs["flag_meanings"].split() == SMALL["grid.countries"]
    with rasterio.open(f"netcdf:{run_dir / RISK_FILE}:risk") as src:  # what QGIS does
        assert src.crs is not None and "Albers" in src.crs.to_wkt()
        assert src.transform.a == pytest.approx(50_000.0)
        assert src.count == len(values)


def test_geotiff_is_the_last_snapshot_at_or_before_its_date(run_dir):
    path = run_dir / "risk_2013-01-01.tif"
    with rasterio.open(path) as src:
        band = src.read(1)
        tags = src.tags()
        assert "Albers" in src.crs.to_wkt()
    with xr.open_dataset(run_dir / RISK_FILE) as ds:
        times = pd.DatetimeIndex(ds.time.values)
        at_or_before = times[times <= pd.Timestamp("2013-01-01")].max()
        expected = ds["risk"].sel(time=at_or_before).values
    assert pd.Timestamp(tags["date"]) == at_or_before < pd.Timestamp("2013-01-01")  # 90-day snapshots: 2012-12-26
    assert tags["requested_date"] == "2013-01-01"
    np.testing.assert_allclose(band, expected, equal_nan=True)
    assert tags["scenario_name"] == "unnamed" and tags["seed"] == "0"


def test_every_output_records_its_provenance(run_dir):
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["scenario"]["grid"]["cell_km"] == 50.0
    assert manifest["seed"] == 0
    assert manifest["sahel_spillover_version"]
    assert "5.1.1" in manifest["data"]["natural_earth"] and len(manifest["data"]["shapes_sha256"]) == 64
    assert manifest["packages"]["numba"]
    assert Scenario.load(run_dir / "scenario.toml").to_dict() == small().to_dict()
    with xr.open_dataset(run_dir / RISK_FILE) as ds:
        assert ds.attrs["seed"] == 0 and ds.attrs["sahel_spillover_version"]
        in_netcdf = json.loads(ds.attrs["provenance"])
    with rasterio.open(run_dir / "risk_2013-01-01.tif") as src:
        in_geotiff = json.loads(src.tags()["provenance"])
    for key in ("scenario", "seed", "packages", "data", "stepping", "contingents", "created"):
        assert in_netcdf[key] == in_geotiff[key] == manifest[key], key
    assert manifest["stepping"]["substeps_per_day"] == 1


def test_identical_inputs_give_identical_outputs(run_dir, tmp_path):
    run(small(), tmp_path, force=True)
    with xr.open_dataset(run_dir / RISK_FILE) as a, xr.open_dataset(tmp_path / RISK_FILE) as b:
        np.testing.assert_array_equal(a["risk"].values, b["risk"].values)
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "countries.csv"), pd.read_csv(tmp_path / "countries.csv"))


def test_float64_on_request(tmp_path):
    run(small(**{"output.dtype": "float64", "output.geotiff_days": []}), tmp_path)
    with xr.open_dataset(tmp_path / RISK_FILE) as ds:
        assert ds["risk"].dtype == np.float64


def test_an_interrupted_run_leaves_no_complete_looking_file(tmp_path, monkeypatch):
    import sim.runner

    calls = {"n": 0}
    real = sim.runner.integrate

    def interrupted(*args, **kwargs):
        on_snapshot = args[5]

        def boom(*a):
            calls["n"] += 1
            on_snapshot(*a)
            if calls["n"] == 3:
                raise KeyboardInterrupt

        return real(*args[:5], boom, *args[6:], **kwargs)

    monkeypatch.setattr(sim.runner, "integrate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(small(**{"output.geotiff_days": []}), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    with pytest.raises(SpilloverError, match="not a complete run"):
        tmp_path.joinpath("countries.csv").write_text("x")
        check_run_dir(tmp_path)


def test_a_closed_border_stops_the_spread(tmp_path):
    closed = small(**{"grid.countries": ["MLI", "BFA"], "diffusion.permeability": {"MLI-BFA": 0.0},
                      "output.geotiff_days": []})
    result = run(closed)
    bfa = result.series[result.series.country == "BFA"]
    assert (bfa.mean_risk == 0).all()
    opened = run(closed.replace(**{"diffusion.permeability": {}}))
    assert opened.series[opened.series.country == "BFA"].mean_risk.iloc[-1] > 0


def test_cli_run_and_its_errors(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(small(**{"output.geotiff_days": []}).to_toml())
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert (tmp_path / "out" / "run.json").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("[growth]\nbase_rate_per_year = -3\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "growth.base_rate_per_year" in err and "Traceback" not in err


def test_an_unstable_step_is_refused_and_a_stable_one_is_used(tmp_path):
    # 50 km cells, κ = 2,500 km²/year: the limit is about 0.9·50²/(4·6.84) ≈ 80 days, so any dt ≤ 1 day is
    # stable; at 2 km cells it is ≈ 0.13 day and 1 day must be refused.
    with pytest.raises(SpilloverError, match=r"numerics.dt_days = 1 day exceeds the explicit scheme's stability"):
        run(small(**{"grid.cell_km": 2.0, "grid.countries": ["BFA"], "initial.places": ["Ouagadougou"],
                     "scenario.end": "2012-02-01", "numerics.dt_days": 1.0, "output.geotiff_days": []}), tmp_path)
    result = run(small(**{"numerics.dt_days": 0.25, "output.geotiff_days": []}))
    assert result.stepping.substeps == 4 and result.stepping.dt == 0.25
    auto = run(small(**{"output.geotiff_days": []}))
    assert auto.stepping.substeps == 1


SCENARIO_FILES = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.toml"))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_scenario_runs_as_written(path, tmp_path):
    """Each scenario in scenarios/, unchanged (documents, contingents, 10 km grid, 2012-2027), runs end to end."""
    scenario = Scenario.load(path)
    result = run(scenario, tmp_path)
    assert check_run_dir(tmp_path) == tmp_path
    mali = result.series[result.series.country == "MLI"]
    assert mali.mean_risk.iloc[-1] > 0  # the documented onsets leave risk in Mali to the end
    if scenario.suppression.forces_stay:
        # the seeds state the contingents' sizes (MINUSMA 11,000-13,000, Barkhane 3,000-5,100, Serval 4,000):
        # if they never leave, Mali ends with less risk than if they leave on the documented dates
        left = run(scenario.replace(**{"suppression.forces_stay": False}))
        assert mali.mean_risk.iloc[-1] < left.series[left.series.country == "MLI"].mean_risk.iloc[-1]
    manifest = json.loads((tmp_path / "run.json").read_text())
    assert {c["actor"] for c in manifest["contingents"]} >= {"France", "United Kingdom"}


def test_a_run_can_start_from_a_previous_runs_last_state(run_dir, tmp_path):
    follow = small(**{"initial.state": str(run_dir / RISK_FILE), "initial.places": [], "scenario.start": "2015-01-01",
                      "scenario.end": "2016-01-01", "output.geotiff_days": []})
    run(follow, tmp_path)
    with xr.open_dataset(run_dir / RISK_FILE) as before, xr.open_dataset(tmp_path / RISK_FILE) as after:
        np.testing.assert_array_equal(after["risk"].isel(time=0).values, before["risk"].isel(time=-1).values)
    with pytest.raises(SpilloverError, match="initial.state: .*nope.nc does not exist"):
        run(follow.replace(**{"initial.state": str(tmp_path / "nope.nc")}))


# ------------------------------------------------------------------------------------- the API returns data
def test_without_out_nothing_is_written_and_the_data_match_the_files(run_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(small())
    assert result.out is None and list(tmp_path.iterdir()) == []
    with xr.open_dataset(run_dir / RISK_FILE) as ds:
        xr.testing.assert_equal(result.dataset["risk"], ds["risk"])
        xr.testing.assert_equal(result.dataset["country_id"], ds["country_id"])
        assert result.dataset["risk"].attrs == ds["risk"].attrs
        assert set(result.dataset.coords) == set(ds.coords) >= {"lat", "lon", "spatial_ref"}
    files = pd.read_csv(run_dir / "countries.csv", parse_dates=["time"])
    pd.testing.assert_frame_equal(result.series, files, check_dtype=False, atol=1e-6)


def test_dates_come_back_as_dates():
    result = run(small())
    assert result.series["time"].dtype.kind == "M" and result.crossings["first_crossing"].dtype.kind == "M"
    assert result.first_crossing("MLI") == dt.date(2012, 1, 1)
    assert result.first_crossing("DZA") is None  # never: None, not ""
    assert pd.isna(result.crossings.set_index("country").loc["DZA", "first_crossing"])
    with pytest.raises(SpilloverError, match="'XXX' is not in this run"):
        result.first_crossing("XXX")


def test_an_ensemble_is_one_kernel_pass_and_matches_single_runs(monkeypatch):
    import sim.runner

    a, b = small(), small(**{"growth.base_rate_per_year": 2.0, "scenario.name": "fast"})
    calls = []
    real = sim.runner.integrate
    monkeypatch.setattr(sim.runner, "integrate", lambda forcings, *args, **kw: calls.append(len(forcings)) or
                        real(forcings, *args, **kw))
    both = sim.runner.run_ensemble([a, b])
    assert calls == [2]
    for member, single in zip(both, (run(a), run(b))):
        np.testing.assert_array_equal(member.dataset["risk"].values, single.dataset["risk"].values)
        pd.testing.assert_frame_equal(member.crossings, single.crossings)
    with pytest.raises(SpilloverError, match="members differ in grid.cell_km"):
        sim.runner.run_ensemble([a, small(**{"grid.cell_km": 100.0})])


def test_the_end_date_is_inclusive(tmp_path):
    result = run(small(**{"output.geotiff_days": ["2015-01-01"]}), tmp_path)
    assert result.series["time"].max() == pd.Timestamp("2015-01-01")
    with rasterio.open(tmp_path / "risk_2015-01-01.tif") as src:
        assert src.tags()["date"] == "2015-01-01"
    with pytest.raises(SpilloverError, match=r"outside the run \[2012-01-01, 2015-01-01\]"):
        small(**{"output.geotiff_days": ["2015-01-02"]})


def test_the_saved_scenario_reruns_as_is_from_anywhere(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    base = tmp_path / "base"
    base.mkdir()
    (base / "base.toml").write_text('[documents]\nseeds = "../docs"\n')
    (tmp_path / "mine").mkdir()
    child = tmp_path / "mine" / "child.toml"
    child.write_text('extends = "../base/base.toml"\n')
    loaded = Scenario.load(child)
    assert loaded.resolve_path(loaded.documents.seeds).resolve() == (tmp_path / "docs").resolve()  # the base's
    scenario = small(**{"initial.state": ""})
    run(scenario, tmp_path / "first")
    follow = small(**{"initial.state": str(tmp_path / "first" / RISK_FILE), "initial.places": []})
    run(follow, tmp_path / "runs" / "second")
    monkeypatch.chdir(tmp_path / "mine")
    again = Scenario.load(tmp_path / "runs" / "second" / "scenario.toml")
    assert again.resolve_path(again.initial.state).resolve() == (tmp_path / "first" / RISK_FILE).resolve()
    assert 'state = "../../first/risk.nc"' in (tmp_path / "runs" / "second" / "scenario.toml").read_text()
    assert main(["run", str(tmp_path / "runs" / "second" / "scenario.toml"), "--out", "third", "-q"]) == 0


def test_long_work_is_announced_with_an_estimate(monkeypatch):
    import sim.budget

    monkeypatch.setattr(sim.budget, "ANNOUNCE_SECONDS", 0.0)
    lines = []
    result = run(small(**{"output.geotiff_days": []}), log=lines.append)
    estimate = [line for line in lines if line.startswith("estimate: ")]
    assert len(estimate) == 1 and "1 member(s), 1 sub-step(s)/day × 1,096 days" in estimate[0]
    assert result.estimate.shape[0] >= result.dataset.sizes["y"] and result.estimate.shape[1] >= result.dataset.sizes["x"]
    assert result.estimate.cells <= 1.3 * result.dataset.sizes["y"] * result.dataset.sizes["x"]  # close, from bounds


def test_import_sim_loads_no_heavy_library():
    import subprocess
    import sys

    code = ("import sys, sim; heavy = {'numpy', 'pandas', 'numba', 'geopandas', 'xarray', 'spacy', 'netCDF4', "
            "'rasterio', 'matplotlib'}; print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
