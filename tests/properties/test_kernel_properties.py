"""Property tests of the reaction-diffusion kernel (sim/kernel.py) over random grids, masks, tables and blocks.

Hypothesis draws the sizes, counts and switches; the field values come from a numpy generator seeded by a drawn
integer (numerical arrays shrink poorly and the properties do not depend on particular values).
"""
from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.kernel
from sim.kernel import advance, advance_numpy, prepare, stable_dt

pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw, max_side=70):
    """A random ensemble problem under the stability bound (safety 0.9)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m = draw(st.integers(1, 3))
    ny = draw(st.integers(1, max_side))
    nx = draw(st.integers(1, 2 * max_side + 10))
    n = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    open_share = draw(st.sampled_from([0.0, 0.3, 1.0]))  # closed borders, mixed, all open
    blocky = draw(st.booleans())  # countries as blocks (long uniform runs) or salt and pepper
    if blocky:
        cid = np.zeros((ny, nx), np.uint8)
        for _ in range(2 * n):
            y0, x0 = rng.integers(0, ny), rng.integers(0, nx)
            cid[y0:y0 + rng.integers(1, ny + 1), x0:x0 + rng.integers(1, nx + 1)] = rng.integers(0, n + 1)
    else:
        cid = rng.integers(0, n + 1, (ny, nx)).astype(np.uint8)
    perm = np.zeros((m, n + 1, n + 1))
    for k in range(m):
        a = rng.uniform(0, 1, (n, n)) * (rng.random((n, n)) < open_share)
        perm[k, 1:, 1:] = np.maximum(a, a.T)
        np.fill_diagonal(perm[k, 1:, 1:], np.where(rng.random(n) < 0.8, 1.0, rng.uniform(0.2, 1.5, n)))
    r = rng.uniform(0, 3, (m, n + 1))
    sigma = rng.uniform(0, 3, (m, n + 1)) * (rng.random((m, n + 1)) < 0.5)
    kappa = rng.uniform(0.1, 5, m)
    dx = rng.uniform(0.5, 5)
    dt = stable_dt(kappa, dx, r.max(), sigma.max(), perm.max())
    u0 = rng.uniform(0, 1, (m, ny, nx))
    u0[:, rng.random((ny, nx)) < 0.1] = 1.0
    return prepare(u0, cid, perm, r, sigma, kappa, dx, dt, dtype=dtype)


def fresh(args):
    return args._replace(u=args.u.copy(), buf=args.buf.copy())


@SETTINGS
@given(args=cases(), nsteps=st.integers(0, 12))
def test_numba_equals_numpy_reference(args, nsteps):
    got = advance(*fresh(args), nsteps=nsteps, block=1)
    ref = advance_numpy(*fresh(args), nsteps=nsteps)
    np.testing.assert_allclose(got, ref, rtol=0, atol=4 * np.finfo(args.u.dtype).eps)


@SETTINGS
@given(args=cases(), nsteps=st.integers(1, 25), block=st.integers(2, 9), threads=st.sampled_from([1, 2]))
def test_temporal_blocking_is_bit_identical(args, nsteps, block, threads):
    plain = advance(*fresh(args), nsteps=nsteps, block=1)
    old, old_min = numba.get_num_threads(), sim.kernel._CELLS_PER_THREAD
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    sim.kernel._CELLS_PER_THREAD = 1  # really use the threads, even on tiny grids: strips thinner than the halo
    try:
        blocked = advance(*fresh(args), nsteps=nsteps, block=block)
    finally:
        numba.set_num_threads(old)
        sim.kernel._CELLS_PER_THREAD = old_min
    assert np.array_equal(blocked, plain)


@SETTINGS
@given(args=cases(), nsteps=st.integers(1, 60))
def test_unit_interval_is_invariant_under_stable_dt(args, nsteps):
    out = advance(*fresh(args), nsteps=nsteps)
    assert out.min() >= 0 and out.max() <= 1
    assert np.all(out[:, args.cid == 0] == 0)


@SETTINGS
@given(args=cases(), nsteps=st.integers(1, 60))
def test_pure_diffusion_conserves_each_members_mass(args, nsteps):
    a = fresh(args)._replace(u=args.u.astype(np.float64), buf=args.buf.astype(np.float64),
                             perm=args.perm.astype(np.float64), coef=args.coef.astype(np.float64),
                             r_tab=np.zeros(args.r_tab.shape), sigma_tab=np.zeros(args.sigma_tab.shape))
    mass0 = a.u.sum(axis=(1, 2))
    out = advance(*a, nsteps=nsteps)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), mass0, rtol=1e-12, atol=1e-12)
