"""Property tests of the model loop (sim/model.py) with the fields sim/forcing.py builds: u stays in [0, 1] always,
and within [0, K] where nothing diffuses in (κ = 0), whatever the capacity, suppression, noise and onsets."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.forcing import Forcing
from sim.model import integrate

pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = dt.date(2012, 1, 1)


def forcing(seed: int, kappa: float, ny: int, nx: int) -> tuple[Forcing, SimpleNamespace]:
    rng = np.random.default_rng(seed)
    cid = (rng.random((ny, nx)) < 0.85).astype(np.uint8) * rng.integers(1, 3, (ny, nx)).astype(np.uint8)
    p = np.where(cid > 0, rng.uniform(0, 0.99, (ny, nx)) ** 2, 0.0)  # many sparse cells
    changes = []
    for k, day in enumerate((0, 40, 90)):  # drivers, garrisons and noise change on these days
        r_c = np.r_[0.0, rng.uniform(0, 0.05, 2)]  # 1/day: up to 18/year
        sigma = (rng.uniform(0, 0.03, (ny, nx)) * (rng.random((ny, nx)) < 0.3)).astype(np.float32)
        eps = np.exp(rng.normal(0, 1.0, (ny, nx)) - 0.5).astype(np.float32) if k else None
        changes.append((START + dt.timedelta(days=day), r_c, sigma, eps))
    u0 = np.where(cid > 0, rng.uniform(0, 1, (ny, nx)) * p, 0.0)
    onset = (START + dt.timedelta(days=60), rng.random((ny, nx)) < 0.1, float(rng.uniform(0.1, 1)))
    f = Forcing(kappa=kappa, perm=np.array([[0, 0, 0], [0, 1, 0.5], [0, 0.5, 1]]), p=p,
                delta=float(rng.uniform(0, 0.002)), changes=tuple(changes), u0=u0, onsets=(onset,), country_id=cid)
    return f, SimpleNamespace(country_id=cid, cell_km=10.0)


def snapshots(f, grid, days=150) -> np.ndarray:
    got = []
    integrate([f], grid, START, days, 10, lambda d, date, u, s: got.append(u.copy()), dtype="float64")
    return np.stack(got)[:, 0]


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), ny=st.integers(2, 30), nx=st.integers(2, 30),
       kappa=st.sampled_from([0.5, 5.0, 50.0]))
def test_risk_stays_in_zero_one(seed, ny, nx, kappa):
    f, grid = forcing(seed, kappa, ny, nx)
    u = snapshots(f, grid)
    assert u.min() >= 0.0 and u.max() <= 1.0


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), ny=st.integers(2, 30), nx=st.integers(2, 30))
def test_without_diffusion_risk_never_exceeds_the_local_capacity(seed, ny, nx):
    f, grid = forcing(seed, 0.0, ny, nx)
    u = snapshots(f, grid)
    assert u.min() >= 0.0
    assert (u <= f.p[None] * (1 + 1e-12) + 1e-15).all()  # onsets raise u to level·K ≤ K; the reaction keeps it
