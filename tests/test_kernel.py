"""Analytic and reference checks of the reaction-diffusion kernel (sim/kernel.py).

Every test here fails if the feature it names breaks: the numba kernel against the numpy reference, conservation,
the diffusive spread 4 kappa t, closed borders, the Fisher-KPP front speed 2 sqrt(r kappa), the [0, 1] bound and
the sharpness of stable_dt, determinism, ensembles, temporal blocking and dtypes.
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import numba
import numpy as np
import pytest

from sim.kernel import (
    advance,
    advance_numpy,
    fisher_kpp_advance,
    fisher_kpp_advance_numpy,
    prepare,
    stable_dt,
    substeps,
)


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


def random_case(rng, m=3, ny=60, nx=210, n=3, dtype=np.float64, kappa=None, diag_one=True):
    """Random mask, symmetric perm (zero row/col 0), rates and per-member kappa; dt from stable_dt."""
    cid = blob_mask(rng, ny, nx, n)
    perm = np.zeros((m, n + 1, n + 1))
    for k in range(m):
        a = rng.uniform(0, 1, (n, n))
        perm[k, 1:, 1:] = (a + a.T) / 2
        np.fill_diagonal(perm[k, 1:, 1:], 1.0 if diag_one else rng.uniform(0.5, 1.0))
    r = rng.uniform(0, 2, (m, n + 1))
    sigma = rng.uniform(0, 1, (m, n + 1))
    kappa = rng.uniform(0.5, 3.0, m) if kappa is None else kappa
    dx = 2.0
    dt = stable_dt(kappa, dx, r.max(), sigma.max(), perm.max())
    return prepare(rng.uniform(0, 1, (m, ny, nx)), cid, perm, r, sigma, kappa, dx, dt, dtype=dtype)


def copy_args(args):
    return args._replace(u=args.u.copy(), buf=args.buf.copy())


# ------------------------------------------------------------------------------------------------------------
# numba against the numpy reference
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numba_matches_numpy_reference(dtype):
    rng = np.random.default_rng(1)
    args = random_case(rng, dtype=dtype)
    args.perm[1, 2, 2] = 0.7  # one member's country 2 has perm[c, c] != 1: its uniform chunks take the general path
    assert len(set(args.coef.tolist())) == 3  # each member its own kappa
    got = advance(*copy_args(args), nsteps=41, block=1)
    ref = advance_numpy(*copy_args(args), nsteps=41)
    assert got.dtype == ref.dtype == dtype
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(got, ref, rtol=0, atol=4 * eps)  # the same operations in the same order
    assert np.all(got[:, args.cid == 0] == 0)
    assert np.ptp(got[:, args.cid > 0]) > 0.1  # something happened


def test_the_reference_case_exercises_every_chunk_path():
    """The mask of test_numba_matches_numpy_reference has uniform chunks, all-outside chunks and mixed ones."""
    from sim.kernel import _CHUNK, _EMPTY, _uniform_chunks

    cid = random_case(np.random.default_rng(1)).cid
    flags = np.empty((cid.shape[0], -(-(cid.shape[1] - 2) // _CHUNK)), np.uint8)
    _uniform_chunks(cid, flags)
    assert (flags == _EMPTY).any() and (flags == 0).any() and ((flags > 0) & (flags < _EMPTY)).any()


def test_numba_matches_numpy_on_tiny_and_odd_grids():
    rng = np.random.default_rng(2)
    for ny, nx in [(1, 1), (1, 7), (5, 1), (2, 2), (3, 66), (4, 131)]:
        args = random_case(rng, m=2, ny=ny, nx=nx)
        args.cid[...] = rng.integers(0, 4, (ny, nx))
        args.cid[0, 0] = 1
        got = advance(*copy_args(args), nsteps=5, block=1)
        ref = advance_numpy(*copy_args(args), nsteps=5)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-14, err_msg=f"{ny}x{nx}")


# ------------------------------------------------------------------------------------------------------------
# conservation, spread, borders
# ------------------------------------------------------------------------------------------------------------


def test_pure_diffusion_conserves_mass_on_irregular_mask():
    rng = np.random.default_rng(3)
    args = random_case(rng, m=2, ny=80, nx=150, dtype=np.float64)
    args.r_tab[...] = 0
    args.sigma_tab[...] = 0
    mass0 = args.u.sum(axis=(1, 2))
    std0 = args.u[:, args.cid > 0].std()
    out = advance(*args, nsteps=400)  # advance works in place: out is args.u here
    np.testing.assert_allclose(out.sum(axis=(1, 2)), mass0, rtol=1e-12)
    assert np.all(out[:, args.cid == 0] == 0)
    # it did diffuse: the field is much smoother than the random start
    assert out[:, args.cid > 0].std() < 0.5 * std0


def test_gaussian_second_moment_grows_as_4_kappa_t():
    kappa, dx, dt = 3.0, 2.0, 0.25  # km²/day, km, days: coef = kappa dt / dx² = 0.1875
    n = 241
    y, x = (np.mgrid[:n, :n] - n // 2) * dx
    s0 = 8.0  # km
    u0 = 0.5 * np.exp(-(x**2 + y**2) / (2 * s0**2))
    cid = np.ones((n, n), np.uint8)
    args = prepare(u0, cid, [[0, 0], [0, 1]], [0, 0], [0, 0], kappa, dx, dt, dtype=np.float64)

    def second_moment(u):
        return float(((x**2 + y**2) * u[0]).sum() / u[0].sum())

    m0 = second_moment(args.u)
    nsteps = 400
    out = advance(*args, nsteps=nsteps)
    t = nsteps * dt  # 100 days: sqrt(<r²>) grows from 11 km to 37 km, the edge is 240 km away
    assert second_moment(out) - m0 == pytest.approx(4 * kappa * t, rel=1e-3)


def test_nothing_crosses_a_closed_border():
    ny, nx = 40, 140
    cid = np.ones((ny, nx), np.uint8)
    cid[:, 70:] = 2
    cid[:5, :] = 0  # an unmodelled strip along the top: nothing may enter it either
    u0 = np.zeros((ny, nx))
    u0[:, 60:70] = 1.0  # risk right up to the border, on the west side only
    r, sigma = [0, 0.5, 0.5], [0, 0.1, 0.1]
    perm = np.array([[0, 0, 0], [0, 1, 0.0], [0, 0.0, 1]])
    args = prepare(u0, cid, perm, r, sigma, 2.0, 1.0, 0.1, dtype=np.float32)
    out = advance(*args, nsteps=500)
    assert np.all(out[0][cid == 2] == 0)
    assert np.all(out[0][cid == 0] == 0)
    assert out[0][cid == 1].min() > 0.1  # the west side filled up
    # control: the same run with the border open does cross
    perm_open = perm.copy()
    perm_open[1, 2] = perm_open[2, 1] = 0.5
    args = prepare(u0, cid, perm_open, r, sigma, 2.0, 1.0, 0.1, dtype=np.float32)
    assert advance(*args, nsteps=500)[0][cid == 2].max() > 0.1


def test_fisher_kpp_front_speed():
    """A pulled front from a step: its position is 2 sqrt(r kappa) t - 3 / (2 lambda) ln t + const
    (Bramson), lambda = sqrt(r / kappa). Measured on a strip with dx = sqrt(kappa / r) / 10."""
    r, kappa, dx = 1.0, 1.0, 0.1  # 1/day, km²/day, km
    c_star, lam = 2 * math.sqrt(r * kappa), math.sqrt(r / kappa)
    nx = 1800  # 180 km
    xc = (np.arange(nx) + 0.5) * dx
    u0 = np.where(xc < 5.0, 1.0, 0.0)[None, :]
    dt = stable_dt(kappa, dx, r, 0.0)
    args = prepare(u0, np.ones((1, nx), np.uint8), [[0, 0], [0, 1]], [0, r], [0, 0], kappa, dx, dt, np.float64)

    def front(row):  # position of the u = 0.5 level, linearly interpolated
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
    assert u[0, 0, -1] < 1e-12  # the front is still far from the far edge
    raw = (x2 - x1) / (t2 - t1)
    corrected = raw + 1.5 / lam * math.log(t2 / t1) / (t2 - t1)
    assert raw == pytest.approx(c_star, rel=0.05)
    assert corrected == pytest.approx(c_star, rel=0.01)


# ------------------------------------------------------------------------------------------------------------
# the [0, 1] bound and stable_dt
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_u_stays_in_unit_interval_under_the_bound(dtype):
    rng = np.random.default_rng(4)
    for trial in range(4):
        args = random_case(rng, m=2, ny=50, nx=140, dtype=dtype, diag_one=trial % 2 == 0)
        args.r_tab[...] *= rng.uniform(0.5, 5)  # fast growth and suppression, with dt from the bound
        args.sigma_tab[...] *= rng.uniform(0.5, 5)
        rmax, smax = float(args.r_tab.max()), float(args.sigma_tab.max())
        kappa = args.coef.astype(np.float64) / args.dt  # dx = 1 in these units
        dt = stable_dt(kappa, 1.0, rmax, smax, float(args.perm.max()))
        coef = (kappa * dt).astype(dtype)
        u = rng.uniform(0, 1, args.u.shape).astype(dtype)
        u[:, rng.random(u.shape[1:]) < 0.2] = 1.0  # plenty of exact 0s and 1s next to each other
        u[:, rng.random(u.shape[1:]) < 0.2] = 0.0
        buf = np.empty_like(u)
        for _ in range(10):
            u_out = advance(u, buf, args.cid, args.perm, args.r_tab, args.sigma_tab, coef, dt, 7)
            u, buf = (u_out, u) if u_out is buf else (u, buf)
            assert u.min() >= 0 and u.max() <= 1


def one_step(u0, cid, perm, r, sigma, kappa, dx, dt):
    args = prepare(u0, cid, perm, r, sigma, kappa, dx, dt, dtype=np.float64)
    return advance(*args, nsteps=1)[0]


def test_stable_dt_is_the_bound():
    kappa, dx = 2.0, 1.0
    assert stable_dt(kappa, dx, 3.0, 1.0, safety=1.0) == pytest.approx(1 / (4 * kappa / dx**2 + 3.0))
    assert stable_dt(kappa, dx, 1.0, 3.0, perm_max=0.5) == pytest.approx(0.9 / (2 * kappa / dx**2 + 3.0))
    assert stable_dt(np.array([1.0, kappa]), dx, 0, 0, safety=1.0) == pytest.approx(1 / (4 * kappa))
    assert stable_dt(0.0, dx, 0.0, 0.0) == math.inf
    perm = [[0, 0], [0, 1]]
    over = 1.01
    ulps = 4 * np.finfo(np.float64).eps  # at exactly the bound, rounding may cross 0 or 1 by an ulp or two

    # growth: a cell just below 1 among 1s; at the bound it stays <= 1, just above it overshoots 1
    r = 5.0
    u0 = np.ones((9, 9))
    u0[4, 4] = 1 - 1e-3
    cid = np.ones((9, 9), np.uint8)
    dt = stable_dt(kappa, dx, r, 0.0, safety=1.0)
    assert one_step(u0, cid, perm, [0, r], [0, 0], kappa, dx, dt).max() <= 1.0 + ulps
    assert one_step(u0, cid, perm, [0, r], [0, 0], kappa, dx, dt * over).max() > 1.0 + 1e-6  # 1 + 1e-5 exactly

    # suppression: a full cell among empty ones; at the bound it stays >= 0, just above it goes negative
    sigma = 5.0
    u0 = np.zeros((9, 9))
    u0[4, 4] = 1.0
    dt = stable_dt(kappa, dx, 0.0, sigma, safety=1.0)
    assert one_step(u0, cid, perm, [0, 0], [0, sigma], kappa, dx, dt).min() >= -ulps
    assert one_step(u0, cid, perm, [0, 0], [0, sigma], kappa, dx, dt * over).min() < -1e-3  # -0.01 exactly

    # diffusion alone: the checkerboard mode decays at the bound and grows just above it
    n = 64
    yy, xx = np.mgrid[:n, :n]
    u0 = 0.5 + 0.25 * (-1.0) ** (yy + xx)
    cid = np.ones((n, n), np.uint8)
    for factor, grows in ((1.0, False), (over, True)):
        dt = stable_dt(kappa, dx, 0.0, 0.0, safety=1.0) * factor
        args = prepare(u0, cid, perm, [0, 0], [0, 0], kappa, dx, dt, dtype=np.float64)
        out = advance(*args, nsteps=300)[0]
        amplitude = np.abs(out - out.mean()).max()
        if grows:
            assert amplitude > 10 * 0.25 and (out.min() < 0 or out.max() > 1)
        else:
            assert amplitude <= 0.25 and 0 <= out.min() and out.max() <= 1


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
# determinism, ensembles, temporal blocking
# ------------------------------------------------------------------------------------------------------------


def test_same_inputs_give_bit_identical_outputs_on_any_thread_count():
    rng = np.random.default_rng(5)
    args = random_case(rng, m=3, ny=120, nx=200, dtype=np.float32)  # 72 000 cells: 2 threads really run
    first = advance(*copy_args(args), nsteps=25, block=1).copy()
    second = advance(*copy_args(args), nsteps=25, block=1)
    with threads(1):
        serial = advance(*copy_args(args), nsteps=25, block=1)
    assert np.array_equal(first, second)
    assert np.array_equal(first, serial)


@pytest.mark.parametrize("block", [1, 4])
def test_ensemble_member_equals_single_run(block):
    rng = np.random.default_rng(6)
    args = random_case(rng, m=3, ny=90, nx=160, dtype=np.float64)
    ens = advance(*copy_args(args), nsteps=13, block=block)
    for k in range(3):
        single = args._replace(u=args.u[k:k + 1].copy(), buf=args.buf[k:k + 1].copy(),
                               perm=args.perm[k:k + 1].copy(), r_tab=args.r_tab[k:k + 1].copy(),
                               sigma_tab=args.sigma_tab[k:k + 1].copy(), coef=args.coef[k:k + 1].copy())
        assert np.array_equal(advance(*single, nsteps=13, block=block)[0], ens[k])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_temporal_blocking_is_bit_identical(dtype):
    rng = np.random.default_rng(7)
    # with 2 threads (grids of >= 65 536 cells) members are cut into strips, each advanced with recomputed halos;
    # the last case has strips of 3 rows, thinner than the halo
    for m, ny, nx, block, nsteps in [(1, 500, 140, 8, 21), (3, 200, 140, 3, 10), (2, 300, 140, 16, 40),
                                     (1, 6, 11000, 8, 9), (1, 40, 50, 5, 12)]:
        args = random_case(rng, m=m, ny=ny, nx=nx, dtype=dtype)
        plain = advance(*copy_args(args), nsteps=nsteps, block=1)
        for nthreads in (1, 2):
            with threads(nthreads):
                blocked = advance(*copy_args(args), nsteps=nsteps, block=block)
            assert np.array_equal(blocked, plain), (m, ny, nx, block, nsteps, nthreads)


def test_returned_array_is_u_or_buf():
    rng = np.random.default_rng(8)
    args = random_case(rng, m=1, ny=20, nx=30)
    assert advance(*args, nsteps=0) is args.u
    assert advance(*args, nsteps=3, block=1) is args.buf  # odd number of passes
    assert advance(*args, nsteps=4, block=1) is args.u
    assert advance(*args, nsteps=10, block=4) is args.buf  # passes of 4, 4, 2
    assert advance_numpy(*args, nsteps=1) is args.buf
    empty = prepare(np.zeros((3, 0, 5)), np.zeros((0, 5), np.uint8), [[0, 0], [0, 1]], [0, 1], [0, 0], 1.0, 1.0, 0.1)
    assert advance(*empty, nsteps=3) is empty.u and advance_numpy(*empty, nsteps=3) is empty.u


# ------------------------------------------------------------------------------------------------------------
# dtypes and validation
# ------------------------------------------------------------------------------------------------------------


def test_float32_by_default_float64_on_request():
    cid = np.ones((8, 9), np.uint8)
    args = prepare(np.full((8, 9), 0.5), cid, [[0, 0], [0, 1]], [0, 1], [0, 0], 1.0, 1.0, 0.1)
    assert {a.dtype for a in (args.u, args.buf, args.perm, args.r_tab, args.sigma_tab, args.coef)} == {
        np.dtype(np.float32)}
    out32 = advance(*args, nsteps=3)
    assert out32.dtype == np.float32
    args64 = prepare(np.full((8, 9), 0.5), cid, [[0, 0], [0, 1]], [0, 1], [0, 0], 1.0, 1.0, 0.1, dtype=np.float64)
    out64 = advance(*args64, nsteps=3)
    assert out64.dtype == np.float64
    assert np.allclose(out64, out32, atol=1e-6)
    assert out64[0, 0, 0] == pytest.approx(1 / (1 + np.exp(-0.3)), abs=1e-3)  # logistic growth from 0.5


def test_validation_errors():
    rng = np.random.default_rng(9)
    args = random_case(rng, m=2, ny=10, nx=12)
    asym = np.zeros((4, 4))
    asym[1, 2] = 0.1
    bad = {
        "mixed dtype": args._replace(u=args.u.astype(np.float32), buf=args.buf.astype(np.float32)),
        "buf is u": args._replace(buf=args.u),
        "buf shape": args._replace(buf=args.buf[:, :-1].copy()),
        "cid dtype": args._replace(cid=args.cid.astype(np.uint16)),
        "cid out of range": args._replace(cid=np.full_like(args.cid, 9)),
        "perm members": args._replace(perm=args.perm[:1].copy()),
        "perm asymmetric": args._replace(perm=args.perm + asym),
        "perm leaks into the mask": args._replace(perm=args.perm + 0.1 * (np.eye(4)[0] + np.eye(4)[:, :1])),
        "negative rate": args._replace(r_tab=-args.r_tab),
        "coef shape": args._replace(coef=args.coef[:1].copy()),
        "not contiguous": args._replace(u=np.asfortranarray(args.u)),
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
    rng = np.random.default_rng(10)
    u0 = rng.uniform(0, 1, (70, 90)).astype(dtype)
    d_coef, r_dt = 0.2, 0.15
    got = fisher_kpp_advance(u0.copy(), np.empty_like(u0), d_coef, r_dt, 30)
    ref = fisher_kpp_advance_numpy(u0.copy(), np.empty_like(u0), d_coef, r_dt, 30)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref, rtol=0, atol=30 * np.finfo(dtype).eps)
    # the model kernel on one country with sigma = 0 is the same equation
    args = prepare(u0, np.ones(u0.shape, np.uint8), [[0, 0], [0, 1]], [0, r_dt], [0, 0], d_coef, 1.0, 1.0, dtype)
    np.testing.assert_allclose(advance(*args, nsteps=30)[0], got, rtol=0, atol=30 * np.finfo(dtype).eps)
    # zero flux and pure diffusion: mass is conserved
    out = fisher_kpp_advance(u0.astype(np.float64), np.empty(u0.shape), d_coef, 0.0, 31)
    assert out.sum() == pytest.approx(u0.astype(np.float64).sum(), rel=1e-12)
