"""Sweeps: designs, seeds, metrics against a single run, batching independence, failures, the store and resume
(in-process and after SIGKILL of the sweep process), the local process pool and a real Dask cluster on loopback.

Everything runs on 100 km cells over four years so that a run takes a fraction of a second.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.errors import SpilloverError
from sim import Scenario, run
from sim.cli import main
from sim.sweep import (RESULTS_FILE, SWEEP_FILE, Metrics, ResultStore, SweepConfig, balanced_batch, load_sweep,
                       parse_param, parse_set, plan_batches, rows_frame, run_sweep)

SMALL = {
    "grid.cell_km": 100.0,
    "grid.countries": ["MLI", "BFA", "NER", "DZA", "MRT"],
    "scenario.start": "2012-01-01",
    "scenario.end": "2016-01-01",
    "scenario.output_every_days": 30,
    "documents.seeds": "",
    "initial.places": ["northern Mali"],
    "initial.from_documents": False,
    # K = p ≈ 1 wherever anyone lives, so the onset place starts at risk 1 (above the threshold)
    "initial.risk": 1.0, "growth.population_half_per_km2": 1e-3, "output.threshold": 0.5,
    "output.geotiff_days": [],
}
#: Fast-spreading defaults so that Burkina Faso and Niger cross within four years in most runs.
FAST = {"growth.base_rate_per_year": 2.5, "diffusion.kappa_km2_per_year": 8000.0}
HORIZONS = ("end", "2014-01-01")


def small(**changes) -> Scenario:
    return Scenario().replace(**{**SMALL, **FAST, **changes})


def config(params=("growth.base_rate_per_year=1:3", "diffusion.kappa_km2_per_year=2000:8000"), method="lhs", n=6,
           scenario=None, **kw) -> SweepConfig:
    kw.setdefault("metrics", Metrics(horizons=HORIZONS))
    return SweepConfig(scenario or small(), tuple(parse_param(p) for p in params), method=method, n=n, **kw)


def metric_part(frame: pd.DataFrame) -> pd.DataFrame:
    """Everything that must be reproducible (not the timings)."""
    return frame.drop(columns=["seconds"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scen") / "small.toml"
    path.write_text(small().to_toml())
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A clean in-process sweep (8 LHS points × 2 replicates with initial noise), the reference for equality."""
    out = tmp_path_factory.mktemp("ref")
    cfg = config(n=8, replicates=2, scenario=small(**{"initial.noise": 0.05}))
    return cfg, run_sweep(cfg, out, workers=0, batch=4, progress=False)


# ------------------------------------------------------------------------------------------------ parameters
def test_param_parsing_checks_names_types_and_ranges():
    p = parse_param("suppression.exit_shift_days=-730:730")
    assert (p.name, p.lo, p.hi, p.integer) == ("suppression.exit_shift_days", -730, 730, True)
    assert not parse_param("growth.weight_coups=0:0.5").integer
    with pytest.raises(SpilloverError, match="not a numeric scenario key.*growth.weight_coups"):
        parse_param("growth.weight_cops=0:1")
    with pytest.raises(SpilloverError, match=r"LOW -2 is outside the valid range of growth.weight_coups \(≥ -1"):
        parse_param("growth.weight_coups=-2:1")
    with pytest.raises(SpilloverError, match="HIGH 2 is outside.*≤ 1"):
        parse_param("initial.risk=0:2")
    with pytest.raises(SpilloverError, match="LOW < HIGH"):
        parse_param("initial.risk=0.5:0.1")
    with pytest.raises(SpilloverError, match="NAME=LOW:HIGH"):
        parse_param("initial.risk")
    with pytest.raises(SpilloverError, match="two numbers"):
        parse_param("initial.risk=0.1-0.5")
    with pytest.raises(SpilloverError, match="own seed.*--replicates"):
        parse_param("scenario.seed=0:10")
    assert parse_set('documents.seeds=""') == ("documents.seeds", "")
    assert parse_set('initial.places=["northern Mali"]') == ("initial.places", ["northern Mali"])
    assert parse_set("grid.cell_km=50") == ("grid.cell_km", 50)


