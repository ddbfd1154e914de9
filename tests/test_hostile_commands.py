"""Hostile input and faults for the commands added after tests/test_hostile.py: ensemble, calibrate, forecast,
evaluate, observed, and the run-count limit of sweeps. Same assertions: one line, the right exit code, no traceback,
no user file changed, no partial output left.

Most cases are refused before any model run or GED read (cheap); the fault cases at the end need the shared UCDP
GED extract (skipped without it) and one small real calibration (100 km, 4 points).
"""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ged_synthetic import basic_rows, write_ged
from sim.cli import main
from sim.evidence.observed import default_ged_path
from test_hostile import _tree, check_one_line, toml

S = "{d}/s.toml"
GED = "{d}/ged.csv"
GOOD_GED = "synthetic"  # replaced by a small synthetic GED CSV in _make
FIT = {"tool": "sahel-spillover", "kind": "calibration", "outputs": [],
       "design": {"keys": ["growth.loss_per_year"], "points": [[0.2], [0.4]]},
       "box": {"growth.loss_per_year": [0.1, 0.5]}, "train": [2012, 2017], "cell_km": 100.0,
       "scenario": "{d}/s.toml"}


def fit(**changes) -> str:
    data = {**FIT, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not None})


MANIFEST = '{{"tool": "sahel-spillover", "kind": "{}", "outputs": []}}'
ENS = ["ensemble", S, "--out", "{d}/out", "-n", "2", "--workers", "0", "-q"]
CAL = ["calibrate", S, "--observed", GED, "--out", "{d}/out", "--points", "4", "--cell-km", "100", "-q"]
FC = ["forecast", S, "--observed", GED, "--fit", "{d}/fit.json", "--origin", "2018", "--until", "2019",
      "--out", "{d}/out", "--members", "50", "-q"]
OBS = ["observed", GED, "-q"]

