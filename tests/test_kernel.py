"""Analytic and reference checks of the model kernel (sim/kernel.py), its face weights (sim/faces.py) and reaction
fields (sim/rates.py).

Every test here fails if the feature it names breaks: the numba kernel against the numpy reference, conservation,
the diffusive spread 4 kappa t, a Fourier mode's decay, the logistic ODE, closed borders, the Fisher-KPP front speed
2 sqrt(r kappa), the [0, M] bound and the sharpness of stable_dt, determinism, ensembles, shared fields, temporal
blocking, dtypes, the frozen baseline kernel computing the same model, and validation.
"""
from __future__ import annotations

import math
import sys
from contextlib import contextmanager
from pathlib import Path

import numba
import numpy as np
import pytest

from sim.faces import INTERIOR, OUTSIDE, WEIGHTED, Faces, faces_for
from sim.kernel import (
    advance,
    advance_numpy,
    fisher_kpp_advance,
    fisher_kpp_advance_numpy,
    prepare,
    stable_dt,
    step_bound,
    substeps,
)
from sim.rates import fill_rate, rate_numpy

ONE = [[0, 0], [0, 1]]  # perm table of a single country


@contextmanager
def threads(n):
    old = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def blob_mask(rng, ny, nx, n_countries=3):
    """An irregular mask: countries as unions of random discs (ids 1..n), holes and a ragged coast of zeros."""
    yy, xx = np.mgrid[:ny, :nx]
    cid = np.zeros((ny, nx), np.uint8)
    for c in range(1, n_countries + 1):
        for _ in range(4):
            cy, cx, rad = rng.uniform(0, ny), rng.uniform(0, nx), rng.uniform(0.15, 0.35) * min(ny, nx)
            cid[(yy - cy) ** 2 + (xx - cx) ** 2 < rad**2] = c
    cid[rng.random((ny, nx)) < 0.02] = 0  # scattered holes: single unmodelled cells inside countries
    return cid


def random_perm(rng, n, diag_one=True):
    perm = np.zeros((n + 1, n + 1))
    a = rng.uniform(0, 1, (n, n))
    perm[1:, 1:] = (a + a.T) / 2
    np.fill_diagonal(perm[1:, 1:], 1.0 if diag_one else rng.uniform(0.5, 1.0, n))
    return perm


def random_case(rng, m=3, ny=60, nx=210, n=3, dtype=np.float64, capacity=1.0, shared_q=False, diag_one=True):
    """Random mask and perm, per-member kappa, per-cell l (either sign) and q with l <= q M; dt from stable_dt."""
    cid = blob_mask(rng, ny, nx, n)
    faces = Faces.from_ids(cid, random_perm(rng, n, diag_one))
    q = rng.uniform(0, 2, (1 if shared_q else m, ny, nx))
    l = q * capacity - rng.uniform(0, 3, (m, ny, nx))  # l <= q M, often negative
    kappa = rng.uniform(0.5, 3.0, m)
    dx = 2.0
    dt = min(1.0, stable_dt(kappa, dx, faces.face_sum, l, q, capacity))  # inf when nothing limits it
    return prepare(rng.uniform(0, capacity, (m, ny, nx)), faces, kappa, dx, dt, l, q, dtype=dtype)


def fresh(args):
    return args._replace(u=args.u.copy(), buf=args.buf.copy())


# ------------------------------------------------------------------------------------------------------------
# face weights
# ------------------------------------------------------------------------------------------------------------


