"""``spillover observed`` on synthetic GED files: tables on stdout, the output folder, bad input exits 2."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from ged_synthetic import basic_rows, write_ged
from sim.cli import main


@pytest.fixture
def ged(tmp_path):
    return write_ged(tmp_path / "ged.csv", basic_rows())


def test_country_table_as_json(ged, capsys):
    assert main(["observed", str(ged), "--by", "country", "--years", "2018:2019", "--violence", "1,2",
                 "--format", "json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    deaths = {(r["unit"], r["period"]): r["deaths_best"] for r in rows}
    assert deaths[("MLI", 2018)] == 7 + 2  # the one-sided event of 2018 is filtered out
    assert deaths[("NER", 2019)] == 20 + 4 and deaths[("BFA", 2019)] == 30
    assert "read 9 events" in captured.err


def test_output_folder(ged, tmp_path, capsys):
    out = tmp_path / "obs"
    assert main(["observed", str(ged), "--by", "cell", "--period", "month", "--max-precision", "4",
                 "--cell-km", "50", "--out", str(out), "--csv"]) == 0
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == ["observed.json", "observed.png", "observed_cell_month.csv", "observed_country_year.csv"]
    cells = pd.read_csv(out / "observed_cell_month.csv")
    assert cells["deaths_best"].sum() == sum(r["best"] for r in basic_rows() if r["where_prec"] <= 4)
    manifest = json.loads((out / "observed.json").read_text())
    assert manifest["kind"] == "observed" and manifest["aggregate"]["where_prec_max"] == 4
    assert len(manifest["ged"]["sha256"]) == 64 and manifest["grid"]["cell_km"] == 50
    assert "observed_cell_month.csv" in manifest["outputs"]
    capsys.readouterr()
    # a second write into the same folder needs --force; a folder holding other files is refused
    assert main(["observed", str(ged), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["observed", str(ged), "--out", str(out), "--force"]) == 0
    assert (out / "observed_admin1_year.csv").exists() and not (out / "observed_cell_month.csv").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main(["observed", str(ged), "--out", str(mine), "--force"]) == 2
    assert (mine / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("argv, expected", [
    (["--years", "2019:2012"], "run backwards"),
    (["--violence", "4"], "violence type(s) [4]"),
    (["--by", "province"], "unknown level 'province'"),
    (["--period", "week"], "unknown period 'week'"),
    (["--max-precision", "9"], "where_prec code 1..7"),
])
def test_bad_options_exit_2(ged, capsys, argv, expected):
    assert main(["observed", str(ged), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and "Traceback" not in err


def test_a_malformed_file_exits_2_naming_row_and_column(tmp_path, capsys):
    rows = basic_rows()
    rows[4]["latitude"] = "north"
    path = write_ged(tmp_path / "bad.csv", rows)
    assert main(["observed", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.csv: row 6, column 'latitude': not a number" in err
