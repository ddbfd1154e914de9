"""The run's writer process (sim.writerproc): the same files as the writer thread, and errors in the child reported
in the caller, naming the file, with nothing half-written left behind."""
from __future__ import annotations

import datetime as dt
import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
import xarray as xr

from sim import Scenario, run, writerproc
from sim.writerproc import ProcessWriter
from tests.test_runner import SMALL as RUNNER_SMALL

pytestmark = pytest.mark.skipif(not writerproc.available(), reason="no fork here: runs use the writer thread")

SMALL = {**RUNNER_SMALL, "output.geotiff_days": ["2013-01-01", "2014-06-30"]}  # two GeoTIFFs from the child


def _without_times(attrs: dict) -> dict:
    out = {k: v for k, v in attrs.items() if k not in ("history", "provenance")}
    prov = json.loads(attrs["provenance"])
    prov.pop("created")
    return {**out, "provenance": prov}


def test_the_process_writes_what_the_thread_writes(tmp_path, monkeypatch):
    scenario = Scenario().replace(**SMALL)
    monkeypatch.setenv(writerproc.ENV, "thread")
    a = run(scenario, tmp_path / "thread")
    monkeypatch.setenv(writerproc.ENV, "process")
    b = run(scenario, tmp_path / "process")
    names = sorted(p.name for p in a.out.iterdir())
    assert names == sorted(p.name for p in b.out.iterdir())
    assert "risk_2013-01-01.tif" in names and "risk_2014-06-30.tif" in names
    for name in ("countries.csv", "admin1.csv", "crossings.csv", "scenario.toml"):
        assert (a.out / name).read_bytes() == (b.out / name).read_bytes(), name
    with xr.open_dataset(a.out / "risk.nc") as x, xr.open_dataset(b.out / "risk.nc") as y:
        assert _without_times(x.attrs) == _without_times(y.attrs)
        x.attrs, y.attrs = {}, {}
        xr.testing.assert_identical(x, y)  # values, coordinates, variable attributes, encoding-decoded dtypes
    for name in ("risk_2013-01-01.tif", "risk_2014-06-30.tif"):
        with rasterio.open(a.out / name) as x, rasterio.open(b.out / name) as y:
            assert np.array_equal(x.read(), y.read(), equal_nan=True)
            px, py = dict(x.profile), dict(y.profile)
            assert np.isnan(px.pop("nodata")) and np.isnan(py.pop("nodata")) and px == py
            assert _without_times(x.tags()) == _without_times(y.tags())
    ma, mb = (json.loads((r.out / "run.json").read_text()) for r in (a, b))
    for m in (ma, mb):
        m.pop("created"), m.pop("seconds")
    assert ma == mb
    assert a.records == b.records


class _Consumer:
    """Writes a temporary file from its start; fails (or dies) at snapshot ``fail_at``; removes it on abort."""

    def __init__(self, folder: Path, fail_at=None, how="enospc"):
        self.folder, self.fail_at, self.how = folder, fail_at, how
        self.tmp = folder / ".out.tmp"
        self.n = 0

    def start(self):
        self.tmp.write_bytes(b"")

    def write(self, day, date, u):
        if self.n == self.fail_at:
            if self.how == "enospc":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.folder / "out.bin"))
            if self.how == "unpicklable":
                class Local(Exception):
                    pass
                raise Local("a local class cannot be pickled")
            if self.how == "die":
                os._exit(3)
        with open(self.tmp, "ab") as fh:
            fh.write(np.ascontiguousarray(u).tobytes())
        self.n += 1

    def finish(self):
        os.replace(self.tmp, self.folder / "out.bin")

    def abort(self, exc):
        self.tmp.unlink(missing_ok=True)


def _feed(writer, n=12, shape=(3, 4)):
    for k in range(n):
        writer.put(k, dt.date(2012, 1, 1) + dt.timedelta(days=k), np.full(shape, k, dtype=np.float32))


def test_snapshots_arrive_in_order_and_whole(tmp_path):
    writer = ProcessWriter(_Consumer(tmp_path), (3, 4), "float32", tmp_path / "out.bin", slots=2)
    _feed(writer, 12)
    writer.close()
    data = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=np.float32).reshape(12, 3, 4)
    assert [float(d[0, 0]) for d in data] == list(range(12)) and (data == data[:, :1, :1]).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


