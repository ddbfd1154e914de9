"""Property tests of the model kernel (sim/kernel.py) over random grids, masks, weights, fields and blocks.

Hypothesis draws the sizes, counts and switches; the field values come from a numpy generator seeded by a drawn
integer (numerical arrays shrink poorly and the properties do not depend on particular values).
"""
from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.threads
from sim.faces import Faces
from sim.kernel import advance, advance_numpy, prepare, stable_dt, step_bound
from sim.rates import fill_rate, rate_numpy

pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw, max_side=70):
    """A random ensemble problem under the stability bound (safety 0.9) and its capacity M."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m = draw(st.integers(1, 3))
    ny = draw(st.integers(1, max_side))
    nx = draw(st.integers(1, 2 * max_side + 10))
    n = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    open_share = draw(st.sampled_from([0.0, 0.3, 1.0]))  # closed borders, mixed, all open
    blocky = draw(st.booleans())  # countries as blocks (long uniform runs) or salt and pepper
    capacity = draw(st.sampled_from([1.0, 0.3, 4.0]))
    shared_q = draw(st.booleans())
    if blocky:
        cid = np.zeros((ny, nx), np.uint8)
        for _ in range(2 * n):
            y0, x0 = rng.integers(0, ny), rng.integers(0, nx)
            cid[y0:y0 + rng.integers(1, ny + 1), x0:x0 + rng.integers(1, nx + 1)] = rng.integers(0, n + 1)
    else:
        cid = rng.integers(0, n + 1, (ny, nx)).astype(np.uint8)
    perm = np.zeros((n + 1, n + 1))
    a = rng.uniform(0, 1, (n, n)) * (rng.random((n, n)) < open_share)
    perm[1:, 1:] = np.maximum(a, a.T)
    np.fill_diagonal(perm[1:, 1:], np.where(rng.random(n) < 0.8, 1.0, rng.uniform(0.2, 1.5, n)))
    faces = Faces.from_ids(cid, perm)
    q = rng.uniform(0, 3, (1 if shared_q else m, ny, nx)) * (rng.random((1, ny, nx)) < 0.9)
    l = q * capacity - rng.uniform(0, 3, (m, ny, nx)) * (rng.random((m, ny, nx)) < 0.6)  # l <= q M
    kappa = rng.uniform(0.1, 5, m)
    dx = rng.uniform(0.5, 5)
    dt = min(1.0, stable_dt(kappa, dx, faces.face_sum, l, q, capacity))  # inf when nothing limits it
    u0 = rng.uniform(0, capacity, (m, ny, nx))
    u0[:, rng.random((ny, nx)) < 0.1] = capacity
    return prepare(u0, faces, kappa, dx, dt, l, q, dtype=dtype), capacity


def fresh(args):
    return args._replace(u=args.u.copy(), buf=args.buf.copy())


@SETTINGS
@given(case=cases(), nsteps=st.integers(0, 12))
def test_numba_equals_numpy_reference(case, nsteps):
    args, _ = case
    got = advance(*fresh(args), nsteps=nsteps, block=1)
    ref = advance_numpy(*fresh(args), nsteps=nsteps)
    np.testing.assert_allclose(got, ref, rtol=0, atol=4 * np.finfo(args.u.dtype).eps)


@SETTINGS
@given(case=cases(), nsteps=st.integers(1, 25), block=st.integers(2, 9), threads=st.sampled_from([1, 2]))
def test_temporal_blocking_is_bit_identical(case, nsteps, block, threads):
    args, _ = case
    plain = advance(*fresh(args), nsteps=nsteps, block=1)
    old, old_min = numba.get_num_threads(), sim.threads.CELLS_PER_THREAD
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    sim.threads.CELLS_PER_THREAD = 1  # really use the threads, even on tiny grids: strips thinner than the halo
    try:
        blocked = advance(*fresh(args), nsteps=nsteps, block=block)
    finally:
        numba.set_num_threads(old)
        sim.threads.CELLS_PER_THREAD = old_min
    assert np.array_equal(blocked, plain)


@SETTINGS
@given(case=cases(), nsteps=st.integers(1, 60))
def test_zero_to_capacity_is_invariant_under_stable_dt(case, nsteps):
    args, capacity = case
    assert step_bound(args.faces, args.coef, args.L, args.Q, capacity) <= 0.9 * (1 + 1e-5)
    out = advance(*fresh(args), nsteps=nsteps)
    assert out.min() >= 0 and out.max() <= capacity
    assert np.all(out[:, args.faces.inside == 0] == 0)


@SETTINGS
@given(case=cases(), nsteps=st.integers(1, 60))
def test_pure_diffusion_conserves_each_members_mass(case, nsteps):
    args, _ = case
    a = args._replace(u=args.u.astype(np.float64), buf=args.buf.astype(np.float64),
                      coef=args.coef.astype(np.float64), L=np.zeros(args.L.shape), Q=np.zeros(args.Q.shape))
    mass0 = a.u.sum(axis=(1, 2))
    out = advance(*a, nsteps=nsteps)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), mass0, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 4), nf=st.integers(1, 4), n_units=st.integers(1, 30),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_fill_rate_equals_its_numpy_reference(seed, m, nf, n_units, dtype):
    rng = np.random.default_rng(seed)
    ny, nx = rng.integers(1, 40, 2)
    unit = rng.integers(0, n_units, (ny, nx)).astype(np.int32)
    tables = rng.normal(size=(m, nf, n_units))
    fields = rng.random((nf, ny, nx)).astype(dtype)
    dt = float(rng.uniform(0.01, 2))
    out = fill_rate(np.empty((m, ny, nx), dtype), unit, tables, fields, dt)
    assert np.array_equal(out, rate_numpy(out.shape, dtype, unit, tables, fields, dt))
