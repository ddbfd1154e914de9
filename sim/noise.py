"""The growth noise: smooth, seeded, mean-one random fields that multiply the growth rate ``r`` of a run.

    r(x, t) = r_det(x, t) · ε_k(x)   for  t_k ≤ t < t_(k+1),    ε_k = exp(s z_k − s²/2)

``z_k`` is white Gaussian noise smoothed by a Gaussian of ``growth.noise_length_km`` and rescaled to unit standard
deviation over the modelled cells, so ``E[ε] = 1`` and ``sd(log ε) = s = growth.noise_sd``; a new field is drawn every
``growth.noise_every_days`` from the run's start (``t_k``). The fields come from
``numpy.random.default_rng([scenario.seed, k])``: the same seed gives the same fields, members with different seeds
independent ones. With ``growth.noise_sd = 0`` there is no field and the run is deterministic.

Example
-------
>>> from sim.scenario import Scenario
>>> noise_days(Scenario.load("scenarios/withdrawal.toml").replace(**{"growth.noise_sd": 0.0}))
[]
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from geo.grid import Grid
from sim.scenario import Scenario

def noise_days(scenario: Scenario) -> list[dt.date]:
    """Days on which the growth noise field is redrawn: the start and every ``growth.noise_every_days`` after it
    (none when ``growth.noise_sd`` is 0)."""
    g, s = scenario.growth, scenario.scenario
    if g.noise_sd <= 0:
        return []
    total = (s.end - s.start).days
    return [s.start + dt.timedelta(days=d) for d in range(0, total, int(g.noise_every_days))]


def noise_field(scenario: Scenario, grid: Grid, k: int) -> np.ndarray:
    """The k-th growth noise field ``ε = exp(s z − s²/2)`` (float32, mean 1 in distribution).

    ``z``: white Gaussian noise from ``numpy.random.default_rng([scenario.seed, k])`` smoothed by a Gaussian of
    ``growth.noise_length_km``, rescaled to unit standard deviation over the modelled cells, so the same seed gives
    the same fields and members with different seeds get independent ones.
    """
    from scipy.ndimage import gaussian_filter

    g = scenario.growth
    rng = np.random.default_rng([int(scenario.scenario.seed), int(k)])
    z = gaussian_filter(rng.standard_normal(grid.shape), sigma=g.noise_length_km / grid.cell_km, mode="nearest")
    spread = float(z[grid.mask].std()) if grid.mask.any() else 0.0
    z = z / spread if spread > 0 else z
    return np.exp(g.noise_sd * z - 0.5 * g.noise_sd ** 2).astype(np.float32)


def noise_at(noise: list[dt.date], fields: list[np.ndarray], day: dt.date) -> np.ndarray | None:
    """The field in force on ``day``: the last one drawn on or before it (None without noise)."""
    drawn = [k for k, d in enumerate(noise) if d <= day]
    return fields[drawn[-1]] if drawn else None