def test_design_sizes_and_bounds():
    two = ("growth.base_rate_per_year=1:3", "suppression.exit_shift_days=-730:730")
    grid = config(two, "grid", 3)
    x = grid.design()
    assert x.shape == (9, 2) and sorted(set(x[:, 0])) == [1, 2, 3]
    assert [r.params["suppression.exit_shift_days"] for r in grid.runs(x)][:3] == [-730, 0, 730]
    lhs = config(two, "lhs", 7).design()
    assert lhs.shape == (7, 2) and (lhs[:, 0] >= 1).all() and (lhs[:, 0] <= 3).all()
    # Latin hypercube: one point in each of the 7 strata of every parameter
    assert sorted(np.floor((lhs[:, 0] - 1) / 2 * 7).astype(int)) == list(range(7))
    assert config(two, "sobol", 8).design().shape == (8 * (2 + 2), 2)
    assert config(two, "sobol", 8, second_order=True).design().shape == (8 * (2 * 2 + 2), 2)
    assert config(two, "morris", 5).design().shape == (5 * (2 + 1), 2)
    with pytest.raises(SpilloverError, match="power of 2.*8 or 16"):
        config(two, "sobol", 10)
    with pytest.raises(SpilloverError, match="valid: grid, lhs, sobol, morris"):
        config(two, "halton", 8)
    with pytest.raises(SpilloverError, match="--countries.*not modelled"):
        config(two, metrics=Metrics(countries=("TCD",)))


def test_integer_keys_are_rounded_and_seeds_differ_per_run():
    cfg = config(("suppression.exit_shift_days=-100.5:100.5",), "lhs", 4, replicates=3, seed=7)
    runs = cfg.runs(cfg.design())
    assert len(runs) == 12
    assert all(isinstance(r.params["suppression.exit_shift_days"], int) for r in runs)
    assert [r.seed for r in runs] == list(range(7, 19))  # base seed + run index
    assert [(r.point, r.replicate) for r in runs[:4]] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert [r.run_id for r in runs[:2]] == ["r000000", "r000001"]
    assert runs[0].params == runs[2].params != runs[3].params


def test_batches_never_mix_grids_or_calendars():
    cfg = config(("grid.cell_km=80:120", "scenario.output_every_days=10:40"), "grid", 3)
    runs = cfg.runs(cfg.design())
    batches = plan_batches(runs, cfg.scenario, "spillover", 4)
    assert sorted(r.index for b in batches for r in b) == list(range(9))
    for b in batches:
        assert len({(r.params["grid.cell_km"], r.params["scenario.output_every_days"]) for r in b}) == 1
    assert balanced_batch(40, 8, 2) == 7 and balanced_batch(3, 16, 2) == 2 and balanced_batch(64, 16, 2) == 16


# ------------------------------------------------------------------------------------------------ metrics
def test_metrics_equal_the_single_run_outputs(tmp_path):
    """The sweep's metrics follow sim.output's definitions: compare with a full run of the same scenario."""
    cfg = config(("growth.base_rate_per_year=2.5:2.5000001",), "grid", 1,
                 metrics=Metrics(countries=("MLI", "BFA", "NER", "DZA"), horizons=("end", "2014-01-01")))
    outcome = run_sweep(cfg, tmp_path / "sweep", workers=0, progress=False)
    row = outcome.results.iloc[0]
    assert row["status"] == "ok" and row["seed"] == 0 and row["days"] == 1461
    result = run(small(), tmp_path / "run")
    series, crossings = result.series, result.crossings.set_index("country")
    start = pd.Timestamp("2012-01-01")
    for code in ("MLI", "BFA", "NER", "DZA"):
        first = crossings.loc[code, "first_crossing"]  # a Timestamp, NaT for never
        first = "" if pd.isna(first) else first.date().isoformat()
        expected = (pd.Timestamp(first) - start).days if first else math.nan
        assert row[f"cross_days_{code}"] == pytest.approx(expected, nan_ok=True)
        assert bool(row[f"crossed_{code}"]) == bool(first)
        if first:
            assert row[f"cross_date_{code}"] == first
        else:
            assert pd.isna(row[f"cross_date_{code}"])
        own = series[series.country == code]
        last = own.iloc[-1]
        assert last["time"] == pd.Timestamp("2016-01-01")  # series times are dates (datetime64)
        assert row[f"mean_risk_{code}_end"] == pytest.approx(last["mean_risk"], rel=1e-12)
        assert row[f"area_at_risk_km2_{code}_end"] == pytest.approx(last["area_at_risk_km2"])
        before = own[own["time"] <= pd.Timestamp("2014-01-01")].iloc[-1]  # the last snapshot at or before the horizon
        assert row[f"mean_risk_{code}_2014-01-01"] == pytest.approx(before["mean_risk"], rel=1e-12)
    assert row["crossed_BFA"] and row["cross_days_BFA"] > 0
    slow = config(("growth.base_rate_per_year=0.5:0.5000001",), "grid", 1)  # too slow to reach Burkina Faso
    never = run_sweep(slow, tmp_path / "slow", workers=0, progress=False).results.iloc[0]
    assert math.isnan(never["cross_days_BFA"]) and not never["crossed_BFA"] and pd.isna(never["cross_date_BFA"])
    censored = run_sweep(config(("growth.base_rate_per_year=0.5:0.5000001",), "grid", 1,
                                metrics=Metrics(censor=True)), tmp_path / "censored", workers=0,
                         progress=False).results.iloc[0]
    assert censored["cross_days_BFA"] == 1461 + 1 and not censored["crossed_BFA"]


