"""Forcing: attributes → growth, timeline → troops and suppression, places → initial risk, pairs → permeability."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo import build_grid, load_countries
from geo.errors import SpilloverError
from sim.forcing import (DAYS_PER_YEAR, DocumentInputs, build_forcing, change_days, contingents, garrisons,
                         growth_table, initial_risk, permeability_table, population_factor, suppression_field)
from sim.scenario import Scenario

CODES = ["MLI", "BFA", "NER"]


@pytest.fixture(scope="module")
def grid():
    return build_grid(load_countries(), cell_km=50.0, codes=CODES)


def scenario(**changes) -> Scenario:
    base = {"grid.cell_km": 50.0, "grid.countries": CODES, "documents.seeds": "",
            "initial.places": ["northern Mali"], "initial.from_documents": False, "initial.risk": 0.5,
            "suppression.state_capital_per_year": 0.0}  # foreign troops only, unless a test turns the state on
    return Scenario().replace(**{**base, **changes})


def timeline(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["actor", "mission", "host", "present_from", "present_until", "size"])
    for column in ("present_from", "present_until"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


TIMELINE = timeline([
    ("United Kingdom", "MINUSMA", "MLI", None, "2022-11-14", 300),
    ("France", "Barkhane", "MLI", None, "2022-11-10", None),
    ("France", "Barkhane", "BFA", None, "2022-11-10", None),
    ("France", "Barkhane", "NER", None, "2022-11-10", None),
    ("Germany", "MINUSMA", "MLI", None, "2022-08-01", None),
])


def drivers(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["country", "kind", "date"]).assign(date=lambda f: pd.to_datetime(f["date"]))


DRIVERS = drivers([("MLI", "coup", "2020-08-18"), ("MLI", "coup", "2021-05-24"), ("MLI", "partnership", "2021-12-01"),
                   ("BFA", "coup", "2022-01-24")])


def test_growth_counts_only_the_drivers_in_force_on_the_day(grid):
    s = scenario()
    g = s.growth
    m, b, n = (grid.id_of(c) for c in CODES)
    r0 = g.base_rate_per_year
    before = growth_table(s, grid, DRIVERS, dt.date(2020, 8, 17)) * DAYS_PER_YEAR
    assert before[0] == 0.0 and before[m] == before[b] == before[n] == pytest.approx(r0)
    on_the_day = growth_table(s, grid, DRIVERS, dt.date(2020, 8, 18)) * DAYS_PER_YEAR
    assert on_the_day[m] == pytest.approx(r0 * (1 + g.weight_coups)) and on_the_day[b] == pytest.approx(r0)
    later = growth_table(s, grid, DRIVERS, dt.date(2022, 6, 1)) * DAYS_PER_YEAR
    assert later[m] == pytest.approx(r0 * (1 + 2 * g.weight_coups + g.weight_armed_partner))
    assert later[b] == pytest.approx(r0 * (1 + g.weight_coups)) and later[n] == pytest.approx(r0)
    doubled = growth_table(s.replace(**{"growth.base_rate_per_year": 2 * r0}), grid, DRIVERS, dt.date(2022, 6, 1))
    np.testing.assert_allclose(doubled, 2 * later / DAYS_PER_YEAR)


def test_outcomes_are_never_drivers(grid):
    outcomes = drivers([("NER", kind, "2015-01-01") for kind in ("spread", "epicentre", "casualties", "onset")])
    r = growth_table(scenario(), grid, outcomes, dt.date(2020, 1, 1))
    assert r[grid.id_of("NER")] == r[grid.id_of("MLI")]


def test_growth_is_never_negative(grid):
    many = drivers([("MLI", "coup", "2015-01-01")] * 5)
    r = growth_table(scenario(**{"growth.weight_coups": -1.0}), grid, many, dt.date(2016, 1, 1))
    assert r.min() == 0.0


def test_population_factor_is_the_half_saturation_of_density(grid):
    from geo.population import population_surface

    rho = np.asarray(population_surface(grid).density, float)
    p = population_factor(scenario(**{"growth.population_half_per_km2": 10.0}), grid)
    inside = grid.mask
    np.testing.assert_allclose(p[inside], rho[inside] / (rho[inside] + 10.0))
    assert (p[~inside] == 0).all() and p.max() < 1.0


def test_troops_use_stated_sizes_then_the_size_table_split_across_hosts(grid):
    s = scenario(**{"suppression.contingent_sizes": {"Barkhane": 4500, "Germany": 1100}})
    rows = contingents(s, TIMELINE).set_index(["actor", "host"])
    assert rows.loc[("United Kingdom", "MLI"), "troops"] == 300
    assert rows.loc[("France", "BFA"), "troops"] == pytest.approx(1500)
    assert rows.loc[("Germany", "MLI"), "troops"] == 1100
    default = contingents(scenario(), TIMELINE).set_index(["actor", "host"])
    assert default.loc[("Germany", "MLI"), "troops"] == s.suppression.default_contingent_size


def _forcing(s, grid, rows=TIMELINE):
    return build_forcing(s, grid, DocumentInputs(pd.DataFrame(index=CODES), rows, (), ()))


def test_withdrawals_switch_troops_off_on_their_date(grid):
    s = scenario(**{"suppression.contingent_sizes": {"Barkhane": 3000}, "scenario.start": "2022-01-01",
                    "scenario.end": "2023-06-01"})
    forcing = _forcing(s, grid)
    assert [c[0] for c in forcing.changes] == [dt.date(2022, 1, 1), dt.date(2022, 8, 1), dt.date(2022, 11, 10),
                                               dt.date(2022, 11, 14)]
    mli = grid.id_of("MLI")
    troops = {day: forcing.troops_on(day)[mli] for day in (dt.date(2022, 1, 1), dt.date(2022, 8, 1),
                                                          dt.date(2022, 11, 10), dt.date(2022, 11, 14))}
    assert list(troops.values()) == [300 + 1000 + 500, 300 + 1000, 300, 0]
    assert forcing.sigma_field_on(dt.date(2022, 11, 14)).max() == 0.0


def test_exit_shift_and_forces_stay(grid):
    base = {"scenario.start": "2020-01-01", "scenario.end": "2026-01-01"}
    early = scenario(**base, **{"suppression.exit_shift_days": -365})
    bases = garrisons(early, grid, contingents(early, TIMELINE), load_countries())
    days = set(change_days(early, bases, drivers([])))
    assert dt.date(2021, 11, 14) in days and dt.date(2022, 11, 14) not in days
    stay = _forcing(scenario(**base, **{"suppression.forces_stay": True}), grid)
    assert len(stay.changes) == 1
    assert stay.troops_on(dt.date(2025, 1, 1))[grid.id_of("MLI")] == pytest.approx(300 + 500 / 3 + 500)


def test_suppression_is_a_gaussian_of_the_troops_around_each_base(grid):
    from pyproj import Transformer

    one = timeline([("United Kingdom", "MINUSMA", "MLI", None, None, 2000)]).assign(bases="Gao")
    s = scenario(**{"suppression.troops_effect_per_year": 0.4, "suppression.footprint_km": 150.0})
    bases = garrisons(s, grid, contingents(s, one), load_countries())
    assert list(bases.base) == ["Gao"] and bases.troops.iloc[0] == 2000
    sigma = suppression_field(s, grid, bases, dt.date(2015, 1, 1)).astype(float) * DAYS_PER_YEAR
    gx, gy = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True).transform(-0.04, 16.27)  # Gao
    xx, yy = np.meshgrid(grid.x, grid.y)
    d2 = ((xx - gx) ** 2 + (yy - gy) ** 2) / 1e6
    expected = np.where(grid.mask, 0.4 * 2.0 * np.exp(-d2 / (2 * 150.0 ** 2)), 0.0)
    # Gao's point from geo.places may differ from these coordinates by a few km: compare where it matters
    np.testing.assert_allclose(sigma, expected, atol=0.03 * 0.8)
    peak = np.unravel_index(np.argmax(sigma), sigma.shape)
    assert d2[peak] < 50.0 ** 2  # the peak is Gao's cell or its neighbour on a 50 km grid
    assert sigma.max() <= 0.8 + 1e-6


def test_permeability_table(grid):
    perm = permeability_table(scenario(**{"diffusion.permeability": {"MLI-BFA": 0.0, "BFA-NER": 0.5}}), grid)
    m, b, n = (grid.id_of(c) for c in CODES)
    assert perm[m, b] == perm[b, m] == 0.0 and perm[b, n] == perm[n, b] == 0.5 and perm[m, n] == 1.0
    assert (perm[0] == 0).all() and (perm[:, 0] == 0).all()


def test_initial_risk_fills_the_onset_place_only(grid):
    countries = load_countries()
    u0 = initial_risk(scenario(), grid, countries, (), np.ones(grid.shape))
    mli = grid.country_id == grid.id_of("MLI")
    assert set(np.unique(u0)) == {0.0, 0.5}
    assert (u0[~mli] == 0).all()
    rows = np.nonzero(u0)[0]
    mali_rows = np.nonzero(mli)[0]
    assert rows.max() < np.median(mali_rows)  # north = small row numbers
    assert 0.3 < (u0 > 0).sum() / mli.sum() < 0.7


def test_initial_noise_is_seeded(grid):
    countries = load_countries()
    ones = np.ones(grid.shape)
    a = initial_risk(scenario(**{"initial.noise": 0.1, "scenario.seed": 1}), grid, countries, (), ones)
    b = initial_risk(scenario(**{"initial.noise": 0.1, "scenario.seed": 1}), grid, countries, (), ones)
    c = initial_risk(scenario(**{"initial.noise": 0.1, "scenario.seed": 2}), grid, countries, (), ones)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and (a[~grid.mask] == 0).all()


def test_no_onset_anywhere_is_an_error(grid):
    with pytest.raises(SpilloverError, match="initial risk is zero everywhere"):
        initial_risk(scenario(**{"initial.places": []}), grid, load_countries(), (), np.ones(grid.shape))


def test_unknown_place_is_an_error(grid):
    with pytest.raises(SpilloverError, match="Atlantis"):
        initial_risk(scenario(**{"initial.places": ["Atlantis"]}), grid, load_countries(), (), np.ones(grid.shape))


def test_private_military_companies_do_not_suppress(grid):
    rows = TIMELINE.assign(actor_kind="state")
    wagner = pd.DataFrame([{"actor": "Wagner Group", "actor_kind": "company", "mission": None, "host": "MLI",
                            "present_from": pd.NaT, "present_until": pd.NaT, "size": 1000}])
    troops = contingents(scenario(), pd.concat([rows, wagner], ignore_index=True))
    assert "Wagner Group" not in set(troops.actor) and len(troops) == len(rows)


def test_country_factor_scales_growth_and_is_validated(grid):
    r = growth_table(scenario(**{"growth.country_factor": {"NER": 0.25}}), grid, drivers([]), dt.date(2015, 1, 1))
    assert r[grid.id_of("NER")] == pytest.approx(0.25 * r[grid.id_of("MLI")])
    with pytest.raises(SpilloverError, match="growth.country_factor key 'FRA' is not a modelled country"):
        scenario(**{"growth.country_factor": {"FRA": 0.5}})
    with pytest.raises(SpilloverError, match=r"growth.country_factor.NER = -1; valid: a number in \[0, 100\]"):
        scenario(**{"growth.country_factor": {"NER": -1}})


def test_the_state_suppresses_around_its_own_capital_only(grid):
    from pyproj import Transformer

    from geo.names import capital_of
    from sim.forcing import state_field

    s = scenario(**{"suppression.state_capital_per_year": 2.0, "suppression.state_reach_km": 120.0})
    sigma = state_field(s, grid) * DAYS_PER_YEAR
    to_grid = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    xx, yy = np.meshgrid(grid.x, grid.y)
    expected = np.zeros(grid.shape)
    for code in CODES:
        _, lon, lat = capital_of(code)
        cx, cy = to_grid.transform(lon, lat)
        d2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / 1e6
        expected = np.where(grid.country_id == grid.id_of(code), 2.0 * np.exp(-d2 / (2 * 120.0 ** 2)), expected)
    np.testing.assert_allclose(sigma, expected, rtol=1e-9, atol=1e-12)
    row, col = grid.cell_of(*capital_of("NER")[1:])
    assert sigma[row, col] > 1.8  # Niamey's cell: nearly the full rate
    assert sigma[grid.id_of("MLI") == grid.country_id].max() > 1.8  # Bamako's, in Mali's own cells
    assert (state_field(scenario(), grid) == 0).all()  # off: no suppression


# ------------------------------------------------------------------------------------------------ noise
def test_without_noise_there_are_no_noise_fields(grid):
    from sim.forcing import noise_of
    from sim.noise import noise_days

    s = scenario()
    assert noise_days(s) == []
    assert all(noise_of(c) is None for c in _forcing(s, grid).changes)


def test_noise_fields_are_seeded_log_normal_with_the_stated_spread_and_correlation(grid):
    from sim.noise import noise_days, noise_field

    s = scenario(**{"growth.noise_sd": 0.4, "growth.noise_length_km": 100.0, "scenario.start": "2012-01-01",
                    "scenario.end": "2015-01-01", "growth.noise_every_days": 365})
    assert noise_days(s) == [dt.date(2012, 1, 1), dt.date(2012, 12, 31), dt.date(2013, 12, 31),
                             dt.date(2014, 12, 31)]
    a, again = noise_field(s, grid, 0), noise_field(s, grid, 0)
    np.testing.assert_array_equal(a, again)
    assert not np.array_equal(a, noise_field(s, grid, 1))
    assert not np.array_equal(a, noise_field(s.replace(**{"scenario.seed": 5}), grid, 0))
    log = np.log(a.astype(float))[grid.mask]
    assert log.std() == pytest.approx(0.4, rel=1e-4)  # z has unit spread over the modelled cells
    # z is white noise smoothed by a Gaussian of sd ℓ/dx = 2 cells: correlation at lag d is exp(−d²/(4·2²))
    zs = [np.log(noise_field(s, grid, k).astype(float)) for k in range(12)]
    inside = grid.mask[:, :-2] & grid.mask[:, 2:]
    lag2 = np.mean([np.corrcoef(z[:, :-2][inside], z[:, 2:][inside])[0, 1] for z in zs])
    assert lag2 == pytest.approx(np.exp(-4 / 16), abs=0.05)


def test_noise_multiplies_growth_in_the_kernel_fields(grid):
    from sim.forcing import noise_of

    s = scenario(**{"growth.noise_sd": 0.5, "scenario.start": "2012-01-01", "scenario.end": "2013-06-01"})
    forcing = _forcing(s, grid)
    plain = _forcing(s.replace(**{"growth.noise_sd": 0.0}), grid)
    day = dt.date(2013, 2, 1)
    eps = noise_of(forcing._at(day))
    L, Q = forcing.level_fields(day, 1.0, "float64")
    L0, Q0 = plain.level_fields(day, 1.0, "float64")
    inside = grid.mask
    np.testing.assert_allclose(Q[inside], Q0[inside] * eps[inside], rtol=1e-6)
    delta_sigma = forcing.delta + forcing.sigma_field_on(day)[inside]
    np.testing.assert_allclose(L[inside] + delta_sigma, (L0[inside] + delta_sigma) * eps[inside], rtol=1e-5)


def test_a_run_with_strong_noise_keeps_risk_in_zero_one():
    from sim import run

    s = scenario(**{"grid.cell_km": 100.0, "growth.noise_sd": 1.5, "growth.noise_every_days": 90,
                    "growth.base_rate_per_year": 5.0, "scenario.end": "2016-01-01", "initial.risk": 1.0})
    risk = run(s).dataset["risk"].values
    inside = np.isfinite(risk)
    assert risk[inside].min() >= 0.0 and risk[inside].max() <= 1.0 and risk[inside].max() > 0.05