CASES = [
    # ------------------------------------------------------------------------------------------------ ensemble
    ("ensemble-unrelated-out", {"s.toml": toml(), "out/notes.txt": "mine"}, ENS, 2, ["not an output", "notes.txt"]),
    ("ensemble-into-a-run", {"s.toml": toml(), "out/run.json": MANIFEST.format("run")}, ENS, 2,
     ["holds a run output"]),
    ("ensemble-previous", {"s.toml": toml(), "out/ensemble.json": MANIFEST.format("ensemble")}, ENS, 2,
     ["previous ensemble", "--force"]),
    ("ensemble-out-is-file", {"s.toml": toml(), "out": "a file"}, ENS, 2, ["is a file"]),
    ("ensemble-members-zero", {"s.toml": toml()}, ENS + ["-n", "0"], 2, ["--members 0"]),
    ("ensemble-members-huge", {"s.toml": toml()}, ENS + ["-n", "100000000"], 2, ["numerics.max_runs = 100,000"]),
    ("ensemble-members-over-limit", {"s.toml": toml(**{"numerics.max_runs": 5})}, ENS + ["-n", "6"], 2,
     ["--members 6", "numerics.max_runs = 5"]),
    ("ensemble-param-unknown", {"s.toml": toml()}, ENS + ["-p", "growth.speed=1:2"], 2, ["growth.speed"]),
    ("ensemble-param-backwards", {"s.toml": toml()}, ENS + ["-p", "growth.loss_per_year=0.5:0.1"], 2,
     ["LOW < HIGH"]),
    ("ensemble-param-out-of-range", {"s.toml": toml()}, ENS + ["-p", "growth.loss_per_year=-5:0.1"], 2,
     ["outside the valid range"]),
    ("ensemble-workers-negative", {"s.toml": toml()}, ENS + ["--workers", "-1"], 2, ["--workers -1"]),
    ("ensemble-noise-negative", {"s.toml": toml()}, ENS + ["--noise", "-1"], 2, ["growth.noise_sd"]),
    ("ensemble-bad-toml", {"s.toml": "[grid\n"}, ENS, 2, ["not valid TOML"]),
    ("ensemble-scheduler-bad", {"s.toml": toml()}, ENS + ["--scheduler", "a:b:c"], 2, ["not a scheduler address"]),
    # ----------------------------------------------------------------------------------------------- calibrate
    ("calibrate-unrelated-out", {"s.toml": toml(), "ged.csv": GOOD_GED, "out/notes.txt": "mine"}, CAL, 2,
     ["not an output", "notes.txt"]),
    ("calibrate-user-runs-folder", {"s.toml": toml(), "ged.csv": GOOD_GED, "out/runs/mine.txt": "mine"}, CAL, 2,
     ["not an output", "runs"]),
    ("calibrate-user-fit-json", {"s.toml": toml(), "ged.csv": GOOD_GED, "out/fit.json": '{"mine": 1}'}, CAL, 2,
     ["not an output", "fit.json"]),
    ("calibrate-previous", {"s.toml": toml(), "ged.csv": GOOD_GED, "out/fit.json": fit()}, CAL, 2,
     ["previous calibration", "--force"]),
    ("calibrate-into-an-ensemble", {"s.toml": toml(), "ged.csv": GOOD_GED,
                                    "out/ensemble.json": MANIFEST.format("ensemble")}, CAL, 2,
     ["holds a ensemble output"]),
    ("calibrate-ged-missing", {"s.toml": toml()}, CAL, 2, ["ged.csv does not exist"]),
    ("calibrate-ged-columns", {"s.toml": toml(), "ged.csv": "a,b\n1,2\n"}, CAL, 2, ["missing column(s)"]),
    ("calibrate-ged-empty", {"s.toml": toml(), "ged.csv": ""}, CAL, 2, ["is empty"]),
    ("calibrate-ged-binary", {"s.toml": toml(), "ged.csv": b"\x00\xff\xfe\x00PK\x03\x04"}, CAL, 2, ["ged.csv"]),
    ("calibrate-ged-folder", {"s.toml": toml(), "ged.csv/x": "x"}, CAL, 2, ["ged.csv"]),
    ("calibrate-points-one", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--points", "1"], 2,
     ["--points 1", "at least 2"]),
    ("calibrate-points-huge", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--points", "200000"], 2,
     ["--points 200,000", "numerics.max_runs"]),
    ("calibrate-ess-nan", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--ess", "nan"], 2, ["--ess nan"]),
    ("calibrate-ess-zero", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--ess", "0"], 2, ["--ess 0"]),
    ("calibrate-train-backwards", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--train", "2019:2012"], 2,
     ["2019:2012"]),
    ("calibrate-train-garbage", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--train", "20x2:2019"], 2,
     ["20x2"]),
    ("calibrate-param-unknown", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--param", "growth.x=1:2"], 2,
     ["growth.x"]),
    ("calibrate-param-syntax", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--param", "growth.loss_per_year"],
     2, ["growth.loss_per_year"]),
    ("calibrate-param-range", {"s.toml": toml(), "ged.csv": GOOD_GED},
     CAL + ["--param", "growth.loss_per_year=-5:1"], 2, ["growth.loss_per_year"]),
    ("calibrate-cell-zero", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--cell-km", "0"], 2,
     ["grid.cell_km"]),
    ("calibrate-bad-toml", {"s.toml": "x = = 1\n", "ged.csv": GOOD_GED}, CAL, 2, ["not valid TOML"]),
    ("calibrate-scenario-missing", {"ged.csv": GOOD_GED}, CAL, 2, ["s.toml does not exist"]),
    ("calibrate-scheduler-bad", {"s.toml": toml(), "ged.csv": GOOD_GED}, CAL + ["--scheduler", "::"], 2,
     ["not a scheduler address"]),
    # ------------------------------------------------------------------------------------------------ forecast
    ("forecast-fit-missing", {"s.toml": toml(), "ged.csv": GOOD_GED}, FC, 2, ["no such fit"]),
    ("forecast-fit-folder", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json/x": "x"}, FC, 2, ["is a folder"]),
    ("forecast-fit-not-json", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": "{"}, FC, 2, ["not JSON"]),
    ("forecast-fit-binary", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": b"\xff\xfe\x00"}, FC, 2,
     ["not JSON"]),
    ("forecast-fit-a-list", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": "[1, 2]"}, FC, 2,
     ["not a JSON object"]),
    ("forecast-fit-no-box", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit(box=None)}, FC, 2,
     ["box does not give"]),
    ("forecast-fit-points-text", {"s.toml": toml(), "ged.csv": GOOD_GED,
                                  "fit.json": fit(design={"keys": ["growth.loss_per_year"], "points": [["a"], ["b"]]})},
     FC, 2, ["design points"]),
    ("forecast-fit-no-train", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit(train="2012")}, FC, 2,
     ["train is not"]),
    ("forecast-fit-cell-nan", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit(cell_km="NaN")}, FC, 2,
     ["cell_km"]),
    ("forecast-origin-garbage", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit()},
     FC + ["--origin", "soon"], 2, ["--origin 'soon'"]),
    ("forecast-until-garbage", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit()},
     FC + ["--until", "2019-13-01"], 2, ["--until"]),
    ("forecast-origin-before-fit", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit()},
     FC + ["--origin", "2011"], 2, ["--origin 2011", "first year 2012"]),
    ("forecast-members-few", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit()}, FC + ["--members", "5"],
     2, ["--members 5"]),
    ("forecast-members-huge", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit()},
     FC + ["--members", "5000000"], 2, ["--members 5,000,000", "100,000"]),
    ("forecast-unrelated-out", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit(), "out/notes.txt": "m"},
     FC, 2, ["not an output", "notes.txt"]),
    ("forecast-previous", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit(),
                           "out/forecast.json": MANIFEST.format("forecast")}, FC, 2, ["previous forecast", "--force"]),
    ("forecast-into-calibration", {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit(), "out/fit.json": fit()},
     FC, 2, ["holds a calibration output", "not a forecast"]),
    ("forecast-ged-columns", {"s.toml": toml(), "ged.csv": "id,year\n1,2\n", "fit.json": fit()}, FC, 2,
     ["missing column(s)"]),
    # ------------------------------------------------------------------------------------------------ evaluate
    ("evaluate-no-fit", {"ged.csv": GOOD_GED, "cal/notes.txt": "m"}, ["evaluate", "{d}/cal", "--observed", GED],
     2, ["no such fit"]),
    ("evaluate-folder-missing", {"ged.csv": GOOD_GED}, ["evaluate", "{d}/cal", "--observed", GED], 2,
     ["no such fit"]),
    ("evaluate-fit-bad", {"ged.csv": GOOD_GED, "cal/fit.json": fit(design=None)},
     ["evaluate", "{d}/cal", "--observed", GED], 2, ["no design keys"]),
    ("evaluate-members-few", {"ged.csv": GOOD_GED, "cal/fit.json": fit()},
     ["evaluate", "{d}/cal", "--observed", GED, "--members", "3"], 2, ["--members 3"]),
    ("evaluate-user-skill-file", {"s.toml": toml(), "ged.csv": GOOD_GED, "cal/fit.json": fit(),
                                  "cal/skill.md": "my notes"}, ["evaluate", "{d}/cal", "--observed", GED, "-q"], 2,
     ["skill.md exists and was not written by spillover"]),
    ("evaluate-user-fit-json", {"s.toml": toml(), "ged.csv": GOOD_GED,
                                "cal/fit.json": fit(tool=None, kind=None, outputs=None)},
     ["evaluate", "{d}/cal", "--observed", GED, "-q"], 2, ["not an output of spillover"]),
    ("evaluate-ged-missing", {"s.toml": toml(), "cal/fit.json": fit()},
     ["evaluate", "{d}/cal", "--observed", GED, "-q"], 2, ["ged.csv does not exist"]),
    ("evaluate-scenario-gone", {"ged.csv": GOOD_GED, "cal/fit.json": fit()},
     ["evaluate", "{d}/cal", "--observed", GED, "-q"], 2, ["s.toml does not exist"]),
    # ------------------------------------------------------------------------------------------------ observed
    ("observed-columns", {"ged.csv": "a,b\n1,2\n"}, OBS, 2, ["missing column(s)"]),
    ("observed-empty", {"ged.csv": ""}, OBS, 2, ["is empty"]),
    ("observed-by-bad", {"ged.csv": GOOD_GED}, OBS + ["--by", "village"], 2, ["--by 'village'"]),
    ("observed-period-bad", {"ged.csv": GOOD_GED}, OBS + ["--period", "week"], 2, ["--period 'week'"]),
    ("observed-years-bad", {"ged.csv": GOOD_GED}, OBS + ["--years", "x:y"], 2, ["x:y"]),
    ("observed-violence-bad", {"ged.csv": GOOD_GED}, OBS + ["--violence", "9"], 2, ["9"]),
    ("observed-unrelated-out", {"ged.csv": GOOD_GED, "out/notes.txt": "m"}, OBS + ["--out", "{d}/out"], 2,
     ["not an output", "notes.txt"]),
    # -------------------------------------------------------------------------------------- run-count limits
    ("sweep-too-many-runs", {"s.toml": toml()},
     ["sweep", S, "--param", "growth.loss_per_year=0.1:0.5", "--n", "1048576", "--out", "{d}/out", "-q"], 2,
     ["3,145,728 runs", "numerics.max_runs = 100,000"]),
    ("sweep-max-runs-zero", {"s.toml": toml()},
     ["sweep", S, "--param", "growth.loss_per_year=0.1:0.5", "--set", "numerics.max_runs=0", "--out", "{d}/out"],
     2, ["numerics.max_runs"]),
    ("run-max-runs-text", {"s.toml": toml(**{"numerics.max_runs": "many"})},
     ["run", S, "--out", "{d}/out", "-q"], 2, ["numerics.max_runs"]),
]