def test_faces_from_ids_and_runs():
    ids = np.array([[1, 1, 1, 2, 0], [1, 1, 1, 2, 2]], np.uint8)
    perm = np.array([[0, 0, 0], [0, 1, 0.5], [0, 0.5, 1]])
    f = Faces.from_ids(ids, perm)
    assert f.xface.shape == (2, 6) and f.yface.shape == (3, 5)
    assert f.xface[0].tolist() == [0, 1, 1, 0.5, 0, 0]  # edge, 1|1, 1|1, 1|2, 2|outside, edge
    assert f.yface[:, 4].tolist() == [0, 0, 0]  # north edge, outside|2, south edge
    assert f.yface[1].tolist() == [1, 1, 1, 1, 0]
    assert f.face_sum[1, 3] == 0.5 + 1 + 1 + 0  # west border 1|2, east 2|2, north 2|2, south edge
    # every face counted once: the sum of the face sums is twice the sum of the weights
    assert f.face_sum.sum() == pytest.approx(2 * (f.xface.sum() + f.yface.sum()))
    assert faces_for(ids, perm) is faces_for(ids.copy(), perm.copy())  # cached on content


def test_runs_cover_each_row_once_with_the_right_kinds():
    rng = np.random.default_rng(0)
    cid = blob_mask(rng, 50, 300)
    cid[:, 100:140] = 1  # a long interior run
    cid[5:45, 200:260] = 0  # a long outside run
    f = Faces.from_ids(cid, random_perm(rng, 3))
    kinds = set()
    for i in range(f.shape[0]):
        r0, r1 = f.row_runs[i], f.row_runs[i + 1]
        cols = np.concatenate([np.arange(f.run_start[r], f.run_stop[r]) for r in range(r0, r1)])
        assert cols.tolist() == list(range(1, f.shape[1] - 1))  # columns 1..nx-2, in order, once
        for r in range(r0, r1):
            seg = slice(f.run_start[r], f.run_stop[r])
            kind = f.run_kind[r]
            kinds.add(int(kind))
            if kind == INTERIOR:
                assert np.all(f.face_sum[i, seg] == 4) and np.all(f.inside[i, seg])
            elif kind == OUTSIDE:
                assert not np.any(f.inside[i, seg])
    assert kinds == {INTERIOR, WEIGHTED, OUTSIDE}


def test_faces_validation():
    ids = np.ones((3, 3), np.uint8)
    with pytest.raises(ValueError, match="symmetric"):
        Faces.from_ids(ids, [[0, 0, 0], [0, 1, 0.2], [0, 0.3, 1]])
    with pytest.raises(ValueError, match="perm\\[0"):
        Faces.from_ids(ids, [[0, 0.1], [0.1, 1]])
    with pytest.raises(ValueError, match="ids must lie"):
        Faces.from_ids(ids * 5, ONE)
    good = Faces.from_ids(ids, ONE)
    bad_x = good.xface.copy()
    bad_x[0, 0] = 1
    with pytest.raises(ValueError, match="grid edge"):
        Faces.from_weights(bad_x, good.yface, good.inside)
    inside = good.inside.copy()
    inside[1, 1] = 0
    with pytest.raises(ValueError, match="outside the mask"):
        Faces.from_weights(good.xface, good.yface, inside)


# ------------------------------------------------------------------------------------------------------------
# numba against the numpy reference
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shared_q", [False, True])
def test_numba_matches_numpy_reference(dtype, shared_q):
    rng = np.random.default_rng(1)
    args = random_case(rng, dtype=dtype, shared_q=shared_q, diag_one=not shared_q)
    assert len(set(args.coef.tolist())) == 3 and (args.Q.shape[0] == 1) == shared_q
    got = advance(*fresh(args), nsteps=41, block=1)
    ref = advance_numpy(*fresh(args), nsteps=41)
    assert got.dtype == ref.dtype == dtype
    np.testing.assert_allclose(got, ref, rtol=0, atol=4 * np.finfo(dtype).eps)  # same operations, same order
    assert np.all(got[:, args.faces.inside == 0] == 0)
    assert np.ptp(got[:, args.faces.inside > 0]) > 0.1  # something happened
    cells = args.faces.run_cells()
    assert cells["weighted"] and cells["outside"]
    assert bool(cells["interior"]) == (not shared_q)  # perm[c, c] < 1 everywhere in the shared-Q case: no interior


