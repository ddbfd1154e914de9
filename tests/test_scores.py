"""Scores against hand-computed values and closed forms: CRPS of a normal, the energy form, Brier, coverage."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from geo.errors import SpilloverError
from sim.evidence.scores import brier, covered, crps, crps_normal, interval, log_mae, rmsle, summarise


def _energy_crps(members: np.ndarray, y: float, fair: bool = False) -> float:
    """The energy form written out over all pairs: E|X − y| − ½ E|X − X'|."""
    m = len(members)
    pairs = np.abs(members[:, None] - members[None, :]).sum()
    return np.abs(members - y).mean() - 0.5 * pairs / (m * (m - 1) if fair else m * m)


def test_crps_hand_values():
    assert crps([[3.0]], [1.0])[0] == 2.0  # one member: absolute error
    # members 0, 2 against 1: E|X−y| = 1, E|X−X'| = (0+2+2+0)/4 = 1 → 1 − 0.5
    assert crps([[0.0], [2.0]], [1.0])[0] == pytest.approx(0.5)
    assert crps([[0.0], [2.0]], [1.0], fair=True)[0] == pytest.approx(1 - 0.5 * 4 / 2)  # pairs m ≠ m'
    assert crps([[5.0], [5.0], [5.0]], [5.0])[0] == 0.0


def test_crps_equals_the_energy_form():
    rng = np.random.default_rng(0)
    members = rng.gamma(0.5, 40.0, (57, 9))
    obs = rng.poisson(15, 9).astype(float)
    got = crps(members, obs)
    fair = crps(members, obs, fair=True)
    for j in range(9):
        assert got[j] == pytest.approx(_energy_crps(members[:, j], obs[j]), rel=1e-12)
        assert fair[j] == pytest.approx(_energy_crps(members[:, j], obs[j], fair=True), rel=1e-12)


def test_crps_of_normal_quantile_members_matches_the_closed_form():
    m = 4000
    quantiles = norm.ppf((np.arange(m) + 0.5) / m)  # an ensemble that is the normal distribution's quantiles
    mu, sigma = 3.0, 2.0
    obs = np.array([-4.0, 0.0, 3.0, 5.5, 12.0])
    members = (mu + sigma * quantiles)[:, None] * np.ones((1, obs.size))
    np.testing.assert_allclose(crps(members, obs), crps_normal(mu, sigma, obs), rtol=2e-4)
    # and the closed form itself: CRPS(N(0, 1), 0) = (√2 − 1)/√π
    assert crps_normal(0.0, 1.0, 0.0) == pytest.approx((np.sqrt(2) - 1) / np.sqrt(np.pi))


def test_member_axis_and_shapes():
    rng = np.random.default_rng(1)
    members = rng.uniform(0, 10, (3, 4, 20))
    obs = rng.uniform(0, 10, (3, 4))
    np.testing.assert_allclose(crps(members, obs, member_axis=-1), crps(np.moveaxis(members, -1, 0), obs))
    with pytest.raises(SpilloverError, match="do not match"):
        crps(members, obs)
    with pytest.raises(SpilloverError, match="no ensemble members"):
        crps(np.zeros((0, 2)), [1.0, 2.0])
    with pytest.raises(SpilloverError, match="at least two members"):
        crps([[1.0]], [1.0], fair=True)


def test_brier_and_coverage_by_hand():
    members = np.array([[30.0, 0.0, 24.0], [0.0, 0.0, 25.0], [0.0, 1.0, 26.0], [40.0, 2.0, 27.0]])
    obs = np.array([50.0, 30.0, 24.0])
    # P(≥25) = 0.5, 0, 0.75; events: yes, yes, no
    np.testing.assert_allclose(brier(members, obs), [0.25, 1.0, 0.5625])
    lo, hi = interval(members, 0.5)  # 25% and 75% linear quantiles
    np.testing.assert_allclose(lo, [0.0, 0.0, 24.75])
    np.testing.assert_allclose(hi, [32.5, 1.25, 26.25])
    np.testing.assert_array_equal(covered(members, np.array([32.5, 2.0, 24.75]), 0.5), [True, False, True])
    with pytest.raises(SpilloverError, match="interval level"):
        interval(members, 1.0)


def test_log_errors_by_hand():
    assert log_mae([0, 9], [0, 0]) == pytest.approx(np.log(10) / 2)
    assert log_mae([np.e - 1], [0]) == pytest.approx(1.0)
    assert rmsle([0, 9], [9, 0]) == pytest.approx(np.log(10))
    assert log_mae([1.0, np.nan], [1.0, 5.0]) == 0.0


def test_summarise():
    members = np.array([[0.0, 30.0, 1.0], [10.0, 40.0, 2.0], [20.0, 50.0, 3.0]])
    obs = np.array([10.0, 20.0, np.nan])
    s = summarise(members, obs)
    assert s["n"] == 2
    assert s["log_mae"] == pytest.approx(np.log(41 / 21) / 2)  # medians 10 and 40
    assert s["brier_25"] == pytest.approx(0.5)
    assert s["coverage_90"] == 0.5
    assert s["crps"] == pytest.approx(np.mean([_energy_crps(members[:, 0], 10.0), _energy_crps(members[:, 1], 20.0)]))
    given = summarise(members, obs, point=np.array([10.0, 20.0, 0.0]))
    assert given["log_mae"] == 0.0 and given["crps"] == s["crps"]
    assert set(summarise(members, obs, threshold=10, level=0.5)) == {
        "n", "log_mae", "rmsle", "crps", "brier_10", "coverage_50"}
    with pytest.raises(SpilloverError, match="no observed unit-periods"):
        summarise(members, np.full(3, np.nan))
