"""Real signals to real processes: Ctrl-C exits 130 and says what was stored; SIGKILL never leaves a mixed folder."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import Scenario
from sim.outdir import JOURNAL_FILE
from sim.output import check_run_dir

LONG = {"grid.cell_km": 50.0, "grid.countries": ["MLI", "BFA", "NER"], "scenario.start": "2012-01-01",
        "scenario.end": "2090-01-01", "scenario.output_every_days": 30, "documents.seeds": "",
        "initial.places": ["northern Mali"], "initial.from_documents": False}
ENV = {**os.environ, "SPILLOVER_PROGRESS_SECONDS": "0", "PYTHONUNBUFFERED": "1"}


def _scenario(tmp_path: Path, name: str = "long", **changes) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(Scenario().replace(**{**LONG, "scenario.name": name, **changes}).to_toml())
    return path


def _default_sigint() -> None:
    """Give the child the default SIGINT disposition: a shell starting the suite in the background ignores SIGINT,
    and a child that inherits SIG_IGN never sees Ctrl-C (Python then installs no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(scenario: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim.cli", "run", str(scenario), "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            preexec_fn=_default_sigint)


def _wait_for_progress(proc: subprocess.Popen, lines: int = 1, timeout: float = 120.0) -> list[str]:
    seen, t0 = [], time.monotonic()
    while len([s for s in seen if " days (" in s]) < lines:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        assert time.monotonic() - t0 < timeout, "no progress"
    return seen


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_exits_130_says_so_and_leaves_nothing(tmp_path, sig):
    out = tmp_path / "runs" / "long"
    proc = _start(_scenario(tmp_path), out)
    _wait_for_progress(proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert last == f"interrupted: nothing was stored; the partial run in {out} was removed"
    assert "Traceback" not in err
    assert not out.exists() and (tmp_path / "runs").exists()


def _consistent_or_interrupted(out: Path) -> str:
    """'complete' (manifest and every file of one run) or 'interrupted' (no manifest); never mixed."""
    if not (out / "run.json").exists():
        return "interrupted"
    check_run_dir(out)
    manifest = json.loads((out / "run.json").read_text())
    import xarray as xr

    with xr.open_dataset(out / "risk.nc") as ds:
        assert json.loads(ds.attrs["provenance"])["scenario_name"] == manifest["scenario_name"]
        assert json.loads(ds.attrs["provenance"])["created"] == manifest["created"]
    assert Scenario.load(out / "scenario.toml").scenario.name == manifest["scenario_name"]
    assert not (out / JOURNAL_FILE).exists() or manifest
    return "complete"


def test_sigkill_during_a_forced_rerun_never_leaves_a_mixed_folder(tmp_path):
    out = tmp_path / "run"
    short = _scenario(tmp_path, "old", **{"scenario.end": "2013-01-01"})
    assert subprocess.run([sys.executable, "-m", "sim.cli", "run", str(short), "--out", str(out), "-q"],
                          env=ENV, capture_output=True).returncode == 0
    (out / "notes.txt").write_text("the user's notes")
    new = _scenario(tmp_path, "new")
    states = []
    for lines in (0, 1, 4):
        proc = _start(new, out, "--force")
        if lines:
            _wait_for_progress(proc, lines)
        else:
            time.sleep(0.2)
        proc.kill()
        proc.communicate(timeout=60)
        states.append(_consistent_or_interrupted(out))
        assert (out / "notes.txt").read_text() == "the user's notes"
    assert "interrupted" in states
    # the next run cleans what the killed one journalled and completes; the user's file is still there
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(short), "--out", str(out), "-q", "--force"],
                          env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _consistent_or_interrupted(out) == "complete"
    leftovers = sorted(p.name for p in out.iterdir())
    assert leftovers == sorted(["admin1.csv", "countries.csv", "crossings.csv", "notes.txt", "risk.nc", "run.json",
                                "scenario.toml"])


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_runs(tmp_path):
    out = tmp_path / "run"
    first = _start(_scenario(tmp_path), out)
    try:
        _wait_for_progress(first)
        first.send_signal(signal.SIGSTOP)  # hold it mid-run (with its lock) for as long as the check takes
        second = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(_scenario(tmp_path, "other")), "--out",
                                 str(out), "--force", "-q"], env=ENV, capture_output=True, text=True)
        assert second.returncode == 2
        assert second.stderr.strip() == (f"error: --out {out} is being written by another spillover process "
                                         "(locked); wait for it to finish or choose another folder")
    finally:
        first.kill()
        first.communicate()
