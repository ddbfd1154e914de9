"""The observed-data chain on synthetic events drawn from the observation model with known parameters.

Risk and population on the real grid and admin-1 units of Mali, Burkina Faso and Niger → expected deaths per unit
and year → negative-binomial counts → one GED-like event per unit-year placed in a cell of that unit → CSV →
read_ged → aggregate by admin-1 → fit_observation: the counts come back exactly and the parameters within their
stated uncertainty.
"""
from __future__ import annotations

import numpy as np

from ged_synthetic import event, write_ged
from geo.admin1 import load_admin1
from geo.grid import build_grid
from sim.evidence.aggregate import aggregate, cell_unit_index
from sim.evidence.likelihood import CellExposure, fit_observation, nb_sample
from sim.evidence.observed import read_ged

NAMES = {"MLI": "Mali", "BFA": "Burkina Faso", "NER": "Niger"}
TRUTH = {"alpha": 2.0, "gamma": 1.4, "beta": 0.6, "phi": 2.5}


def test_chain_recovers_known_parameters(countries, tmp_path):
    rng = np.random.default_rng(42)
    grid = build_grid(countries, cell_km=25, codes=list(NAMES))
    admin1 = load_admin1(codes=list(NAMES))
    units = tuple(admin1["adm1_code"])
    unit = cell_unit_index(grid, units, "admin1", admin1)
    years = tuple(range(2011, 2021))
    ny, nx = grid.shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    # a smooth risk field drifting south-west over the years, and a patchy population
    risk = np.stack([np.clip(0.9 * np.exp(-((yy - ny * (0.3 + 0.03 * k)) ** 2 + (xx - nx * 0.4) ** 2)
                                          / (2 * (0.3 * nx) ** 2)) * rng.lognormal(0, 0.3, (ny, nx)), 0, 1)
                     for k in range(len(years))])[None].reshape(1, len(years), -1)
    pop = np.where(unit >= 0, rng.lognormal(9, 1.2, ny * nx), 0.0)
    cells = CellExposure(risk, pop, unit, n_units=len(units))
    mu = np.exp(TRUTH["alpha"]) * cells.aggregate(TRUTH["gamma"], TRUTH["beta"])[0]  # (units, years)
    drawn = nb_sample(rng, mu, TRUTH["phi"])
    # one event per unit-year with deaths, at the centre of a random cell of the unit
    rows, n = [], 0
    lon, lat = grid.lonlat()
    for i, code in enumerate(units):
        members = np.flatnonzero(unit == i)
        for t, year in enumerate(years):
            if drawn[i, t] > 0:
                c = rng.choice(members)
                n += 1
                rows.append(event(n, "mopti", f"{year}-06-15", best=int(drawn[i, t]), lon=float(lon.ravel()[c]),
                                  lat=float(lat.ravel()[c]), country=NAMES[code[:3]]))
    events = read_ged(write_ged(tmp_path / "ged.csv", rows))
    counts = aggregate(events, by="admin1", admin1=admin1, units=units, years=(years[0], years[-1]))
    y = counts.array().values.T
    np.testing.assert_array_equal(y, drawn)
    fit = fit_observation(y, cells)
    se = fit.stderr()
    assert fit.converged
    for name in ("alpha", "gamma", "beta"):
        assert abs(fit.params[name] - TRUTH[name]) < 3 * se[name], (name, fit.params[name], se[name])
    assert abs(np.log(fit.params["phi"] / TRUTH["phi"])) < 3 * se["log_phi"]