def test_numba_matches_numpy_on_tiny_and_odd_grids():
    rng = np.random.default_rng(2)
    for ny, nx in [(1, 1), (1, 7), (5, 1), (2, 2), (3, 66), (4, 131), (40, 3)]:
        cid = rng.integers(0, 4, (ny, nx)).astype(np.uint8)
        cid[0, 0] = 1
        faces = Faces.from_ids(cid, random_perm(rng, 3))
        q = rng.uniform(0, 1, (2, ny, nx))
        l = q - rng.uniform(0, 1, (2, ny, nx))
        args = prepare(rng.uniform(0, 1, (2, ny, nx)), faces, [1.0, 2.0], 1.0,
                       stable_dt(2.0, 1.0, faces.face_sum, l, q), l, q, dtype=np.float64)
        got = advance(*fresh(args), nsteps=5, block=1)
        ref = advance_numpy(*fresh(args), nsteps=5)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-14, err_msg=f"{ny}x{nx}")


def test_outside_cells_are_zero_whatever_u_holds_there():
    rng = np.random.default_rng(3)
    args = random_case(rng, m=1, ny=30, nx=80)
    u = args.u.copy()
    u[:, args.faces.inside == 0] = 7.0  # finite garbage outside the mask: never used, set to 0
    out = advance(u, args.buf.copy(), *args[2:], nsteps=3, block=1)
    ref = advance(*fresh(args), nsteps=3, block=1)
    assert np.array_equal(out, ref)


# ------------------------------------------------------------------------------------------------------------
# analytic checks: conservation, spread, Fourier mode, logistic ODE, borders, front speed
# ------------------------------------------------------------------------------------------------------------


def test_pure_diffusion_conserves_mass_on_irregular_mask():
    rng = np.random.default_rng(3)
    args = random_case(rng, m=2, ny=80, nx=150, dtype=np.float64)
    args.L[...] = 0
    args.Q[...] = 0
    mass0 = args.u.sum(axis=(1, 2))
    std0 = args.u[:, args.faces.inside > 0].std()
    out = advance(*args, nsteps=400)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), mass0, rtol=1e-12)
    assert out[:, args.faces.inside > 0].std() < 0.5 * std0  # it did diffuse