def test_results_do_not_depend_on_batching_and_repeat_for_the_same_seed(reference, tmp_path):
    cfg, ref = reference
    assert (ref.results["status"] == "ok").all() and len(ref.results) == 16
    again = run_sweep(cfg, tmp_path / "b1", workers=0, batch=1, progress=False)
    pd.testing.assert_frame_equal(metric_part(again.results), metric_part(ref.results))
    # replicates differ only in their seed, which moves the initial noise
    res = ref.results
    assert (res.groupby("point")["seed"].nunique() == 2).all()
    first, second = res[res.replicate == 0], res[res.replicate == 1]
    assert not np.allclose(first["mean_risk_MLI_end"].to_numpy(), second["mean_risk_MLI_end"].to_numpy())
    other = run_sweep(config(n=8, replicates=2, seed=1, scenario=cfg.scenario), tmp_path / "seed1", workers=0,
                      progress=False).results
    assert not np.allclose(other["mean_risk_MLI_end"], res["mean_risk_MLI_end"])


def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path):
    cfg = config(("initial.risk=0:0.5",), "grid", 3)  # risk 0 without noise: no initial risk, an invalid run
    outcome = run_sweep(cfg, tmp_path, workers=0, batch=3, progress=False)
    res = outcome.results.set_index("run_id")
    assert list(res["status"]) == ["failed", "ok", "ok"]
    assert "initial risk is zero everywhere" in res.loc["r000000", "error"]
    assert res.loc["r000001", "error"] == "" and res.loc["r000001", "crossed_MLI"]
    assert math.isnan(res.loc["r000000", "mean_risk_MLI_end"])
    # resuming skips failed runs too, unless asked to retry them
    assert run_sweep(cfg, tmp_path, workers=0, progress=False).ran == 0
    retried = run_sweep(cfg, tmp_path, workers=0, progress=False, retry_failed=True)
    assert retried.ran == 1 and list(retried.results["run_id"]) == ["r000000", "r000001", "r000002"]


# ------------------------------------------------------------------------------------------------ the store
def test_store_spec_and_refusal_of_a_different_sweep(reference, tmp_path):
    cfg, ref = reference
    spec = json.loads((ref.out / SWEEP_FILE).read_text())
    assert spec["method"] == "lhs" and spec["runs"] == 16 and len(spec["design"]) == 8
    assert spec["params"][0]["name"] == "growth.base_rate_per_year"
    assert spec["scenario"]["grid"]["cell_km"] == 100.0 and spec["versions"]["SALib"]
    assert "SALib.sample.latin.sample" in spec["sampler"]
    stored = pd.read_parquet(ref.out / RESULTS_FILE)
    assert list(stored.columns[:4]) == ["run_id", "point", "replicate", "growth.base_rate_per_year"]
    assert {"seed", "status", "error", "seconds", "cross_days_BFA", "mean_risk_NER_2014-01-01",
            "area_at_risk_km2_MLI_end"} <= set(stored.columns)
    assert not (ref.out / "parts").exists()
    other = config(n=4, replicates=2, scenario=cfg.scenario)
    with pytest.raises(SpilloverError, match=r"different sweep \(n: stored 8 ≠ now 4\)"):
        run_sweep(other, ref.out, workers=0, progress=False)
    with pytest.raises(SpilloverError, match="no sweep.json"):
        load_sweep(tmp_path)


def test_store_folds_parts_and_keeps_one_row_per_run(reference, tmp_path):
    cfg, ref = reference
    store = ResultStore(tmp_path)
    store.open(cfg.spec())
    rows = ref.results.head(3).to_dict("records")
    store.write_part(rows_frame(rows[:2], cfg))
    store.write_part(rows_frame(rows[1:], cfg))  # r000001 twice: a retried run
    killed = store.parts / ".part-00000000000000000001-000001-r000000.ab1_cd34.parquet"  # a write killed half-way
    killed.write_bytes(b"truncated")
    theirs = [tmp_path / ".results.my-notes.parquet", store.parts / ".part-mine.parquet", tmp_path / "notes.txt"]
    for path in theirs:
        path.write_bytes(b"the user's")
    store.clean_temporaries()
    assert not killed.exists()
    assert all(p.read_bytes() == b"the user's" for p in theirs)  # never a file the store did not write
    frame = store.consolidate()
    assert list(frame["run_id"]) == ["r000000", "r000001", "r000002"]
    assert not list(store.parts.glob("part-*.parquet"))
    assert len(pd.read_parquet(tmp_path / RESULTS_FILE)) == 3


