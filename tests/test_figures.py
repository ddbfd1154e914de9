"""Figures from a small run: risk maps, country series, comparison, animation, the default set and the CLI.

One pair of small runs (50 km cells, 2012–2016, a snapshot every 90 days) is made once per session: ``withdrawal``
with a documented-style deployment timeline whose contingents leave inside the run, and ``stay`` where they stay.
The timeline is injected in place of the document layer, so these tests do not depend on it.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from unittest import mock

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import sim.runner
from geo.errors import SpilloverError
from sim.cli import main
from sim.forcing import DocumentInputs
from sim.plotting import animate as animate_module
from sim.plotting.animate import animate_risk, frame_indices
from sim.plotting.compare import crossing_table, difference, plot_crossing_table
from sim.plotting.maps import (MAX_DISPLAY_COLUMNS, RunData, default_dates, display_field, plot_risk_map,
                               plot_risk_maps)
from sim.plotting.run_figures import compare_runs, run_figures
from sim.plotting.series import contingent_rows, plot_country_series
from sim.scenario import Scenario

SMALL = {
    "grid.cell_km": 50.0,
    "grid.countries": ["MLI", "BFA", "NER", "DZA", "MRT", "TCD"],
    "scenario.start": "2012-01-01",
    "scenario.end": "2016-01-01",
    "scenario.output_every_days": 90,
    "documents.seeds": "",
    "initial.places": ["northern Mali"],
    "initial.from_documents": False,
    # K = p ≈ 1 wherever anyone lives, so the onset place starts at risk 1 (above the threshold)
    "initial.risk": 1.0, "growth.population_half_per_km2": 1e-3, "output.threshold": 0.5,
    "output.geotiff_days": [],
}
LAST_DEPARTURE = dt.date(2014, 9, 1)


def _timeline() -> pd.DataFrame:
    rows = [
        ("France", "Serval", "MLI", "2013-01-11", "2014-08-01", 4000),
        ("France", "Barkhane", "MLI", "2014-08-01", "2014-09-01", None),
        ("France", "Barkhane", "NER", "2014-08-01", "2014-09-01", None),
        ("Sweden", "MINUSMA", "MLI", None, "2014-03-01", None),
    ]
    frame = pd.DataFrame(rows, columns=["actor", "mission", "host", "present_from", "present_until", "size"])
    for column in ("present_from", "present_until"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _run(out, **changes):
    scenario = Scenario().replace(**{**SMALL, **changes})
    inputs = DocumentInputs(pd.DataFrame(index=SMALL["grid.countries"]), _timeline(), (), ())
    with mock.patch.object(sim.runner, "document_inputs", lambda s: inputs):
        sim.runner.run(scenario, out)
    return out


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """{"withdrawal": run folder, "stay": run folder} of the small scenario."""
    root = tmp_path_factory.mktemp("figure_runs")
    return {
        "withdrawal": _run(root / "withdrawal", **{"scenario.name": "withdrawal",
                                                   "suppression.troops_effect_per_year": 1.0}),
        "stay": _run(root / "stay", **{"scenario.name": "stay", "suppression.forces_stay": True,
                                       "suppression.troops_effect_per_year": 1.0}),
    }


@pytest.fixture(scope="session")
def default_set(runs, tmp_path_factory):
    """The default figure set of the withdrawal run and the comparison stay → withdrawal (made once)."""
    out = tmp_path_factory.mktemp("figures")
    lines: list[str] = []
    written = run_figures(runs["withdrawal"], out, formats=("png",), log=lines.append)
    written += compare_runs(runs["stay"], runs["withdrawal"], out, formats=("png",), log=lines.append)
    return out, written, lines


def _png(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _not_blank(path) -> None:
    pixels = _png(path)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 500
    assert pixels.std() > 20, f"{path} looks blank"


# ------------------------------------------------------------------------------------------ the default set
def test_default_set_writes_every_figure(default_set):
    out, written, lines = default_set
    names = {p.name for p in written}
    assert {"risk_maps.png", "country_series.png", "admin1_risk.png", "risk_animation.gif",
            "compare_stay_withdrawal.png", "crossings_stay_withdrawal.png", "crossings_compare.csv"} <= names
    for path in written:
        assert path.exists() and path.stat().st_size > 0
    for name in ("risk_maps.png", "country_series.png", "admin1_risk.png", "compare_stay_withdrawal.png",
                 "crossings_stay_withdrawal.png"):
        _not_blank(out / name)
        assert (out / name).stat().st_size < 500_000
    assert any(line.startswith("risk maps:") for line in lines)
    assert not list(out.glob(".*")), "temporary files left behind"


def test_figures_record_provenance(default_set, runs):
    out, _, _ = default_set
    manifest = json.loads((runs["withdrawal"] / "run.json").read_text())
    with Image.open(out / "risk_maps.png") as im:
        description = im.info["Description"]
        assert im.info["Software"].startswith("sahel-spillover")
    assert "scenario withdrawal" in description
    assert f"sahel-spillover {manifest['sahel_spillover_version']}" in description
    assert f"run {manifest['created'][:10]}" in description


# ------------------------------------------------------------------------------------------------- maps
def test_small_multiples_read_only_the_snapshots_they_show(runs, tmp_path):
    with RunData(runs["withdrawal"]) as data:
        dates = ["2012-01-01", "2014-09-01", "2015-12-31"]
        plot_risk_maps(data, tmp_path / "maps.png", dates=dates)
        assert data.reads == len(dates) < len(data.dates)
        assert not data.ds["risk"].variable._in_memory
    _not_blank(tmp_path / "maps.png")


def test_default_dates_span_the_run_and_include_the_withdrawal(runs):
    with RunData(runs["withdrawal"]) as data:
        dates = default_dates(data)
        assert 4 <= len(dates) <= 6
        assert dates[0] == data.dates[0] and dates[-1] == data.dates[-1]
        assert data.withdrawal_date() == LAST_DEPARTURE
        assert LAST_DEPARTURE in dates
        assert dates == sorted(dates)


def test_single_map(runs, tmp_path):
    written = plot_risk_map(runs["withdrawal"], "2014-05-05", tmp_path / "one.png", formats=("png", "pdf"))
    assert [p.suffix for p in written] == [".png", ".pdf"]
    _not_blank(written[0])


@pytest.mark.parametrize("date", ["2011-12-31", "2016-02-01"])
def test_a_date_outside_the_run_is_a_clear_error(runs, tmp_path, date):
    with pytest.raises(SpilloverError, match=rf"{date} is outside run .* from 2012-01-01 to 2016-01-01"):
        plot_risk_maps(runs["withdrawal"], tmp_path / "x.png", dates=["2013-01-01", date])
    assert not (tmp_path / "x.png").exists()


def test_a_date_that_is_not_iso_is_a_clear_error(runs, tmp_path):
    with pytest.raises(SpilloverError, match="'14/11/2022' is not an ISO date"):
        plot_risk_map(runs["withdrawal"], "14/11/2022", tmp_path / "x.png")


def test_a_folder_without_results_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SpilloverError, match="not a complete run"):
        run_figures(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(SpilloverError, match="does not exist"):
        plot_risk_maps(tmp_path / "missing", tmp_path / "x.png")
    assert not (tmp_path / "out").exists()


def test_a_snapshot_is_picked_at_or_before_the_date(runs):
    with RunData(runs["withdrawal"]) as data:
        assert data.index_of(data.dates[3]) == 3
        assert data.index_of(data.dates[3] + dt.timedelta(days=1)) == 3
        assert data.index_of(data.dates[4] - dt.timedelta(days=1)) == 3


def test_grid_is_rebuilt_from_the_run_folder(runs):
    from sim.forcing import scenario_grid

    with RunData(runs["withdrawal"]) as data:
        expected = scenario_grid(Scenario().replace(**SMALL))
        assert data.grid.shape == expected.shape and data.grid.codes == expected.codes
        assert np.array_equal(data.grid.country_id, expected.country_id)
        assert np.allclose(data.grid.transform, expected.transform)


def test_large_grids_are_averaged_for_display_only():
    from geo.grid import Grid
    from affine import Affine
    from pyproj import CRS

    ny, nx = 900, 3 * MAX_DISPLAY_COLUMNS - 7  # averaged over 3 × 3 blocks
    grid = Grid(CRS.from_epsg(6933), Affine(1000.0, 0, 0, 0, -1000.0, 0), (ny, nx), 1.0, ("MLI",),
                np.ones((ny, nx), dtype="u1"))
    values = np.random.default_rng(0).random((ny, nx)).astype("float32")
    values[:, :100] = np.nan
    field, ext = display_field(values, grid)
    assert field.shape == (ny // 3, nx // 3) and field.shape[1] <= MAX_DISPLAY_COLUMNS
    assert ext == (0.0, 3000.0 * (nx // 3), -3000.0 * (ny // 3), 0.0)
    assert np.isnan(field[:, 0]).all() and np.isfinite(field[:, -1]).all()


# ----------------------------------------------------------------------------------------------- series
def test_country_series_marks_the_contingents(runs, tmp_path):
    with RunData(runs["withdrawal"]) as data:
        rows = contingent_rows(data.contingents)
    assert len(rows) == 3  # Barkhane's two hosts are one row
    barkhane = rows[rows["label"].str.contains("Barkhane")].iloc[0]
    assert "(MLI, NER)" in barkhane["label"]
    assert barkhane["effective_until"] == pd.Timestamp(LAST_DEPARTURE)
    written = plot_country_series(runs["stay"], tmp_path / "series.png")
    _not_blank(written[0])


# ------------------------------------------------------------------------------------------------ compare
def test_difference_is_zero_for_identical_runs(runs, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(runs["withdrawal"], copy)
    diff = difference(runs["withdrawal"], copy)
    mask = RunData(copy).grid.mask
    assert np.all(diff[mask] == 0.0) and np.isnan(diff[~mask]).all()
    assert np.all(difference(runs["stay"], runs["stay"], "2013-01-01")[mask] == 0.0)


def test_difference_is_not_zero_for_different_runs(runs):
    diff = difference(runs["stay"], runs["withdrawal"])
    assert np.nanmax(np.abs(diff)) > 1e-3
    assert np.nanmax(diff) > 0  # without the troops, risk is higher
    before = difference(runs["stay"], runs["withdrawal"], "2014-03-01")  # nobody has left yet
    assert np.nanmax(np.abs(before)) == 0.0


def test_difference_rejects_dates_outside_and_other_grids(runs, tmp_path):
    with pytest.raises(SpilloverError, match="2020-01-01 is outside run"):
        difference(runs["stay"], runs["withdrawal"], "2020-01-01")
    other = _run(tmp_path / "coarse", **{"grid.cell_km": 150.0, "scenario.end": "2012-07-01"})
    with pytest.raises(SpilloverError, match="different grids"):
        difference(runs["stay"], other, "2012-03-01")


def test_crossing_table(runs, default_set):
    table = crossing_table(runs["stay"], runs["withdrawal"])
    assert list(table.columns) == ["country", "name", "scenario_a", "first_crossing_a", "scenario_b",
                                   "first_crossing_b", "difference_days"]
    assert list(table["country"][:3]) == ["MLI", "BFA", "NER"]
    mali = table.set_index("country").loc["MLI"]
    assert mali["first_crossing_a"] == mali["first_crossing_b"] == "2012-01-01" and mali["difference_days"] == 0
    both = table[(table["first_crossing_a"] != "") & (table["first_crossing_b"] != "")]
    expected = [(dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days
                for a, b in zip(both["first_crossing_a"], both["first_crossing_b"])]
    assert list(both["difference_days"]) == expected
    out, _, _ = default_set
    csv = pd.read_csv(out / "crossings_compare.csv", keep_default_na=False, dtype=str)
    assert list(csv["country"]) == list(table["country"])


def test_crossing_table_figure_of_identical_runs(runs, tmp_path):
    written = plot_crossing_table(runs["stay"], runs["stay"], tmp_path / "same_table.png", formats=("png", "svg"))
    assert [p.suffix for p in written] == [".png", ".svg"]
    _not_blank(written[0])
    svg = written[1].read_text()
    assert "scenario stay" in svg and "sahel-spillover" in svg  # the footer line and the metadata


# ---------------------------------------------------------------------------------------------- animation
def test_animation_frames_match_the_time_axis(runs, default_set):
    out, _, _ = default_set
    with RunData(runs["withdrawal"]) as data:
        frames = iio.imread(out / "risk_animation.gif", index=None)
        assert frames.shape[0] == len(data.dates)  # small run: every snapshot
    path, dates = animate_risk(runs["withdrawal"], out / "every3.gif", every=3)
    with RunData(runs["withdrawal"]) as data:
        expected = data.dates[::3] + ([data.dates[-1]] if (len(data.dates) - 1) % 3 else [])
        assert dates == expected == [data.dates[i] for i in frame_indices(data, 3)]
    frames = iio.imread(path, index=None)
    assert frames.shape[0] == len(dates)
    with Image.open(path) as gif:
        assert b"scenario withdrawal" in gif.info["comment"]  # provenance
    assert frames.shape[1] > 400 and frames.shape[2] > 600
    assert not np.array_equal(frames[0], frames[-1])


def test_mp4_falls_back_to_gif_without_ffmpeg(runs, tmp_path, monkeypatch):
    monkeypatch.setattr(animate_module, "ffmpeg_executable", lambda: None)
    messages: list[str] = []
    path, dates = animate_risk(runs["stay"], tmp_path / "anim.mp4", every=6, fmt="mp4", log=messages.append)
    assert path.suffix == ".gif" and path.exists()
    assert "no ffmpeg" in messages[0]
    with pytest.raises(SpilloverError, match="every = 0"):
        animate_risk(runs["stay"], tmp_path / "anim", every=0)
    with pytest.raises(SpilloverError, match="animation format 'avi'"):
        animate_risk(runs["stay"], tmp_path / "anim", fmt="avi")


@pytest.mark.skipif(animate_module.ffmpeg_executable() is None, reason="no ffmpeg (pip install imageio-ffmpeg)")
def test_mp4_when_ffmpeg_is_present(runs, tmp_path):
    path, dates = animate_risk(runs["stay"], tmp_path / "anim", every=4, fmt="mp4")
    assert path.suffix == ".mp4" and path.stat().st_size > 1000
    with RunData(runs["stay"]) as data:
        assert dates == [data.dates[i] for i in frame_indices(data, 4)]


# ---------------------------------------------------------------------------------------------------- CLI
def test_cli_figures_and_compare(runs, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["figures", str(runs["stay"]), "--out", str(out), "--date", "2013-01-01",
                 "--animation", "none"]) == 0
    assert (out / "risk_maps.png").exists() and (out / "country_series.png").exists()
    assert not (out / "risk_animation.gif").exists()
    assert main(["compare", str(runs["stay"]), str(runs["withdrawal"]), "--out", str(out), "--date",
                 "2015-01-01", "--name", "test"]) == 0
    assert (out / "compare_test.png").exists() and (out / "crossings_test.png").exists()


def test_cli_bad_input_is_one_line_error(runs, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["figures", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "not a complete run" in capsys.readouterr().err
    assert main(["figures", str(runs["stay"]), "--out", str(tmp_path / "o"), "--date", "2030-01-01"]) == 2
    err = capsys.readouterr().err
    assert "2030-01-01" in err and "2012-01-01" in err and "Traceback" not in err
    assert main(["figures", str(runs["stay"]), "--out", str(tmp_path / "o"), "--formats", "jpg"]) == 2
    assert "valid formats" in capsys.readouterr().err


def test_the_risk_colour_scale_ends_at_the_step_that_holds_the_runs_largest_risk(runs, tmp_path):
    import matplotlib.pyplot as plt

    from sim.plotting.maps import RunData, countries_for, draw_risk
    from sim.plotting.style import RISK_SCALE_STEPS, risk_vmax

    assert [risk_vmax(x) for x in (0.0, 0.01, 0.011, 0.13, 0.3, 0.31, 0.99)] == [0.01, 0.01, 0.02, 0.2, 0.3, 0.5,
                                                                                  1.0]
    with RunData(runs["withdrawal"]) as data:
        largest = float(np.nanmax(data.ds["risk"].values))
        vmax = data.risk_vmax
        assert vmax in RISK_SCALE_STEPS and largest <= vmax
        assert vmax == RISK_SCALE_STEPS[0] or largest > RISK_SCALE_STEPS[RISK_SCALE_STEPS.index(vmax) - 1]
        fig, ax = plt.subplots()
        image = draw_risk(ax, data, data.snapshot(0), countries_for(data))
        assert image.get_clim() == (0.0, vmax)
        plt.close(fig)
