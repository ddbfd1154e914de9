"""The CUDA path (sim/kernel_cuda.py): its checks under numba's CUDA simulator in a separate process, and the
clear error where no GPU is available.

NUMBA_ENABLE_CUDASIM must be set before numba is first imported, so the simulator checks
(tests/cudasim/check_kernel_cuda.py) run in a child pytest process; this test fails if any of them fails.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from geo.errors import SpilloverError

ROOT = Path(__file__).resolve().parents[1]


def test_cuda_kernel_under_the_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "cudasim" / "check_kernel_cuda.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-2000:]


def test_cuda_device_without_a_gpu_is_a_clear_error(monkeypatch):
    import sim.kernel_cuda
    from sim.forcing import Forcing
    from sim.model import integrate

    monkeypatch.setattr(sim.kernel_cuda, "available", lambda: False)
    grid = SimpleNamespace(country_id=np.ones((3, 4), np.uint8), cell_km=10.0)
    cid = np.ones((3, 4), np.uint8)
    f = Forcing(kappa=1.0, perm=np.array([[0, 0], [0, 1.0]]), p=np.full((3, 4), 0.5), delta=0.0,
                changes=((dt.date(2012, 1, 1), np.array([0, 0.01]), np.zeros((3, 4), np.float32)),),
                u0=np.zeros((3, 4)), country_id=cid)
    with pytest.raises(SpilloverError, match="numerics.device = 'cuda'.*set numerics.device = 'cpu'"):
        integrate([f], grid, dt.date(2012, 1, 1), 3, 1, lambda *a: None, device="cuda")


def test_cuda_is_unavailable_here_unless_a_gpu_is():
    from sim.kernel_cuda import available

    assert isinstance(available(), bool)  # never raises, GPU or not
