"""The sweep command under faults and hostile input: exit codes (failed runs, a real SIGINT), worker processes that
die with their parent (a real SIGKILL), machine-readable tables, --dry-run, resume refusals (changed inputs, foreign
or corrupt results), folders that are not ours, bad options, a Dask cluster that loses its workers, no dask.

Everything runs on 100 km cells over four years so that a run takes a fraction of a second.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import SpilloverError
from sim import Scenario
from sim.cli import main
from sim.sweep import (MAX_SEED, Metrics, ResultStore, SweepConfig, parse_param, run_sweep)
from sim.sweep.run import sweep_inputs

SMALL = {
    "grid.cell_km": 100.0,
    "grid.countries": ["MLI", "BFA", "NER", "DZA", "MRT"],
    "scenario.start": "2012-01-01",
    "scenario.end": "2016-01-01",
    "scenario.output_every_days": 30,
    "documents.seeds": "",
    "initial.places": ["northern Mali"],
    "initial.from_documents": False,
    "output.geotiff_days": [],
    "growth.base_rate_per_year": 2.5,
    "diffusion.kappa_km2_per_year": 8000.0,
}
PARAMS = ["-p", "growth.base_rate_per_year=1:3", "-p", "diffusion.kappa_km2_per_year=2000:8000"]
ROOT = Path(__file__).resolve().parents[1]


def small(**changes) -> Scenario:
    return Scenario().replace(**{**SMALL, **changes})


@pytest.fixture()
def scenario_file(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(small().to_toml())
    return path


def sweep_argv(scenario_file, out, *extra) -> list[str]:
    return ["sweep", str(scenario_file), *PARAMS, "--method", "lhs", "--n", "4", "--workers", "0", "--out", str(out),
            "--quiet", *extra]


def one_line_error(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in text, text
    return lines[0]


def children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - out
        out |= frontier
    return out


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def _parts(out: Path) -> int:
    return len(list((out / "parts").glob("part-*.parquet"))) if (out / "parts").exists() else 0


def _default_sigint() -> None:
    """Give the child the default SIGINT disposition: a shell starting the suite in the background ignores SIGINT,
    and a child that inherits SIG_IGN never sees Ctrl-C (Python then installs no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _spawn_sweep(scenario_file, out, workers: int) -> subprocess.Popen:
    argv = [sys.executable, "-m", "sim.cli", "sweep", str(scenario_file), *PARAMS, "--method", "lhs", "--n", "12",
            "--batch", "1", "--workers", str(workers), "--out", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "SPILLOVER_PROGRESS_SECONDS": "3600"},
                            preexec_fn=_default_sigint)