@pytest.mark.parametrize("how, kind, fragment", [
    ("enospc", OSError, "No space left"),
    ("unpicklable", RuntimeError, "Local: a local class cannot be pickled"),
    ("die", OSError, "writer process ended (exit code 3)"),
])
def test_an_error_in_the_child_is_raised_here_and_leaves_nothing(tmp_path, how, kind, fragment):
    writer = ProcessWriter(_Consumer(tmp_path, fail_at=2, how=how), (3, 4), "float32", tmp_path / "out.bin",
                           slots=2)
    with pytest.raises(kind, match=fragment.replace("(", r"\(").replace(")", r"\)")) as info:
        _feed(writer, 12)
        writer.close()
    if kind is OSError:
        assert info.value.filename == str(tmp_path / "out.bin")
    writer.abort(info.value)  # what the run does next: harmless once the child is gone
    assert not writer._proc.is_alive() and not (tmp_path / "out.bin").exists()  # nothing renamed into place
    if how != "die":  # a child killed outright cannot clean up: the run's folder guard does (test below)
        assert list(tmp_path.iterdir()) == []  # the temporary removed


def test_a_child_that_dies_mid_run_is_reported_and_the_folder_is_cleaned(tmp_path, monkeypatch):
    import sim.netcdf

    real = sim.netcdf.RiskNetCDF.append

    def dies(self, day, u):
        if day > 200:
            os._exit(9)
        real(self, day, u)

    monkeypatch.setattr(sim.netcdf.RiskNetCDF, "append", dies)
    with pytest.raises(OSError, match="writer process ended") as info:
        run(Scenario().replace(**SMALL), tmp_path / "out")
    assert info.value.filename.endswith("risk.nc")
    assert list(tmp_path.iterdir()) == []  # its temporary risk.nc removed with the folder


def test_an_abort_stops_the_child_and_removes_its_temporary(tmp_path):
    writer = ProcessWriter(_Consumer(tmp_path), (3, 4), "float32", tmp_path / "out.bin")
    _feed(writer, 3)
    writer.abort(KeyboardInterrupt())
    assert not writer._proc.is_alive() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", ["process", "thread"])
def test_a_failing_netcdf_append_leaves_no_folder_with_either_writer(tmp_path, monkeypatch, mode):
    import sim.netcdf

    def full(self, day, u):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setenv(writerproc.ENV, mode)
    monkeypatch.setattr(sim.netcdf.RiskNetCDF, "append", full)
    with pytest.raises(OSError, match="No space") as info:
        run(Scenario().replace(**SMALL), tmp_path / "out")
    assert info.value.filename.endswith("risk.nc")
    assert list(tmp_path.iterdir()) == []


def test_linux_runs_use_the_process_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(writerproc.ENV, raising=False)
    assert writerproc.available()
    monkeypatch.setenv(writerproc.ENV, "thread")
    assert not writerproc.available()


def test_the_kernel_leaves_a_core_to_the_writer_child(tmp_path, monkeypatch):
    """While the child writes, the kernel runs on one thread fewer than the usable cores (at least one), and the
    caller's thread count is back afterwards; the thread writer keeps every thread."""
    import numba

    import sim.kernel
    import sim.threads

    seen = []
    real = sim.kernel._advance

    class Spy:  # the numba dispatcher, with the thread count of each call noted
        def __call__(self, *args):
            seen.append(numba.get_num_threads())
            return real(*args)

    monkeypatch.setattr(sim.kernel, "_advance", Spy())
    monkeypatch.setattr(sim.kernel, "threads_for", lambda cells: _all_threads())
    before = numba.get_num_threads()
    monkeypatch.setattr(sim.threads, "usable_cores", lambda: before)
    run(Scenario().replace(**SMALL), tmp_path / "process")
    assert seen and set(seen) == {max(1, before - 1)}
    assert numba.get_num_threads() == before
    seen.clear()
    monkeypatch.setenv(writerproc.ENV, "thread")
    run(Scenario().replace(**SMALL), tmp_path / "thread")
    assert set(seen) == {before}


def _all_threads():
    import contextlib

    import numba

    return contextlib.nullcontext(numba.get_num_threads())


def test_beside_caps_and_restores_the_thread_count(monkeypatch):
    import numba

    import sim.threads

    before = numba.get_num_threads()
    monkeypatch.setattr(sim.threads, "usable_cores", lambda: 1)
    with sim.threads.beside(1) as n:
        assert n == numba.get_num_threads() == 1  # never fewer than one
    assert numba.get_num_threads() == before
    monkeypatch.setattr(sim.threads, "usable_cores", lambda: before + 4)
    with sim.threads.beside(1) as n:  # more cores than threads: the threads as they are
        assert n == before
    assert sim.threads.usable_cores() >= 1
