"""Baselines on rolling origins: point values by hand, the causal split, members per spread, seeding, pooling."""
from __future__ import annotations

import numpy as np
import pytest

from geo.errors import SpilloverError
from sim.evidence.baselines import (
    baseline_members, fit_dispersion, horizon_dispersions, horizon_log_errors, point_forecast, rolling_origin_scores,
)
from sim.evidence.likelihood import nb_sample

YEARS = tuple(range(2010, 2020))


def _history(seed: int = 0, units: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    level = rng.choice([0.0, 0.0, 5.0, 50.0, 300.0], units)
    trend = np.exp(np.linspace(0, 1.5, len(YEARS)))
    return nb_sample(rng, level[:, None] * trend[None, :], 1.5).astype(float)


def test_point_forecasts_by_hand():
    history = np.array([[0, 0, 0, 0, 10, 20, 40, 80, 160, 320], [5, 5, 5, 5, 5, 5, 0, 0, 3, 9]], float)
    assert point_forecast("persistence", history, YEARS, 2018)[0].tolist() == [80.0, 0.0]
    assert point_forecast("mean3", history, YEARS, 2018)[0].tolist() == [(20 + 40 + 80) / 3, 5 / 3]
    assert point_forecast("zero", history, YEARS, 2018)[0].tolist() == [0.0, 0.0]
    with pytest.raises(SpilloverError, match="needs 3 training years"):
        point_forecast("mean3", history, YEARS, 2012)
    with pytest.raises(SpilloverError, match="unknown baseline"):
        point_forecast("climatology", history, YEARS, 2018)
    with pytest.raises(SpilloverError, match="not in the record"):
        point_forecast("persistence", history, YEARS, 2025)


@pytest.mark.parametrize("name", ["persistence", "mean3", "conflictology"])
@pytest.mark.parametrize("spread", ["empirical", "nb", "point"])
def test_the_split_is_causal(name, spread):
    """Nothing at or after the origin changes a forecast made from it."""
    history = _history(1)
    units = tuple(f"U{i}" for i in range(len(history)))
    changed = history.copy()
    changed[:, YEARS.index(2017):] = 12345.0
    a = baseline_members(name, history, YEARS, 2017, 2019, units, members=200, spread=spread)
    b = baseline_members(name, changed, YEARS, 2017, 2019, units, members=200, spread=spread)
    np.testing.assert_array_equal(a, b)
    c = baseline_members(name, history, YEARS, 2018, 2019, units, members=200, spread=spread)
    changed[:, YEARS.index(2017)] = 777.0  # the year before origin 2018 is seen by it
    d = baseline_members(name, changed, YEARS, 2018, 2019, units, members=200, spread=spread)
    assert not np.array_equal(c, d)


def test_members_per_spread():
    history = _history(2)
    units = tuple(f"U{i}" for i in range(len(history)))
    point = point_forecast("persistence", history, YEARS, 2016)[0]
    x = baseline_members("persistence", history, YEARS, 2016, 2019, units, members=4000, spread="point")
    assert x.shape == (4000, len(units), 4) and np.all(x == point[None, :, None])
    nb = baseline_members("persistence", history, YEARS, 2016, 2019, units, members=4000, spread="nb")
    positive = point > 0
    np.testing.assert_allclose(nb[:, positive, 0].mean(0), point[positive], rtol=0.25)
    assert np.all(nb[:, ~positive] == 0)  # a mean of zero stays zero
    emp = baseline_members("persistence", history, YEARS, 2016, 2019, units, members=4000, spread="empirical")
    onsets, logs = horizon_log_errors("persistence", history, YEARS, 2016, 4)[1]
    zero_units = np.flatnonzero(~positive)
    if zero_units.size:
        assert set(np.unique(emp[:, zero_units[0], 0])) <= set(onsets)
    j = np.flatnonzero(positive)[0]
    assert np.allclose(np.median(np.log1p(emp[:, j, 0])) - np.log1p(point[j]), np.median(logs), atol=0.3)
    assert np.all(baseline_members("zero", history, YEARS, 2016, 2019, units) == 0)
    conf = baseline_members("conflictology", history, YEARS, 2016, 2019, units, members=500)
    for i in range(len(units)):
        assert set(np.unique(conf[:, i])) <= set(history[i, YEARS.index(2013):YEARS.index(2016)])


def test_members_are_seeded_per_prediction():
    history = _history(3)
    units = tuple(f"U{i}" for i in range(len(history)))
    a = baseline_members("mean3", history, YEARS, 2016, 2019, units, members=50, seed=7)
    b = baseline_members("mean3", history, YEARS, 2016, 2019, units, members=50, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, baseline_members("mean3", history, YEARS, 2016, 2019, units, members=50, seed=8))
    order = np.arange(len(units))[::-1]
    flipped = baseline_members("mean3", history[order], YEARS, 2016, 2019, tuple(units[i] for i in order),
                               members=50, seed=7)
    np.testing.assert_array_equal(flipped[:, ::-1], a)  # a unit's draws do not depend on the others' order


def test_dispersion_fits():
    rng = np.random.default_rng(4)
    mu = rng.uniform(1, 200, 20000)
    assert fit_dispersion(nb_sample(rng, mu, 0.7), mu) == pytest.approx(0.7, rel=0.05)
    with pytest.raises(SpilloverError, match="no pairs with a positive mean"):
        fit_dispersion([1.0, 2.0], [0.0, 0.0])
    history = _history(5, units=40)
    phis = horizon_dispersions("persistence", history, YEARS, 2016, 4)
    assert set(phis) == {1, 2, 3, 4} and all(p > 0 for p in phis.values())


def test_rolling_origin_scores_pool_origins_and_groups():
    history = _history(6)
    units = tuple(f"U{i}" for i in range(len(history)))
    table = rolling_origin_scores(history, YEARS, units, members=200, groups={"first3": units[:3]})
    assert set(table["forecaster"]) == {"zero", "persistence", "mean3", "conflictology"}
    all_rows = table[table["group"] == "all"].set_index("forecaster")
    assert set(all_rows["n"]) == {len(units) * (4 + 3 + 2)}
    assert set(table.loc[table["group"] == "first3", "n"]) == {3 * 9}
    # persistence's log-MAE by hand
    errors = [np.abs(np.log1p(history[:, YEARS.index(o) - 1]) - np.log1p(history[:, YEARS.index(t)]))
              for o in (2016, 2017, 2018) for t in range(o, 2020)]
    assert all_rows.loc["persistence", "log_mae"] == pytest.approx(np.mean(errors))
    zero = history[:, YEARS.index(2016):]
    assert all_rows.loc["zero", "crps"] == pytest.approx(
        np.mean(np.concatenate([history[:, YEARS.index(o):].ravel() for o in (2016, 2017, 2018)])))
    assert zero.size  # (unit-years scored)


def test_a_perfect_forecaster_scores_perfectly():
    history = _history(7)
    units = tuple(f"U{i}" for i in range(len(history)))

    def oracle(origin, last):
        return history[None, :, YEARS.index(origin):YEARS.index(last) + 1].repeat(20, axis=0)

    table = rolling_origin_scores(history, YEARS, units, baselines=(), predictions={"oracle": oracle})
    row = table.iloc[0]
    assert row["log_mae"] == 0 and row["crps"] == 0 and row["coverage_90"] == 1 and row["brier_25"] == 0
    with pytest.raises(SpilloverError, match="gave members of shape"):
        rolling_origin_scores(history, YEARS, units, baselines=(), predictions={"bad": lambda o, l: np.zeros((2, 1, 1))})
    with pytest.raises(SpilloverError, match="names unit"):
        rolling_origin_scores(history, YEARS, units, groups={"x": ("nowhere",)})
