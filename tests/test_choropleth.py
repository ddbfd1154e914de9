"""The admin-1 choropleth: each unit painted with its admin1.csv mean risk, at the dates asked for."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim import Scenario, run
from sim.plotting.choropleth import admin1_values, plot_admin1_choropleth
from sim.plotting.maps import RunData

SMALL = {
    "grid.cell_km": 50.0, "grid.countries": ["MLI", "BFA", "NER"], "scenario.start": "2012-01-01",
    "scenario.end": "2013-01-01", "scenario.output_every_days": 60, "documents.seeds": "",
    "initial.places": ["Mopti"], "initial.from_documents": False,
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return run(Scenario().replace(**SMALL), tmp_path_factory.mktemp("run")).out


def test_values_are_the_units_mean_risk(run_dir):
    with RunData(run_dir) as data:
        index = len(data.dates) - 1
        values = admin1_values(data, index)
        risk = data.snapshot(index)
        grid = data.grid
        for code in ("MLI-2809", "BFA-2806", "NER-800"):
            cells = grid.admin1_id == grid.admin1_id_of(code)
            assert np.allclose(values[cells], np.nanmean(risk[cells]), rtol=1e-5)
        assert np.isnan(values[~grid.mask]).all()
        table = data.admin1
        last = table[table["time"] == table["time"].max()].set_index("adm1_code")["mean_risk"]
        assert values[grid.admin1_id == grid.admin1_id_of("MLI-2809")][0] == pytest.approx(last["MLI-2809"])


@pytest.mark.parametrize("dates, panels", [(None, 4), (["2012-07-01"], 1)])
def test_figure_is_written_and_not_blank(run_dir, tmp_path, dates, panels):
    written = plot_admin1_choropleth(run_dir, tmp_path / "admin1_risk.png", dates=dates)
    assert written == [tmp_path / "admin1_risk.png"]
    with Image.open(written[0]) as im:
        pixels = np.asarray(im.convert("RGB"))
        assert "Description" in im.info
    assert pixels.std() > 20 and pixels.shape[1] > 600


def test_runs_without_admin1_csv_are_skipped(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(run_dir, copy)
    (copy / "admin1.csv").unlink()  # a run from before admin-1 series: its manifest does not list the file
    manifest = json.loads((copy / "run.json").read_text())
    manifest["outputs"] = [name for name in manifest["outputs"] if name != "admin1.csv"]
    (copy / "run.json").write_text(json.dumps(manifest))
    assert plot_admin1_choropleth(copy, tmp_path / "x.png") == []


def test_maps_draw_admin1_borders_thinly_under_the_country_borders(countries):
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    from geo import build_grid
    from sim.plotting.basemap import draw_basemap
    from sim.plotting.style import ADMIN1_COLOUR, BORDER_COLOUR

    codes = ["MLI", "BFA", "NER"]
    grid = build_grid(countries, cell_km=100.0, codes=codes)
    fig, (with_units, without) = plt.subplots(1, 2)
    try:
        draw_basemap(with_units, grid, countries.loc[codes], names=False, capitals=False, graticule=False)
        draw_basemap(without, grid, countries.loc[codes], names=False, capitals=False, graticule=False, admin1=False)
        lines = {}
        for ax in (with_units, without):
            lines[ax] = [c for c in ax.collections if isinstance(c, LineCollection)]
        units, borders = lines[with_units]
        assert np.allclose(units.get_colors()[0], plt.matplotlib.colors.to_rgba(ADMIN1_COLOUR))
        assert np.allclose(borders.get_colors()[0], plt.matplotlib.colors.to_rgba(BORDER_COLOUR))
        assert units.get_linewidths()[0] < borders.get_linewidths()[0] and units.zorder < borders.zorder
        assert len(units.get_segments()) > len(borders.get_segments())  # 62 units: more lines than 3 outlines
        assert len(lines[without]) == 1  # admin1=False: the country borders only
    finally:
        plt.close(fig)
