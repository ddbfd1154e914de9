"""A run with warm caches imports no pandas (issue 12's fast single run), and its deferred tables still work."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.lazyframe import Deferred, FrameField
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
#: ``spillover run`` in a fresh interpreter, then which heavy libraries it loaded (a JSON line on stderr).
PROBE = """
import json, sys
from sim.cli import main
code = main(sys.argv[1:])
heavy = ("pandas", "pyarrow", "xarray", "geopandas", "rich")
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}), file=sys.stderr)
"""


def _coarse(tmp_path) -> Path:
    path = tmp_path / "coarse.toml"
    scenario = Scenario.load(ROOT / "scenarios" / "withdrawal.toml").replace(**{"grid.cell_km": 50})
    path.write_text(scenario.to_toml(relative_to=tmp_path))
    return path


def test_a_warm_run_imports_neither_pandas_nor_xarray(tmp_path):
    argv = [sys.executable, "-c", PROBE, "run", str(_coarse(tmp_path)), "--out", str(tmp_path / "run"), "-q",
            "--force"]
    for _ in range(2):  # the first run fills the caches (documents, grid, forcing), the second hits them all
        done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == {"code": 0, "loaded": []}
    assert "MLI" in done.stdout  # the crossings table was printed
    written = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"risk.nc", "countries.csv", "admin1.csv", "crossings.csv", "run.json", "risk_2022-11-14.tif"} <= written


def test_a_runs_tables_are_dataframes_when_read(tmp_path):
    from sim.runner import run

    result = run(_coarse(tmp_path), tmp_path / "run")
    assert isinstance(result.series, pd.DataFrame) and isinstance(result.crossings, pd.DataFrame)
    assert list(result.crossings["level"].unique()) == ["country"]
    assert list(result.admin1_crossings["level"].unique()) == ["admin1"]
    read = pd.read_csv(tmp_path / "run" / "countries.csv")
    assert len(read) == len(result.series) and list(read.columns) == list(result.series.columns)
    mli = result.crossings.set_index("country").loc["MLI", "first_crossing"]
    assert result.first_crossing("MLI") == (None if pd.isna(mli) else mli.date())


def _table(n):
    return pd.DataFrame({"n": range(n)})


@dataclass
class Holder:
    rows: pd.DataFrame = FrameField()
    extra: pd.DataFrame | None = FrameField(default=None)


def test_a_deferred_table_is_built_once_and_pickles():
    holder = Holder(rows=Deferred(_table, 3))
    assert isinstance(vars(holder)["_rows_frame"], Deferred)  # not built before it is read
    assert holder.rows is holder.rows and holder.rows.shape == (3, 1) and holder.extra is None
    again = pickle.loads(pickle.dumps(Holder(rows=Deferred(_table, 2))))
    assert again.rows.equals(_table(2))


def test_a_cached_forcing_pickles_with_its_tables(tmp_path, monkeypatch):
    from geo.grid import SAHEL_ALBERS
    from sim import geocache
    from sim.forcing import document_inputs

    monkeypatch.setenv("SPILLOVER_CACHE", str(tmp_path / "cache"))
    scenario = Scenario.load(ROOT / "scenarios" / "withdrawal.toml").replace(**{"grid.cell_km": 50})
    g = geocache.grid(50.0, tuple(scenario.grid.countries), scenario.grid.crs or SAHEL_ALBERS)
    built = geocache.forcing(scenario, g, document_inputs(scenario))
    hit = geocache.forcing(scenario, g, document_inputs(scenario))
    copy = pickle.loads(pickle.dumps(hit))  # sweeps send forcings to worker processes
    assert geocache.same_forcing(copy, built) and copy.contingent_records() == hit.contingent_records()
