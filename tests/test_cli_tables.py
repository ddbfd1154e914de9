"""Every table command prints data on stdout in three formats (table, strict JSON, CSV), messages on stderr."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.scenario import Scenario
from sim.strict_json import loads_strict

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SMALL = {"grid.cell_km": 100.0, "grid.countries": ["MLI", "BFA", "NER"], "scenario.start": "2012-01-01",
         "scenario.end": "2013-01-01", "documents.seeds": "", "initial.places": ["northern Mali"],
         "initial.from_documents": False, "initial.risk": 1.0, "growth.population_half_per_km2": 1e-3}


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(Scenario().replace(**SMALL).to_toml())
    return path


def test_run_prints_crossings_as_json_csv_or_a_table(scenario_file, tmp_path, capsys):
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "a"), "--json"]) == 0
    captured = capsys.readouterr()
    rows = loads_strict(captured.out)
    assert [r["country"] for r in rows] == ["MLI", "BFA", "NER"]
    assert rows[0]["first_crossing"] == "2012-01-01" and rows[0]["at_start"] is True
    assert rows[1]["first_crossing"] is None  # never: null
    assert "wrote" in captured.err and "wrote" not in captured.out
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "b"), "--format", "csv", "-q"]) == 0
    captured = capsys.readouterr()
    frame = pd.read_csv(io.StringIO(captured.out), keep_default_na=False)
    assert list(frame.columns) == ["level", "unit", "name", "country", "first_crossing", "at_start", "threshold",
                                   "crossing_area_fraction"]
    assert set(frame["level"]) == {"country"}  # the admin-1 rows are in crossings.csv
    assert frame["first_crossing"].tolist()[1] == "" and captured.err == ""
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "c"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "MLI      2012-01-01 (at the start)" in out and "BFA      never" in out and "…" not in out


def test_grid_as_json(capsys):
    assert main(["grid", "--cell-km", "100", "--countries", "MLI,NER", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["country"] for r in rows] == ["MLI", "NER"] and rows[0]["area_km2"] == rows[0]["cells"] * 10_000


def test_extract_formats_and_outputs_never_overwritten(tmp_path, capsys):
    assert main(["extract", str(SEEDS), "--format", "csv", "-q"]) == 0
    facts = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(facts) > 10 and {"kind", "country", "date"} <= set(facts.columns)
    assert main(["extract", str(SEEDS)]) == 0
    table = capsys.readouterr().out
    tables = table[table.index("foreign forces per host"):]  # the timeline and attribute tables, never cut
    assert "per-country attributes" in tables and "killed 10^" in tables and "…" not in tables
    mine = tmp_path / "facts.csv"
    mine.write_text("my table")
    assert main(["extract", str(SEEDS), "--table", str(mine), "--json"]) == 2
    assert "facts.csv exists; pass --force" in capsys.readouterr().err and mine.read_text() == "my table"
    assert main(["extract", str(SEEDS), "--table", str(mine), "--json", "--force"]) == 0
    assert mine.read_text() != "my table"


def test_messages_keep_brackets(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("growth = 5\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "[growth] must be a table, got 5" in capsys.readouterr().err