def _wait_for_parts(proc, out, parts: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while _parts(out) < parts and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, f"the sweep ended before {parts} batches were stored: {proc.communicate()}"


# ------------------------------------------------------------------------------------------------ exit codes
def test_failed_runs_exit_1_unless_allowed(scenario_file, tmp_path, capfd):
    argv = ["sweep", str(scenario_file), "-p", "initial.risk=0:0.5", "--method", "grid", "--n", "3", "--workers", "0",
            "--out", str(tmp_path / "s")]  # risk 0 without noise: run r000000 is invalid
    assert main(argv) == 1
    err = capfd.readouterr().err
    assert "error: 1 of 3 runs failed" in err and "--allow-failures" in err and "Traceback" not in err
    assert main(argv + ["--allow-failures", "--quiet"]) == 0  # resumed: nothing to run, the failure allowed
    assert main(argv + ["--quiet"]) == 1


def test_sigint_exits_130_says_what_is_stored_and_stops_the_workers(scenario_file, tmp_path):
    out = tmp_path / "interrupted"
    proc = _spawn_sweep(scenario_file, out, workers=1)
    _wait_for_parts(proc, out, 2)
    workers = children(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    stored = len(ResultStore(out).load())
    assert f"interrupted: {stored} of 12 runs are stored in {out}; run the same command again to resume" in err
    assert 2 <= stored < 12
    deadline = time.monotonic() + 10
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(workers)


def test_sigkill_of_the_parent_leaves_no_worker_running(scenario_file, tmp_path):
    out = tmp_path / "killed"
    proc = _spawn_sweep(scenario_file, out, workers=2)
    _wait_for_parts(proc, out, 1)
    workers = children(proc.pid)
    assert len(workers) >= 2, "the pool's worker processes should be running"
    os.kill(proc.pid, signal.SIGKILL)  # the parent only: nobody tells the workers
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 15
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(workers), f"orphaned workers still running: {alive(workers)}"


# ------------------------------------------------------------------------------------------------ tables
def test_list_params_in_every_format_with_nothing_cut(scenario_file, capsys, monkeypatch):
    assert main(["sweep", str(scenario_file), "--list-params", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    keys = {r["key"]: r for r in rows}
    assert keys["growth.base_rate_per_year"]["value"] == 2.5 and keys["grid.cell_km"]["units"] == "km"
    assert "scenario.seed" not in keys
    assert main(["sweep", str(scenario_file), "--list-params", "--csv"]) == 0
    frame = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert list(frame.columns) == ["key", "value", "default", "units", "range", "meaning"] and len(frame) == len(rows)
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["sweep", str(scenario_file), "--list-params"]) == 0
    text = capsys.readouterr().out
    assert "…" not in text and all(r["meaning"] in text for r in rows)  # piped: whole lines, nothing cut


def test_dry_run_shows_the_first_design_rows_and_a_timed_estimate(scenario_file, capsys, monkeypatch):
    import sim.sweep.dryrun as dryrun

    monkeypatch.setattr(dryrun, "LONG_S", 0.0)  # every sweep counts as long: the warning must show
    assert main(["sweep", str(scenario_file), *PARAMS, "--method", "sobol", "--n", "8", "--dry-run",
                 "--format", "json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["run_id"] for r in rows] == ["r000000", "r000001", "r000002", "r000003", "r000004"]
    assert {"growth.base_rate_per_year", "diffusion.kappa_km2_per_year", "seed"} <= set(rows[0])
    assert "sobol design: 32 points × 1 replicate(s) = 32 runs" in captured.err
    assert "estimate: 32 runs of 1,461 days ≈" in captured.err and "ms per simulated day" in captured.err
    assert "over 15 and 120 days" in captured.err
    assert "warning: this sweep would run for about" in captured.err


def test_dry_run_estimate_is_in_proportion(scenario_file):
    from sim.sweep import estimate

    cfg = SweepConfig(small(), (parse_param("growth.base_rate_per_year=1:3"),), method="lhs", n=20)
    guess = estimate(cfg)
    assert guess.runs == 20 and guess.days == 1461 and guess.per_day_s > 0
    assert guess.seconds == pytest.approx(20 * (guess.fixed_s + guess.per_day_s * 1461))


# ------------------------------------------------------------------------------------------------ resume refusals
def test_resume_refuses_an_edited_scenario_file_or_what_it_extends(tmp_path, capsys):
    base = tmp_path / "base.toml"
    base.write_text(small().to_toml())
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n')
    out = tmp_path / "s"
    assert main(sweep_argv(child, out)) == 0
    assert main(sweep_argv(child, out)) == 0  # the same inputs: resumes (nothing to run)
    child.write_text('extends = "base.toml"\n# a comment\n')
    capsys.readouterr()
    assert main(sweep_argv(child, out)) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "the inputs changed since this sweep began" in line and f"scenario: {child.resolve()} changed" in line
    child.write_text('extends = "base.toml"\n')
    base.write_text(base.read_text() + "\n# edited\n")
    assert main(sweep_argv(child, out)) == 2
    assert f"scenario: {base.resolve()} changed" in one_line_error(capsys.readouterr().err)


def test_resume_refuses_changed_documents_and_initial_state(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("French troops left Mali in August 2022.")
    state = tmp_path / "risk.nc"
    state.write_bytes(b"pretend")
    cfg = SweepConfig(small(**{"documents.seeds": str(seeds), "initial.state": str(state)}),
                      (parse_param("growth.base_rate_per_year=1:3"),), method="lhs", n=4)
    store = ResultStore(tmp_path / "s")
    store.open(cfg.spec(inputs=sweep_inputs(cfg)))
    (seeds / "notes.xlsx").write_bytes(b"not a document: the document layer skips it")
    ResultStore(tmp_path / "s").open(cfg.spec(inputs=sweep_inputs(cfg)))  # nothing the model reads changed
    (seeds / "a.txt").write_text("French troops left Mali in August 2022, the last on the 15th.")
    (seeds / "b.txt").write_text("new")
    (seeds / "b.meta.toml").write_text("published = 2022-11-14\n")
    state.write_bytes(b"other")
    with pytest.raises(SpilloverError) as info:
        ResultStore(tmp_path / "s").open(cfg.spec(inputs=sweep_inputs(cfg)))
    text = str(info.value)
    assert "documents: a.txt changed (sha256" in text and "documents: b.txt is new" in text
    assert "documents: b.meta.toml is new" in text and "notes.xlsx" not in text
    assert f"initial state: {state} changed" in text


def test_results_of_another_sweep_are_refused(scenario_file, tmp_path, capsys):
    big, small_out = tmp_path / "big", tmp_path / "small"
    assert main(sweep_argv(scenario_file, big, "--n", "12")) == 0
    assert main(sweep_argv(scenario_file, small_out)) == 0
    before = (small_out / "results.parquet").read_bytes()
    shutil.copy(big / "results.parquet", small_out / "results.parquet")
    copied = (small_out / "results.parquet").read_bytes()
    assert main(sweep_argv(scenario_file, small_out)) == 2
    assert "belongs to another sweep (sweep id" in one_line_error(capsys.readouterr().err)
    # without its sweep id (another tool wrote it): the run ids and parameter values give it away
    pd.read_parquet(big / "results.parquet").to_parquet(small_out / "results.parquet")
    assert main(sweep_argv(scenario_file, small_out)) == 2
    assert "12 runs stored, 8 of them not in this sweep of 4" in one_line_error(capsys.readouterr().err)
    assert main(["sensitivity", str(small_out)]) == 2  # reading refuses it too
    capsys.readouterr()
    assert copied and before != copied


def test_corrupt_results_or_spec_give_one_line_errors_and_are_left_alone(scenario_file, tmp_path, capsys):
    out = tmp_path / "s"
    assert main(sweep_argv(scenario_file, out)) == 0
    (out / "results.parquet").write_bytes(b"PAR1 truncated")
    assert main(sweep_argv(scenario_file, out)) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "results.parquet is not a readable Parquet file" in line
    assert (out / "results.parquet").read_bytes() == b"PAR1 truncated"
    (out / "results.parquet").unlink()
    spec = (out / "sweep.json").read_text()
    (out / "sweep.json").write_text(spec[: len(spec) // 2])
    assert main(sweep_argv(scenario_file, out)) == 2
    assert "sweep.json is not a readable sweep spec (not valid JSON" in one_line_error(capsys.readouterr().err)
    assert main(["sensitivity", str(out)]) == 2
    one_line_error(capsys.readouterr().err)


def test_a_folder_that_is_not_a_sweep_is_refused_untouched(scenario_file, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / ".results.notes").write_text("mine")
    (folder / "report.docx").write_text("mine")
    assert main(sweep_argv(scenario_file, folder)) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "is not empty and is not an output of spillover" in line and "report.docx" in line
    assert sorted(p.name for p in folder.iterdir()) == [".results.notes", "report.docx"]
    # a sweep folder keeps files it did not write, even ones named like its temporaries
    out = tmp_path / "s"
    assert main(sweep_argv(scenario_file, out)) == 0
    (out / ".results.notes").write_text("mine")
    (out / ".results.abcdefgh.parquet.bak").write_text("mine")
    assert main(sweep_argv(scenario_file, out, "--n", "4")) == 0
    assert (out / ".results.notes").read_text() == "mine" and (out / ".results.abcdefgh.parquet.bak").exists()


@pytest.mark.parametrize("extra, message", [
    (["--scheduler", "tcp://10.0.0.5:notaport"], "is not a scheduler address"),
    (["--scheduler", "10.0.0.5"], "is not a scheduler address"),
    (["--scheduler", "tcp://host:99999"], "is not a scheduler address"),
    (["--seed", str(2**63)], "above the largest seed 2**63 − 1"),
    (["--seed", str(MAX_SEED - 2)], "give a seed ≤ 9223372036854775804"),
    (["--batch", "0"], "--batch 0: must be ≥ 1"),
    (["--workers", "-1"], "--workers -1: must be ≥ 0"),
    (["--worker-timeout", "0"], "--worker-timeout 0"),
])
def test_bad_sweep_options_give_one_line_errors(scenario_file, tmp_path, capsys, extra, message):
    assert main(sweep_argv(scenario_file, tmp_path / "s", *extra)) == 2
    assert message in one_line_error(capsys.readouterr().err)


def test_seeds_near_the_largest_are_stored_exactly(tmp_path):
    cfg = SweepConfig(small(), (parse_param("growth.base_rate_per_year=1:3"),), method="lhs", n=4,
                      seed=MAX_SEED - 3, metrics=Metrics(countries=("MLI",)))
    results = run_sweep(cfg, tmp_path / "s", workers=0, progress=False).results
    assert results["seed"].tolist() == [MAX_SEED - 3, MAX_SEED - 2, MAX_SEED - 1, MAX_SEED]
    assert (pd.read_parquet(tmp_path / "s" / "results.parquet")["seed"] > 0).all()


def test_sensitivity_refuses_zero_resamples_and_prints_strict_json(scenario_file, tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["sweep", str(scenario_file), *PARAMS, "--method", "sobol", "--n", "4", "--workers", "0",
                 "--out", str(out), "--quiet"]) == 0
    assert main(["sensitivity", str(out), "--resamples", "0"]) == 2
    assert "--resamples 0: give a number of bootstrap resamples in [1, 100,000]" in one_line_error(
        capsys.readouterr().err)
    capsys.readouterr()
    assert main(["sensitivity", str(out), "--resamples", "50", "--json", "--quiet"]) == 0
    rows = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert {"metric", "description", "parameter", "S1", "S1_conf", "ST", "ST_conf", "runs"} <= set(rows[0])
    saved = pd.read_csv(out / "indices.csv")
    assert len(saved) == len(rows) and saved["metric"].tolist() == [r["metric"] for r in rows]


# ------------------------------------------------------------------------------------------------ dask
def test_a_dask_cluster_without_live_workers_stops_with_a_message():
    distributed = pytest.importorskip("distributed")
    from sim.sweep import DaskPool, WorkersLost

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                  protocol="tcp", host="127.0.0.1") as cluster:
        pool = DaskPool(cluster.scheduler_address, worker_timeout=3.0)
        try:
            stream = pool.map(time.sleep, [0.2] + [5.0] * 4)
            first = next(stream)
            assert first == (0.2, None)
            cluster.scale(0)  # every worker gone
            t0 = time.monotonic()
            with pytest.raises(WorkersLost, match=r"no live worker at .* for 3 s; \d batch\(es\) not run"):
                for _ in stream:
                    pass
            assert time.monotonic() - t0 < 30
        finally:
            pool.close()


def test_the_local_pool_needs_no_dask(scenario_file, tmp_path):
    """With dask and distributed hidden (as if not installed), a pool sweep runs and imports neither, and
    --scheduler says how to install them."""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(textwrap.dedent("""
        import sys
        class _Hidden:
            def __init__(self, inner):
                self.inner = inner
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("dask", "distributed"):
                    return None
                return self.inner.find_spec(name, path, target)
            def __getattr__(self, name):
                return getattr(self.inner, name)
        sys.meta_path[:] = [_Hidden(f) if getattr(f, "__name__", "") == "PathFinder" else f for f in sys.meta_path]
    """))
    env = {**os.environ, "PYTHONPATH": f"{hide}{os.pathsep}{ROOT}"}
    argv = ["sweep", str(scenario_file), *PARAMS, "--method", "lhs", "--n", "4", "--workers", "1", "--out",
            str(tmp_path / "s"), "--quiet"]
    code = textwrap.dedent(f"""
        import sys
        from sim.cli import main
        rc = main({argv!r})
        from sim.sweep import LocalPool, warm_worker
        with LocalPool(1) as pool:
            (_, info), = pool.map(warm_worker, [None])
        loaded = [m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")]
        print(rc, info["dask_imported"], loaded)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout.strip().splitlines()[-1].split() == ["0", "False", "[]"], done.stderr
    rc = subprocess.run([sys.executable, "-m", "sim.cli", *sweep_argv(scenario_file, tmp_path / "d", "--scheduler",
                                                                      "tcp://127.0.0.1:8786")],
                        capture_output=True, text=True, env=env, timeout=120)
    assert rc.returncode == 2
    assert "pip install 'sahel-spillover[dask]'" in one_line_error(rc.stderr)


def _certificates(folder: Path) -> dict[str, Path]:
    """A private CA and one certificate for 127.0.0.1 signed by it (openssl)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=sweep-test-ca")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "host.key", "-out", "host.csr", "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", "host.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "host.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": folder / "ca.pem", "cert": folder / "host.pem", "key": folder / "host.key"}


def test_a_sweep_over_tls_as_the_readme_shows(scenario_file, tmp_path):
    """The README's TLS recipe end to end: a scheduler and worker that require TLS with certificates of a private
    CA; the sweep command (another process) configured by the DASK_DISTRIBUTED__COMM__TLS__* variables."""
    distributed = pytest.importorskip("distributed")
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make certificates")
    certs = _certificates(tmp_path)
    security = distributed.Security(tls_ca_file=str(certs["ca"]), tls_scheduler_cert=str(certs["cert"]),
                                    tls_scheduler_key=str(certs["key"]), tls_worker_cert=str(certs["cert"]),
                                    tls_worker_key=str(certs["key"]), tls_client_cert=str(certs["cert"]),
                                    tls_client_key=str(certs["key"]), require_encryption=True)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, protocol="tls",
                                  host="127.0.0.1", security=security, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        env = {**os.environ, "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(certs["ca"]),
               "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(certs["cert"]),
               "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(certs["key"]),
               "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "true"}
        argv = [sys.executable, "-m", "sim.cli", *sweep_argv(scenario_file, tmp_path / "s", "--scheduler", address,
                                                              "--batch", "2")]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        plain = subprocess.run([sys.executable, "-m", "sim.cli", *sweep_argv(
            scenario_file, tmp_path / "p", "--scheduler", address.replace("tls://", "tcp://"),
            "--worker-timeout", "5")], capture_output=True, text=True, timeout=300)
    assert len(pd.read_parquet(tmp_path / "s" / "results.parquet")) == 4
    assert plain.returncode == 2 and "cannot connect" in one_line_error(plain.stderr)  # no certificate, no entry