def test_resume_in_process_loses_and_repeats_nothing(reference, tmp_path):
    cfg, ref = reference
    first = run_sweep(cfg, tmp_path, workers=0, batch=4, progress=False, stop_after=2)
    assert first.ran == 8 and len(first.results) == 8
    second = run_sweep(cfg, tmp_path, workers=0, batch=4, progress=False)
    assert second.skipped == 8 and second.ran == 8
    pd.testing.assert_frame_equal(second.results.iloc[:8], first.results)  # stored rows untouched
    pd.testing.assert_frame_equal(metric_part(second.results), metric_part(ref.results))


# ------------------------------------------------------------------------------------------------ processes
def _stored_batches(out: Path) -> int:
    return len(list((out / "parts").glob("part-*.parquet"))) if (out / "parts").exists() else 0


def test_resume_after_the_sweep_process_is_killed(reference, scenario_file, tmp_path):
    """SIGKILL the sweep (and its worker pool) once some batches are stored; rerun; compare with a clean sweep."""
    cfg, ref = reference
    out = tmp_path / "killed"
    argv = [sys.executable, "-m", "sim.cli", "sweep", str(scenario_file), "--set", "initial.noise=0.05",
            "-p", "growth.base_rate_per_year=1:3", "-p", "diffusion.kappa_km2_per_year=2000:8000", "--method", "lhs",
            "--n", "8", "--replicates", "2", "--horizon", "end", "--horizon", "2014-01-01", "--seed", "0",
            "--batch", "1", "--workers", "1", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while _stored_batches(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, at once
    proc.wait()
    stored = ResultStore(out).load()
    assert 0 < len(stored) < 16, f"kill came too late or too early: {len(stored)} of 16 runs stored"
    assert stored["run_id"].is_unique
    again = subprocess.run(argv[:-1], capture_output=True, text=True, timeout=300)  # not --quiet: the summary
    assert again.returncode == 0, again.stderr
    ran = int(re.search(r"ran (\d+) now", again.stderr).group(1))
    assert ran == 16 - len(stored)  # none repeated
    final = pd.read_parquet(out / RESULTS_FILE)
    assert list(final["run_id"]) == [f"r{i:06d}" for i in range(16)]  # none lost, each once
    before = stored.set_index("run_id")["seconds"]
    assert (final.set_index("run_id").loc[before.index, "seconds"] == before).all()  # stored rows kept as they were
    pd.testing.assert_frame_equal(metric_part(final), metric_part(ref.results))  # = the clean in-process sweep
    assert not (out / "parts").exists()


def test_sweep_through_a_dask_scheduler_and_worker_on_loopback(reference, scenario_file, tmp_path):
    distributed = pytest.importorskip("distributed")
    cfg, ref = reference
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  protocol="tcp", dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        code = main(["sweep", str(scenario_file), "--set", "initial.noise=0.05",
                     "-p", "growth.base_rate_per_year=1:3", "-p", "diffusion.kappa_km2_per_year=2000:8000",
                     "--method", "lhs", "--n", "8", "--replicates", "2", "--horizon", "end",
                     "--horizon", "2014-01-01", "--seed", "0", "--batch", "8", "--scheduler", address,
                     "--out", str(tmp_path), "--quiet"])
        assert code == 0
        pids = cluster.scheduler_info["workers"]
        assert len(pids) == 1
    spec, results = load_sweep(tmp_path / RESULTS_FILE)
    assert spec["runs"] == 16
    pd.testing.assert_frame_equal(metric_part(results), metric_part(ref.results))


# ------------------------------------------------------------------------------------------------ command line
def test_cli_lists_the_parameters_with_defaults_and_units(scenario_file, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["sweep", str(scenario_file), "--list-params"]) == 0
    text = capsys.readouterr().out
    for key in ("growth.weight_coups", "suppression.exit_shift_days", "diffusion.kappa_km2_per_year",
                "grid.cell_km"):
        assert key in text
    assert "km²/year" in text and "scenario.seed" not in text


def test_cli_errors_are_one_line(scenario_file, tmp_path, capsys):
    assert main(["sweep", str(scenario_file), "-p", "growth.nope=0:1", "--out", str(tmp_path)]) == 2
    assert "not a numeric scenario key" in capsys.readouterr().err
    assert main(["sweep", str(scenario_file), "-p", "initial.risk=0.1:0.5"]) == 2
    assert "--out DIR is required" in capsys.readouterr().err
