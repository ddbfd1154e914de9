"""Start-up and shut-down costs of a command (issue 12): numba's BLAS probe answered without scipy.linalg
(:mod:`geo.lazyblas`) and the collector frozen before the interpreter exits (:func:`sim.cli.quick_exit_gc`)."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from geo import lazyblas

ROOT = Path(__file__).resolve().parent.parent

FIRST_CALL = """
import sys
import numpy as np
from sim.sweep.reduce import UnitIndex, unit_sums
unit_sums(np.zeros((1, 2, 2), np.float32), UnitIndex.from_raster(np.array([[0, 1], [0, 1]])), 0.5)
import numba.np.arraymath
print("scipy.linalg" in sys.modules, numba.np.arraymath._HAVE_BLAS)
"""

LINALG = FIRST_CALL + """
from numba import njit

@njit
def dot(a, b):
    return np.dot(a, b)

@njit
def solve(a, b):
    return np.linalg.solve(a, b)

a = np.array([[3.0, 1.0], [1.0, 2.0]])
b = np.array([9.0, 8.0])
assert np.allclose(dot(a, b), a @ b) and np.allclose(solve(a, b), np.linalg.solve(a, b))
print("scipy.linalg.cython_blas" in sys.modules)
"""


def _python(code: str, **env) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_numba_starts_without_scipy_linalg_and_with_blas():
    assert _python(FIRST_CALL) == ["False", "True"]


def test_the_probe_as_shipped_imports_scipy_linalg():
    """The check above would catch the regression: with the probe left to numba, scipy.linalg is imported."""
    assert _python(FIRST_CALL, **{lazyblas.ENV: "eager"}) == ["True", "True"]


def test_numbas_linear_algebra_still_works_and_imports_scipy_when_compiled():
    assert _python(LINALG) == ["False", "True", "True"]


def _fake_linalg(calls):
    module = types.ModuleType("fake_linalg")

    def ensure_blas():
        calls.append("real")
        raise ImportError("scipy 0.16+ is required for linear algebra")

    module.ensure_blas = ensure_blas
    return module


def test_the_wrapper_answers_only_the_probe(monkeypatch):
    calls = []
    linalg = _fake_linalg(calls)
    lazyblas.patch(linalg)
    lazyblas.patch(linalg)  # idempotent: one wrapper
    assert linalg.ensure_blas.__wrapped__.__name__ == "ensure_blas" and not hasattr(linalg.ensure_blas.__wrapped__,
                                                                                      "__wrapped__")
    probing = types.ModuleType(lazyblas.PROBE_MODULE)  # numba.np.arraymath while it runs: no _HAVE_BLAS yet
    monkeypatch.setitem(sys.modules, lazyblas.PROBE_MODULE, probing)
    monkeypatch.setattr(lazyblas, "cython_blas_present", lambda: True)
    assert linalg.ensure_blas() is None and calls == []
    monkeypatch.setattr(lazyblas, "cython_blas_present", lambda: False)  # no SciPy: numba's own probe decides
    with pytest.raises(ImportError):
        linalg.ensure_blas()
    assert calls == ["real"]
    monkeypatch.setattr(lazyblas, "cython_blas_present", lambda: True)
    probing._HAVE_BLAS = True  # the probe is over: every later call is numba's (compiling np.dot, np.linalg)
    with pytest.raises(ImportError):
        linalg.ensure_blas()
    assert calls == ["real", "real"]


def test_cython_blas_is_found_on_disk():
    assert lazyblas.cython_blas_present()


def test_install_is_off_when_asked_or_too_late(monkeypatch):
    monkeypatch.setenv(lazyblas.ENV, "eager")
    assert lazyblas.install() is False
    monkeypatch.delenv(lazyblas.ENV)
    monkeypatch.setitem(sys.modules, lazyblas.PROBE_MODULE, types.ModuleType(lazyblas.PROBE_MODULE))
    assert lazyblas.install() is False


def test_run_main_freezes_the_collector_before_exiting(monkeypatch):
    import sim.cli

    monkeypatch.setattr(sim.cli, "main", lambda argv=None: 3)
    try:
        with pytest.raises(SystemExit) as exit_:
            sim.cli.run_main()
        assert exit_.value.code == 3
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_command_in_a_fresh_interpreter_prints_everything_and_keeps_its_status(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sim.cli", "--version"], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("spillover (sahel-spillover) ")
    out = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(tmp_path / "missing.toml"), "--out",
                          str(tmp_path / "run")], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2 and "missing.toml" in out.stderr
