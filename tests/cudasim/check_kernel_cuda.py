"""The numba.cuda kernel (sim/kernel_cuda.py) under numba's CUDA simulator, against the numpy reference.

Run only in a process started with NUMBA_ENABLE_CUDASIM=1 (before numba is imported): tests/test_kernel_cuda.py
does that, so `make test` and CI run these without a GPU. The simulator runs every thread in Python, so the grids
are small. Its file name keeps the main test run from collecting it.
"""
from __future__ import annotations

import datetime as dt
import os
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") != "1",
                                reason="needs NUMBA_ENABLE_CUDASIM=1 before numba is imported")


def small_case(rng, m, ny, nx, dtype, shared_q=False):
    from sim.faces import Faces
    from sim.kernel import prepare, stable_dt

    cid = rng.integers(0, 3, (ny, nx)).astype(np.uint8)
    cid[1:-1, 1:-1] = np.maximum(cid[1:-1, 1:-1], 1)
    perm = np.array([[0, 0, 0], [0, 1, 0.4], [0, 0.4, 0.8]])
    faces = Faces.from_ids(cid, perm)
    q = rng.uniform(0, 1, (1 if shared_q else m, ny, nx))
    l = q - rng.uniform(0, 1.5, (m, ny, nx))
    kappa = rng.uniform(0.5, 2, m)
    dt_ = stable_dt(kappa, 1.0, faces.face_sum, l, q)
    return prepare(rng.uniform(0, 1, (m, ny, nx)), faces, kappa, 1.0, dt_, l, q, dtype=dtype)


def test_simulator_is_on():
    from numba import cuda

    from sim.kernel_cuda import available

    from numba.core import config

    assert config.ENABLE_CUDASIM and cuda.is_available() and available()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shared_q", [False, True])
def test_cuda_kernel_equals_numpy_reference(dtype, shared_q):
    from sim.kernel import advance_numpy
    from sim.kernel_cuda import advance_cuda

    rng = np.random.default_rng(0)
    args = small_case(rng, m=2, ny=7, nx=37, dtype=dtype, shared_q=shared_q)  # 37 columns: a partial block
    ref = advance_numpy(args.u.copy(), args.buf.copy(), *args[2:], nsteps=5)
    got = advance_cuda(args.u.copy(), args.buf.copy(), *args[2:], nsteps=5)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref, rtol=0, atol=4 * np.finfo(dtype).eps)
    assert np.all(got[:, args.faces.inside == 0] == 0) and np.ptp(got) > 0.05


def test_device_run_keeps_state_and_takes_new_rates():
    from sim.kernel import advance_numpy
    from sim.kernel_cuda import DeviceRun

    rng = np.random.default_rng(1)
    args = small_case(rng, m=1, ny=5, nx=9, dtype=np.float64)
    run = DeviceRun(args.u, args.faces, args.coef, args.L, args.Q)
    run.advance(2)
    L2 = args.L * 0.5
    run.set_rates(L=L2)
    run.advance(3)
    u, buf = args.u.copy(), args.buf.copy()
    mid = advance_numpy(u, buf, *args[2:], nsteps=2)
    ref = advance_numpy(mid, buf if mid is u else u, args.faces, args.coef, L2, args.Q, nsteps=3)
    np.testing.assert_allclose(run.state(), ref, rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="must stay"):
        run.set_rates(L=np.zeros((2, 5, 9)))


def test_integrate_on_cuda_equals_cpu():
    """The model loop with numerics.device = "cuda" gives the CPU's snapshots (simulator: the same arithmetic)."""
    from sim.forcing import Forcing
    from sim.model import integrate

    ny, nx = 6, 10
    cid = np.ones((ny, nx), np.uint8)
    cid[:, 5:] = 2
    cid[0, :3] = 0
    grid = SimpleNamespace(country_id=cid, cell_km=10.0)
    u0 = np.zeros((ny, nx))
    u0[2:4, 1:3] = 0.6
    start = dt.date(2012, 1, 1)
    perm = np.array([[0, 0, 0], [0, 1, 0.5], [0, 0.5, 1]])
    p = np.where(cid > 0, np.linspace(0.3, 0.9, nx)[None, :], 0.0)
    sigma = np.zeros((ny, nx), np.float32)
    sigma[1:4, 1:4] = 0.02  # a garrison arrives on day 7
    forcing = Forcing(kappa=6.0, perm=perm, p=p, delta=0.001, u0=u0, country_id=cid,
                      changes=((start, np.array([0, 0.01, 0.02]), np.zeros((ny, nx), np.float32)),
                               (start + dt.timedelta(days=7), np.array([0, 0.01, 0.02]), sigma)))
    snaps = {}
    for device in ("cpu", "cuda"):
        got = []
        integrate([forcing, forcing], grid, start, 12, 5, lambda d, date, u, s: got.append(u.copy()),
                  dtype="float64", device=device)
        snaps[device] = np.stack(got)
    assert snaps["cpu"].shape == (4, 2, ny, nx)  # days 0, 5, 10, 12
    np.testing.assert_allclose(snaps["cuda"], snaps["cpu"], rtol=0, atol=1e-14)
    assert np.ptp(snaps["cpu"][-1]) > 0.1
