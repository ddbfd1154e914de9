"""Forcing: attributes → growth, timeline → troops and suppression, places → initial risk, pairs → permeability."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo import build_grid, load_countries
from geo.errors import SpilloverError
from sim.forcing import (DAYS_PER_YEAR, DocumentInputs, build_forcing, contingents, growth_table, initial_risk,
                         permeability_table, troop_schedule)
from sim.scenario import Scenario

CODES = ["MLI", "BFA", "NER"]


@pytest.fixture(scope="module")
def grid():
    return build_grid(load_countries(), cell_km=50.0, codes=CODES)


def scenario(**changes) -> Scenario:
    base = {"grid.cell_km": 50.0, "grid.countries": CODES, "documents.seeds": "",
            "initial.places": ["northern Mali"], "initial.from_documents": False}
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


def test_growth_follows_the_named_weights(grid):
    attrs = pd.DataFrame({"coups": [2, 0, 0], "armed_partner": [1, 0, 0], "protests": [1, 1, 0],
                          "epicentre": [0, 1, 0], "spread_into": [0, 1, 1]}, index=CODES)
    s = scenario()
    r = growth_table(s, grid, attrs) * DAYS_PER_YEAR
    g = s.growth
    assert r[0] == 0.0
    assert r[grid.id_of("MLI")] == pytest.approx(1 + 2 * g.weight_coups + g.weight_armed_partner + g.weight_protests)
    assert r[grid.id_of("BFA")] == pytest.approx(1 + g.weight_protests + g.weight_epicentre + g.weight_spread)
    assert r[grid.id_of("NER")] == pytest.approx(1 + g.weight_spread)
    doubled = growth_table(s.replace(**{"growth.base_rate_per_year": 2.0}), grid, attrs)
    np.testing.assert_allclose(doubled, 2 * r / DAYS_PER_YEAR)


def test_growth_is_never_negative(grid):
    attrs = pd.DataFrame({"coups": [5, 0, 0]}, index=CODES)
    r = growth_table(scenario(**{"growth.weight_coups": -1.0}), grid, attrs)
    assert r.min() == 0.0


def test_troops_use_stated_sizes_then_the_size_table_split_across_hosts(grid):
    s = scenario(**{"suppression.contingent_sizes": {"Barkhane": 4500, "Germany": 1100}})
    rows = contingents(s, TIMELINE).set_index(["actor", "host"])
    assert rows.loc[("United Kingdom", "MLI"), "troops"] == 300
    assert rows.loc[("France", "BFA"), "troops"] == pytest.approx(1500)
    assert rows.loc[("Germany", "MLI"), "troops"] == 1100
    default = contingents(scenario(), TIMELINE).set_index(["actor", "host"])
    assert default.loc[("Germany", "MLI"), "troops"] == s.suppression.default_contingent_size


def test_withdrawals_switch_troops_off_on_their_date(grid):
    s = scenario(**{"suppression.contingent_sizes": {"Barkhane": 3000}, "scenario.start": "2022-01-01",
                    "scenario.end": "2023-06-01"})
    schedule = dict(troop_schedule(s, grid, contingents(s, TIMELINE)))
    mli = grid.id_of("MLI")
    assert sorted(schedule) == [dt.date(2022, 1, 1), dt.date(2022, 8, 1), dt.date(2022, 11, 10),
                                dt.date(2022, 11, 14)]
    assert schedule[dt.date(2022, 1, 1)][mli] == 300 + 1000 + 500
    assert schedule[dt.date(2022, 8, 1)][mli] == 300 + 1000
    assert schedule[dt.date(2022, 11, 10)][mli] == 300
    assert schedule[dt.date(2022, 11, 14)][mli] == 0


def test_exit_shift_and_forces_stay(grid):
    base = {"scenario.start": "2020-01-01", "scenario.end": "2026-01-01"}
    early = scenario(**base, **{"suppression.exit_shift_days": -365})
    dates = {d for d, _ in troop_schedule(early, grid, contingents(early, TIMELINE))}
    assert dt.date(2021, 11, 14) in dates and dt.date(2022, 11, 14) not in dates
    stay = scenario(**base, **{"suppression.forces_stay": True})
    schedule = troop_schedule(stay, grid, contingents(stay, TIMELINE))
    assert len(schedule) == 1 and schedule[0][1][grid.id_of("MLI")] == pytest.approx(300 + 500 / 3 + 500)


def test_suppression_is_troops_times_the_effect(grid):
    s = scenario(**{"scenario.start": "2022-01-01", "scenario.end": "2023-01-01",
                    "suppression.troops_effect_per_year": 0.4})
    inputs = DocumentInputs(pd.DataFrame(index=CODES), TIMELINE, (), ())
    forcing = build_forcing(s, grid, inputs)
    mli = grid.id_of("MLI")
    sigma = forcing.sigma_on(dt.date(2022, 3, 1))[mli] * DAYS_PER_YEAR
    troops = forcing.troops_on(dt.date(2022, 3, 1))[mli]
    assert sigma == pytest.approx(0.4 * troops / 1000)
    assert forcing.sigma_on(dt.date(2022, 12, 1))[mli] == 0.0


def test_permeability_table(grid):
    perm = permeability_table(scenario(**{"diffusion.permeability": {"MLI-BFA": 0.0, "BFA-NER": 0.5}}), grid)
    m, b, n = (grid.id_of(c) for c in CODES)
    assert perm[m, b] == perm[b, m] == 0.0 and perm[b, n] == perm[n, b] == 0.5 and perm[m, n] == 1.0
    assert (perm[0] == 0).all() and (perm[:, 0] == 0).all()


def test_initial_risk_fills_the_onset_place_only(grid):
    countries = load_countries()
    u0 = initial_risk(scenario(), grid, countries, ())
    mli = grid.country_id == grid.id_of("MLI")
    assert set(np.unique(u0)) == {0.0, 0.5}
    assert (u0[~mli] == 0).all()
    rows = np.nonzero(u0)[0]
    mali_rows = np.nonzero(mli)[0]
    assert rows.max() < np.median(mali_rows)  # north = small row numbers
    assert 0.3 < (u0 > 0).sum() / mli.sum() < 0.7


def test_initial_noise_is_seeded(grid):
    countries = load_countries()
    a = initial_risk(scenario(**{"initial.noise": 0.1, "scenario.seed": 1}), grid, countries, ())
    b = initial_risk(scenario(**{"initial.noise": 0.1, "scenario.seed": 1}), grid, countries, ())
    c = initial_risk(scenario(**{"initial.noise": 0.1, "scenario.seed": 2}), grid, countries, ())
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and (a[~grid.mask] == 0).all()


def test_no_onset_anywhere_is_an_error(grid):
    with pytest.raises(SpilloverError, match="initial risk is zero everywhere"):
        initial_risk(scenario(**{"initial.places": []}), grid, load_countries(), ())


def test_unknown_place_is_an_error(grid):
    with pytest.raises(SpilloverError, match="Atlantis"):
        initial_risk(scenario(**{"initial.places": ["Atlantis"]}), grid, load_countries(), ())


def test_private_military_companies_do_not_suppress(grid):
    rows = TIMELINE.assign(actor_kind="state")
    wagner = pd.DataFrame([{"actor": "Wagner Group", "actor_kind": "company", "mission": None, "host": "MLI",
                            "present_from": pd.NaT, "present_until": pd.NaT, "size": 1000}])
    troops = contingents(scenario(), pd.concat([rows, wagner], ignore_index=True))
    assert "Wagner Group" not in set(troops.actor) and len(troops) == len(rows)


def test_country_factor_scales_growth_and_is_validated(grid):
    attrs = pd.DataFrame(index=CODES)
    r = growth_table(scenario(**{"growth.country_factor": {"NER": 0.25}}), grid, attrs)
    assert r[grid.id_of("NER")] == pytest.approx(0.25 * r[grid.id_of("MLI")])
    with pytest.raises(SpilloverError, match="growth.country_factor key 'FRA' is not a modelled country"):
        scenario(**{"growth.country_factor": {"FRA": 0.5}})
    with pytest.raises(SpilloverError, match=r"growth.country_factor.NER = -1; valid: a number in \[0, 100\]"):
        scenario(**{"growth.country_factor": {"NER": -1}})