def _make(case_dir: Path, files: dict) -> None:
    for name, content in files.items():
        path = case_dir / name.format(d=case_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == GOOD_GED:
            write_ged(path, basic_rows())
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{d}", str(case_dir)), encoding="utf-8")


@pytest.mark.parametrize("name, files, argv, code, fragments", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_to_the_newer_commands(name, files, argv, code, fragments, tmp_path, capsys):
    _make(tmp_path, files)
    before = _tree(tmp_path)
    out = tmp_path / "out"
    existed = out.exists()
    rc = main([a.format(d=tmp_path) for a in argv])
    check_one_line(capsys.readouterr(), code, rc, fragments)
    assert _tree(tmp_path) == before  # no user file changed, nothing written (no lock or journal left either)
    assert out.exists() == existed


LOCK_HOLDER = """
import sys, time
from sim.outdir import output_folder
with output_folder(sys.argv[1], manifest=sys.argv[2], kind=sys.argv[3], caches=("runs",)) as folder:
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize("command, manifest, kind", [(CAL, "fit.json", "calibration"),
                                                      (FC, "forecast.json", "forecast"),
                                                      (ENS, "ensemble.json", "ensemble"),
                                                      (["sweep", S, "--param", "growth.loss_per_year=0.1:0.5",
                                                        "--method", "lhs", "--n", "4", "--out", "{d}/out", "-q"],
                                                       "sweep.json", "sweep")])
def test_a_second_process_writing_the_folder_is_refused_before_any_work(command, manifest, kind, tmp_path, capsys):
    _make(tmp_path, {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit()})
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(tmp_path / "out"), manifest, kind],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        start = time.perf_counter()
        rc = main([a.format(d=tmp_path) for a in command])
        check_one_line(capsys.readouterr(), 2, rc, ["being written by another spillover process"])
        assert time.perf_counter() - start < 30  # refused at once, not after the runs
    finally:
        holder.kill()
        holder.wait()


# ----------------------------------------------------------------------------------- faults with real runs
REAL_GED = default_ged_path()
needs_ged = pytest.mark.skipif(not REAL_GED.is_file(), reason="the shared UCDP GED extract is absent")
CAL_ARGS = ["--observed", str(REAL_GED), "--train", "2012:2017", "--param", "growth.loss_per_year=0.1:0.5",
            "--points", "4", "--cell-km", "100", "-q"]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    root = tmp_path_factory.mktemp("calibrated")
    (root / "s.toml").write_text(toml(**{"scenario.end": "2020-01-01"}), encoding="utf-8")
    assert main(["calibrate", str(root / "s.toml"), "--out", str(root / "cal"), *CAL_ARGS]) == 0
    return root


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "fan_countries.png")


@needs_ged
def test_a_fault_after_the_calibration_runs_keeps_only_the_runs_cache(tmp_path, capsys, monkeypatch, calibrated):
    import sim.evidence.workflow as workflow

    out = tmp_path / "cal"
    monkeypatch.setattr(workflow, "_fit_figure", _full)
    rc = main(["calibrate", str(calibrated / "s.toml"), "--out", str(out), *CAL_ARGS])
    check_one_line(capsys.readouterr(), 1, rc, ["no space left"])
    assert sorted(p.name for p in out.iterdir()) == ["runs"]  # no fit.json, no calibrated.toml: nothing partial
    monkeypatch.undo()
    assert main(["calibrate", str(calibrated / "s.toml"), "--out", str(out), *CAL_ARGS]) == 0  # no --force needed
    assert json.loads((out / "fit.json").read_text())["outputs"] == ["calibrated.toml", "fit_countries.png"]


@needs_ged
def test_a_fault_in_a_forecast_leaves_no_folder_and_a_corrupt_cached_part_is_rerun(tmp_path, capsys, monkeypatch,
                                                                                   calibrated):
    import sim.evidence.workflow as workflow

    args = ["forecast", str(calibrated / "s.toml"), "--observed", str(REAL_GED), "--fit",
            str(calibrated / "cal" / "fit.json"), "--origin", "2018", "--until", "2019", "--members", "50", "-q"]
    monkeypatch.setattr(workflow, "_fan_chart", _full)
    rc = main(args + ["--out", str(tmp_path / "fc")])
    check_one_line(capsys.readouterr(), 1, rc, ["fan_countries.png", "no space left"])
    assert not (tmp_path / "fc").exists()
    monkeypatch.undo()
    for part in (calibrated / "cal" / "runs").glob("*/part-*.npz"):
        part.write_bytes(b"truncated")  # as a disk error might leave it
    assert main(args + ["--out", str(tmp_path / "fc")]) == 0
    assert sorted(p.name for p in (tmp_path / "fc").iterdir()) == ["admin1_2018.png", "fan_countries.png",
                                                                  "forecast.json", "predictions.csv"]


@needs_ged
def test_evaluate_adds_its_files_to_the_calibration_and_a_fault_changes_nothing(capsys, monkeypatch, calibrated):
    import sim.evidence.workflow as workflow

    cal = calibrated / "cal"
    (cal / "notes.txt").write_text("mine")
    assert main(["evaluate", str(cal), "--observed", str(REAL_GED), "--members", "20", "-q"]) == 0
    capsys.readouterr()
    fit = json.loads((cal / "fit.json").read_text())
    assert fit["outputs"][-2:] == ["skill.csv", "skill.md"] and fit["design"]["keys"] == ["growth.loss_per_year"]
    before = _tree(cal)
    monkeypatch.setattr(workflow, "write_text_atomic", lambda path, text: _full())
    rc = main(["evaluate", str(cal), "--observed", str(REAL_GED), "--members", "20", "-q"])
    err = capsys.readouterr()
    assert rc == 1 and "Traceback" not in err.err and len(err.err.strip().splitlines()) == 1
    assert _tree(cal) == before  # the previous skill files, the fit and the user's notes as they were


@pytest.mark.parametrize("argv", [ENS, CAL, FC, OBS + ["--out", "{d}/ro/out"]], ids=["ensemble", "calibrate",
                                                                                     "forecast", "observed"])
def test_a_read_only_folder_is_one_line_exit_1(argv, tmp_path):
    """A read-only bind mount in a private mount namespace (root ignores file modes; no root needed elsewhere)."""
    import shutil

    if not shutil.which("unshare") or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("user/mount namespaces are not available here")
    _make(tmp_path, {"s.toml": toml(), "ged.csv": GOOD_GED, "fit.json": fit()})
    (tmp_path / "ro").mkdir()
    args = " ".join(a.format(d=tmp_path).replace(f"{tmp_path}/out", f"{tmp_path}/ro/out") for a in argv)
    script = (f"mount --bind {tmp_path}/ro {tmp_path}/ro && mount -o remount,bind,ro {tmp_path}/ro && "
              f"{sys.executable} -m sim.cli {args}")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "read-only file system" in lines[0], lines
    assert not any((tmp_path / "ro").iterdir())