def test_gaussian_second_moment_grows_as_4_kappa_t():
    kappa, dx, dt = 3.0, 2.0, 0.25  # km²/day, km, days: coef = 0.1875
    n = 241
    y, x = (np.mgrid[:n, :n] - n // 2) * dx
    s0 = 8.0  # km
    u0 = 0.5 * np.exp(-(x**2 + y**2) / (2 * s0**2))
    args = prepare(u0, faces_for(np.ones((n, n), np.uint8), ONE), kappa, dx, dt, dtype=np.float64)

    def second_moment(u):
        return float(((x**2 + y**2) * u[0]).sum() / u[0].sum())

    m0 = second_moment(args.u)
    out = advance(*args, nsteps=400)
    assert second_moment(out) - m0 == pytest.approx(4 * kappa * 400 * dt, rel=1e-3)


def test_fourier_mode_decays_at_the_discrete_rate():
    """cos(2 pi p (i + 1/2) / n) with zero-flux edges is an eigenmode of the discrete Laplacian: one step multiplies
    it by exactly 1 - 4 coef sin²(pi p / (2 n)); over many steps that is exp(-kappa k² t) to O(dx²)."""
    ny, nx, p = 5, 96, 3
    kappa, dx, dt = 2.0, 1.0, 0.1
    coef = kappa * dt / dx**2
    xc = np.arange(nx) + 0.5
    mode = np.cos(2 * np.pi * p * xc / (2 * nx))  # p half-waves across the strip: zero slope at both edges
    args = prepare(np.broadcast_to(0.5 + 0.25 * mode, (ny, nx)), faces_for(np.ones((ny, nx), np.uint8), ONE),
                   kappa, dx, dt, dtype=np.float64)
    nsteps = 500
    out = advance(*args, nsteps=nsteps)[0, 2]
    amplitude = (out - 0.5) @ mode / (mode @ mode)
    factor = 1 - 4 * coef * math.sin(math.pi * p / (2 * nx)) ** 2
    assert amplitude == pytest.approx(0.25 * factor**nsteps, rel=1e-9)
    k = math.pi * p / (nx * dx)
    assert amplitude == pytest.approx(0.25 * math.exp(-kappa * k**2 * nsteps * dt), rel=1e-3)
    assert out.mean() == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("capacity", [1.0, 0.4])
def test_logistic_ode_in_a_uniform_field(capacity):
    """No gradients: every cell follows du/dt = u (l - q u) with l = r, q = r / K, whose solution is
    K / (1 + (K / u0 - 1) e^(-r t)); explicit Euler converges to it at first order in dt."""
    r, u0, t_end = 0.8, 0.05, 6.0
    faces = faces_for(np.ones((6, 40), np.uint8), ONE)
    exact = capacity / (1 + (capacity / u0 - 1) * math.exp(-r * t_end))
    errors = []
    for nsteps in (600, 1200):
        dt = t_end / nsteps
        args = prepare(np.full((6, 40), u0), faces, 1.0, 1.0, dt, l=r, q=r / capacity, dtype=np.float64)
        out = advance(*args, nsteps=nsteps)
        assert np.ptp(out) == 0  # uniform stays uniform
        errors.append(abs(float(out[0, 0, 0]) - exact))
    assert errors[1] < 0.6 * errors[0] and errors[1] < 2e-3 * capacity  # first order, and close


def test_nothing_crosses_a_closed_border():
    ny, nx = 40, 140
    cid = np.ones((ny, nx), np.uint8)
    cid[:, 70:] = 2
    cid[:5, :] = 0  # an unmodelled strip along the top: nothing may enter it either
    u0 = np.zeros((ny, nx))
    u0[:, 60:70] = 1.0
    r, sigma = 0.5, 0.1
    for open_, crosses in ((0.0, False), (0.5, True)):
        perm = np.array([[0, 0, 0], [0, 1, open_], [0, open_, 1]])
        args = prepare(u0, Faces.from_ids(cid, perm), 2.0, 1.0, 0.1, l=r - sigma, q=r, dtype=np.float32)
        out = advance(*args, nsteps=500)[0]
        assert np.all(out[cid == 0] == 0)
        assert out[cid == 1].min() > 0.1  # the west side filled up
        assert (out[cid == 2].max() > 0.1) if crosses else np.all(out[cid == 2] == 0)


def test_fisher_kpp_front_speed():
    """A pulled front from a step: its position is 2 sqrt(r kappa) t - 3 / (2 lambda) ln t + const (Bramson),
    lambda = sqrt(r / kappa). Measured on a strip with dx = sqrt(kappa / r) / 10."""
    r, kappa, dx = 1.0, 1.0, 0.1
    c_star, lam = 2 * math.sqrt(r * kappa), math.sqrt(r / kappa)
    nx = 1800
    xc = (np.arange(nx) + 0.5) * dx
    faces = faces_for(np.ones((1, nx), np.uint8), ONE)
    dt = stable_dt(kappa, dx, faces.face_sum, r, r)
    args = prepare(np.where(xc < 5.0, 1.0, 0.0)[None, :], faces, kappa, dx, dt, l=r, q=r, dtype=np.float64)

    def front(row):
        k = int(np.argmax(row < 0.5))
        return xc[k - 1] + (row[k - 1] - 0.5) / (row[k - 1] - row[k]) * dx

    u, buf, t, pos = args.u, args.buf, 0.0, {}
    for t_target in (20.0, 60.0):
        n = round((t_target - t) / dt)
        out = advance(u, buf, *args[2:], nsteps=n)
        u, buf = (out, u) if out is buf else (u, buf)
        t += n * dt
        pos[t] = front(u[0, 0])
    (t1, x1), (t2, x2) = pos.items()
    assert u[0, 0, -1] < 1e-12
    raw = (x2 - x1) / (t2 - t1)
    assert raw == pytest.approx(c_star, rel=0.05)
    assert raw + 1.5 / lam * math.log(t2 / t1) / (t2 - t1) == pytest.approx(c_star, rel=0.01)


# ------------------------------------------------------------------------------------------------------------
# the [0, M] bound, stable_dt and step_bound
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("capacity", [1.0, 2.5])
def test_u_stays_in_zero_to_capacity_under_the_bound(dtype, capacity):
    rng = np.random.default_rng(4)
    for trial in range(3):
        args = random_case(rng, m=2, ny=50, nx=140, dtype=dtype, capacity=capacity, diag_one=trial != 1)
        assert step_bound(args.faces, args.coef, args.L, args.Q, capacity) <= 0.9 + 1e-6
        u = rng.uniform(0, capacity, args.u.shape).astype(dtype)
        u[:, rng.random(u.shape[1:]) < 0.2] = capacity  # plenty of exact 0s and Ms next to each other
        u[:, rng.random(u.shape[1:]) < 0.2] = 0.0
        buf = np.empty_like(u)
        for _ in range(10):
            out = advance(u, buf, *args[2:], nsteps=7)
            u, buf = (out, u) if out is buf else (u, buf)
            assert u.min() >= 0 and u.max() <= capacity


def one_step(u0, l, q, kappa, dt):
    faces = faces_for(np.ones(u0.shape, np.uint8), ONE)
    return advance(*prepare(u0, faces, kappa, 1.0, dt, l, q, dtype=np.float64), nsteps=1)[0]


def test_stable_dt_is_the_bound_and_the_bound_is_sharp():
    kappa = 2.0
    assert stable_dt(kappa, 1.0, 4.0, 3.0, 3.0, safety=1.0) == pytest.approx(1 / (8 + 3))
    assert stable_dt(kappa, 1.0, 2.0, -3.0, 1.0, safety=0.9) == pytest.approx(0.9 / (4 + 1 + 3))
    assert stable_dt(np.array([1.0, kappa]), 1.0, 4.0, 0, 0, safety=1.0) == pytest.approx(1 / 8)
    assert stable_dt(0.0, 1.0, 4.0, 0.0, 0.0) == math.inf
    # per cell, not worst face sum plus worst rate: a fast reaction where the face sum is small
    assert stable_dt(1.0, 1.0, np.array([4.0, 1.0]), 0.0, np.array([0.0, 3.0]), safety=1.0) == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match="l > q M"):
        stable_dt(1.0, 1.0, 4.0, 2.0, 1.0)
    with pytest.raises(ValueError, match="q >= 0"):
        stable_dt(1.0, 1.0, 4.0, -1.0, -1.0)
    over, ulps = 1.01, 4 * np.finfo(np.float64).eps

    # growth: a cell just below M = 1 among 1s (L = Q M); at the bound it stays <= 1, above it overshoots
    r = 5.0
    u0 = np.ones((9, 9))
    u0[4, 4] = 1 - 1e-3
    dt = stable_dt(kappa, 1.0, 4.0, r, r, safety=1.0)
    assert one_step(u0, r, r, kappa, dt).max() <= 1.0 + ulps
    assert one_step(u0, r, r, kappa, dt * over).max() > 1.0 + 1e-6

    # loss: a full cell among empty ones with l < 0; at the bound it stays >= 0, above it goes negative
    u0 = np.zeros((9, 9))
    u0[4, 4] = 1.0
    dt = stable_dt(kappa, 1.0, 4.0, -5.0, 0.0, safety=1.0)
    assert one_step(u0, -5.0, 0.0, kappa, dt).min() >= -ulps
    assert one_step(u0, -5.0, 0.0, kappa, dt * over).min() < -1e-3

    # the self-limitation alone (l = 0): a full cell among empty ones becomes 1 - a - Q M at the centre
    dt = stable_dt(kappa, 1.0, 4.0, 0.0, 5.0, safety=1.0)
    assert one_step(u0, 0.0, 5.0, kappa, dt).min() >= -ulps
    assert one_step(u0, 0.0, 5.0, kappa, dt * over).min() < -1e-3

    # diffusion alone: the checkerboard mode decays at the bound and grows just above it
    n = 64
    yy, xx = np.mgrid[:n, :n]
    u0 = 0.5 + 0.25 * (-1.0) ** (yy + xx)
    faces = faces_for(np.ones((n, n), np.uint8), ONE)
    for factor, grows in ((1.0, False), (over, True)):
        dt = stable_dt(kappa, 1.0, 4.0, 0.0, 0.0, safety=1.0) * factor
        out = advance(*prepare(u0, faces, kappa, 1.0, dt, dtype=np.float64), nsteps=300)[0]
        amplitude = np.abs(out - out.mean()).max()
        if grows:
            assert amplitude > 10 * 0.25 and (out.min() < 0 or out.max() > 1)
        else:
            assert amplitude <= 0.25 and 0 <= out.min() and out.max() <= 1


def test_step_bound():
    f = faces_for(np.ones((5, 6), np.uint8), ONE)
    L = np.full((2, 5, 6), -0.1)
    Q = np.full((1, 5, 6), 0.2)
    assert step_bound(f, np.array([0.1, 0.15]), L, Q, capacity=1.0) == pytest.approx(0.6 + 0.2 + 0.1)
    L[1, 2, 2] = 0.3  # > Q M
    with pytest.raises(ValueError, match="L > Q M"):
        step_bound(f, np.array([0.1, 0.15]), L, Q)
    Q[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        step_bound(f, np.array([0.1, 0.15]), np.zeros((2, 5, 6)), Q)


def test_substeps():
    assert substeps(1.0, 0.3) == (4, 0.25)
    assert substeps(1.0, 0.25) == (4, 0.25)
    assert substeps(0.3, 0.1)[0] == 3
    assert substeps(0.5, 2.0) == (1, 0.5)
    for dt_out, dt_max in [(0.7, 0.1), (1.0, 1 / 3), (30.0, 0.0224), (1e-3, 1e-6)]:
        n, dt = substeps(dt_out, dt_max)
        assert dt <= dt_max and dt_out / (n - 1) > dt_max and n * dt == pytest.approx(dt_out)
    with pytest.raises(ValueError):
        substeps(0.0, 1.0)


# ------------------------------------------------------------------------------------------------------------
# determinism, ensembles, shared fields, temporal blocking
# ------------------------------------------------------------------------------------------------------------


def test_same_inputs_give_bit_identical_outputs_on_any_thread_count():
    args = random_case(np.random.default_rng(5), m=3, ny=120, nx=200, dtype=np.float32)
    first = advance(*fresh(args), nsteps=25, block=1).copy()
    with threads(1):
        serial = advance(*fresh(args), nsteps=25, block=1)
    assert np.array_equal(first, advance(*fresh(args), nsteps=25, block=1))
    assert np.array_equal(first, serial)


@pytest.mark.parametrize("block", [1, 4])
def test_ensemble_member_equals_single_run(block):
    args = random_case(np.random.default_rng(6), m=3, ny=90, nx=160, dtype=np.float64)
    ens = advance(*fresh(args), nsteps=13, block=block)
    for k in range(3):
        single = args._replace(u=args.u[k:k + 1].copy(), buf=args.buf[k:k + 1].copy(), coef=args.coef[k:k + 1].copy(),
                               L=args.L[k:k + 1].copy(), Q=args.Q[k:k + 1].copy())
        assert np.array_equal(advance(*single, nsteps=13, block=block)[0], ens[k])


def test_a_shared_field_equals_the_same_field_per_member():
    args = random_case(np.random.default_rng(7), m=3, ny=40, nx=90, shared_q=True)
    per_member = args._replace(Q=np.ascontiguousarray(np.repeat(args.Q, 3, axis=0)))
    assert np.array_equal(advance(*fresh(args), nsteps=9), advance(*fresh(per_member), nsteps=9))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_temporal_blocking_is_bit_identical(dtype):
    rng = np.random.default_rng(8)
    # with 2 threads (grids of >= 65 536 cells) members are cut into strips advanced with recomputed halos; the
    # last cases have strips thinner than the halo
    for m, ny, nx, block, nsteps in [(1, 500, 140, 8, 21), (3, 200, 140, 3, 10), (2, 300, 140, 16, 40),
                                     (1, 6, 11000, 8, 9), (1, 40, 50, 5, 12)]:
        args = random_case(rng, m=m, ny=ny, nx=nx, dtype=dtype, shared_q=m == 2)
        plain = advance(*fresh(args), nsteps=nsteps, block=1)
        for nthreads in (1, 2):
            with threads(nthreads):
                assert np.array_equal(advance(*fresh(args), nsteps=nsteps, block=block), plain), (m, ny, nx, block)


def test_returned_array_is_u_or_buf():
    args = random_case(np.random.default_rng(9), m=1, ny=20, nx=30)
    assert advance(*args, nsteps=0) is args.u
    assert advance(*args, nsteps=3, block=1) is args.buf
    assert advance(*args, nsteps=4, block=1) is args.u
    assert advance(*args, nsteps=10, block=4) is args.buf  # passes of 4, 4, 2
    assert advance_numpy(*args, nsteps=1) is args.buf
    f0 = Faces.from_ids(np.zeros((0, 5), np.uint8), ONE)
    empty = prepare(np.zeros((3, 0, 5)), f0, 1.0, 1.0, 0.1)
    assert advance(*empty, nsteps=3) is empty.u and advance_numpy(*empty, nsteps=3) is empty.u


# ------------------------------------------------------------------------------------------------------------
# reaction fields
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fill_rate_matches_numpy_and_writes_in_place(dtype):
    rng = np.random.default_rng(10)
    unit = rng.integers(0, 7, (33, 47)).astype(np.uint16)
    tables = rng.normal(size=(4, 3, 7))
    fields = rng.random((3, 33, 47)).astype(dtype)
    out = np.full((4, 33, 47), np.nan, dtype)
    assert fill_rate(out, unit, tables, fields, 0.25) is out
    assert np.array_equal(out, rate_numpy(out.shape, dtype, unit, tables, fields, 0.25))
    assert np.all(out[:, unit == 0] == 0)
    k, i, j = 2, 5, 9
    expected = 0.25 * sum(tables[k, f, unit[i, j]] * float(fields[f, i, j]) for f in range(3))
    assert out[k, i, j] == pytest.approx(expected, rel=4 * float(np.finfo(dtype).eps)) or unit[i, j] == 0
    with pytest.raises(ValueError, match="unit ids"):
        fill_rate(out, unit + 7, tables, fields, 0.25)


def test_todays_logistic_model_in_the_new_form_equals_the_frozen_baseline_kernel():
    """l = r - sigma, q = r, K = 1 on a grid of countries is the model the previous kernel computed (kept frozen
    in benchmarks/baseline_kernel_v1.py for the benchmarks): both agree to rounding."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import baseline_kernel_v1 as v1

    rng = np.random.default_rng(11)
    cid = blob_mask(rng, 70, 120, 3)
    perm = random_perm(rng, 3)
    r = np.r_[0, rng.uniform(0.1, 1.0, 3)]
    sigma = np.r_[0, rng.uniform(0, 1.0, 3)]
    kappa, dx = 2.0, 1.0
    faces = Faces.from_ids(cid, perm)
    dt = stable_dt(kappa, dx, faces.face_sum, (r - sigma)[cid], r[cid])
    u0 = rng.uniform(0, 1, (70, 120))
    new = prepare(u0, faces, kappa, dx, dt, dtype=np.float64)
    fill_rate(new.L, cid, (r - sigma)[None, None, :], np.ones((1, 70, 120)), dt)
    fill_rate(new.Q, cid, r[None, None, :], np.ones((1, 70, 120)), dt)
    old = v1.prepare(u0, cid, perm, r, sigma, kappa, dx, dt, dtype=np.float64)
    got = advance(*new, nsteps=50)
    ref = v1.advance(*old, nsteps=50)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-13)
    assert np.ptp(got) > 0.1


# ------------------------------------------------------------------------------------------------------------
# dtypes and validation
# ------------------------------------------------------------------------------------------------------------


def test_float32_by_default_float64_on_request():
    faces = faces_for(np.ones((8, 9), np.uint8), ONE)
    args = prepare(np.full((8, 9), 0.5), faces, 1.0, 1.0, 0.1, l=1.0, q=1.0)
    assert {a.dtype for a in (args.u, args.buf, args.coef, args.L, args.Q)} == {np.dtype(np.float32)}
    out32 = advance(*args, nsteps=3)
    args64 = prepare(np.full((8, 9), 0.5), faces, 1.0, 1.0, 0.1, l=1.0, q=1.0, dtype=np.float64)
    out64 = advance(*args64, nsteps=3)
    assert out32.dtype == np.float32 and out64.dtype == np.float64
    assert np.allclose(out64, out32, atol=1e-6)
    assert out64[0, 0, 0] == pytest.approx(1 / (1 + np.exp(-0.3)), abs=1e-3)  # logistic growth from 0.5


def test_validation_errors():
    args = random_case(np.random.default_rng(12), m=2, ny=10, nx=12)
    bad = {
        "mixed dtype": args._replace(u=args.u.astype(np.float32), buf=args.buf.astype(np.float32)),
        "buf is u": args._replace(buf=args.u),
        "buf shape": args._replace(buf=args.buf[:, :-1].copy()),
        "faces shape": args._replace(faces=faces_for(np.ones((10, 11), np.uint8), ONE)),
        "faces type": args._replace(faces=np.ones((10, 12))),
        "L members": args._replace(L=np.zeros((3, 10, 12))),
        "Q shape": args._replace(Q=np.zeros((2, 10, 11))),
        "Q dtype": args._replace(Q=args.Q.astype(np.float32)),
        "coef shape": args._replace(coef=args.coef[:1].copy()),
        "not contiguous": args._replace(u=np.asfortranarray(args.u)),
        "L is buf": args._replace(L=args.buf),
    }
    for name, a in bad.items():
        with pytest.raises(ValueError):
            advance(*a, nsteps=1)
        with pytest.raises(ValueError):
            advance_numpy(*a, nsteps=1)
    with pytest.raises(ValueError):
        advance(*args, nsteps=-1)
    with pytest.raises(ValueError):
        advance(*args, nsteps=2, block=0)


# ------------------------------------------------------------------------------------------------------------
# the plain Fisher-KPP kernel of the benchmarks
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fisher_kpp_kernels_agree(dtype):
    rng = np.random.default_rng(13)
    u0 = rng.uniform(0, 1, (70, 90)).astype(dtype)
    d_coef, r_dt = 0.2, 0.15
    got = fisher_kpp_advance(u0.copy(), np.empty_like(u0), d_coef, r_dt, 30)
    ref = fisher_kpp_advance_numpy(u0.copy(), np.empty_like(u0), d_coef, r_dt, 30)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref, rtol=0, atol=30 * np.finfo(dtype).eps)
    # the model kernel with l = q = r on one country is the same equation
    args = prepare(u0, faces_for(np.ones(u0.shape, np.uint8), ONE), d_coef, 1.0, 1.0, l=r_dt, q=r_dt, dtype=dtype)
    np.testing.assert_allclose(advance(*args, nsteps=30)[0], got, rtol=0, atol=30 * np.finfo(dtype).eps)
    out = fisher_kpp_advance(u0.astype(np.float64), np.empty(u0.shape), d_coef, 0.0, 31)
    assert out.sum() == pytest.approx(u0.astype(np.float64).sum(), rel=1e-12)
